"""The exception tree. Each error maps to one CLI exit code and one HTTP status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelvs.catalog.problems import Problem


class ModelvsError(Exception):
    """Base of every error modelvs reports to a person."""

    exit_code = 1
    http_status = 500


class UsageError(ModelvsError):
    """The request itself is wrong: a bad option value, an unknown name."""

    exit_code = 2
    http_status = 400


class UnknownModelError(UsageError):
    """No model has this slug, name or alias."""

    http_status = 404

    def __init__(self, name: str, suggestions: Sequence[str]) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = (
            f"did you mean {', '.join(self.suggestions)}?"
            if self.suggestions
            else "run 'modelvs models list' to see every model"
        )
        super().__init__(f"unknown model {name!r}: {hint}")


class CatalogError(ModelvsError):
    """The catalog has errors; ``problems`` lists every one found."""

    def __init__(self, problems: Sequence[Problem], root: str) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(
            f"the catalog in {root} has {count} problem{'s' if count != 1 else ''};"
            " run 'modelvs data check' to list them"
        )
