"""Click options that several command modules share.

This module must not import ``modelvs.cli``, because that module imports ``cli_arena`` and
``cli_runs`` at its end and both of them import this module when they load.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

INTERRUPTED_EXIT_CODE = 130  # the shell's code for a process stopped by SIGINT


def format_option(choices: tuple[str, ...] = ("text", "json")) -> Callable[[F], F]:
    """Return a ``--format`` option over ``choices``; the first choice is the default."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


class FiniteFloatRange(click.FloatRange):
    """A ``click.FloatRange`` that also rejects nan, inf and -inf, with exit code 2.

    Python's ``float()`` accepts "nan" and "inf", and nan passes every range check because
    each comparison with it is false.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(
                f"{value!r} is not a finite number; give a number such as 0.7 or 30", param, ctx
            )
        return number
