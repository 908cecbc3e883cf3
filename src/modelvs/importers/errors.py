"""Errors raised by the importers. Each message names what was wrong and what to do next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from modelvs.errors import ModelvsError, UsageError

if TYPE_CHECKING:
    from modelvs.catalog.problems import Problem


class ImportInputError(ModelvsError):
    """An input file (harness results, price list, change file) cannot be read."""


class ImportUsageError(UsageError):
    """The command line names something the catalog does not have."""


class HubError(ModelvsError):
    """A request to the Hugging Face Hub failed."""


class ChangeRejectedError(ModelvsError):
    """The change would leave the catalog invalid, so nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(
            f"the change would leave {count} catalog error{'s' if count != 1 else ''}"
            " (listed above), so nothing was written; fix the input or the catalog and rerun"
        )
