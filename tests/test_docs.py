"""Docs stay true: every CLI command is documented and the README names the make targets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click

from modelvs.cli import cli

ROOT = Path(__file__).parents[1]


def command_paths(group: click.Group, prefix: str = "modelvs") -> Iterator[str]:
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from command_paths(command, path)
        else:
            yield path


def test_every_command_in_cli_docs() -> None:
    docs = (ROOT / "docs" / "cli.md").read_text()
    missing = [path for path in command_paths(cli) if f"`{path}" not in docs]
    assert missing == []


def test_every_option_in_cli_docs() -> None:
    docs = (ROOT / "docs" / "cli.md").read_text()
    missing = []
    for path in command_paths(cli):
        command: click.Command = cli
        for name in path.split()[1:]:
            assert isinstance(command, click.Group)
            command = command.commands[name]
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--") and option not in docs:
                    missing.append(f"{path} {option}")
    assert missing == []


def test_readme_commands_are_make_targets() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    blocks = re.findall(r"```\n(make \w+)\n```", readme)
    assert blocks == ["make run", "make test"]
    for block in blocks:
        assert re.search(rf"^{block.split()[1]}:", makefile, re.M)


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
