"""Click options that several command modules share.

This module must not import ``modelvs.cli``, because that module imports ``cli_arena`` and
``cli_runs`` at its end and both of them import this module when they load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


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
