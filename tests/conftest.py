"""Shared fixtures: the fixture catalog under tests/fixtures and a CLI runner."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.load import load_catalog
from modelvs.cli import main

FIXTURE_CATALOG = Path(__file__).parent / "fixtures" / "catalog"
REAL_CATALOG = Path(__file__).parents[1] / "data"
AS_OF = dt.date(2026, 12, 4)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(FIXTURE_CATALOG)


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture catalog for tests that break it."""
    target = tmp_path / "catalog"
    shutil.copytree(FIXTURE_CATALOG, target)
    return target


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


Runner = Callable[..., CliResult]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Run ``modelvs`` through its real entry point and capture exit code and streams."""

    def run(*args: str, data: Path | None = FIXTURE_CATALOG) -> CliResult:
        argv = ["modelvs"]
        if data is not None:
            argv += ["--data", str(data)]
        monkeypatch.setattr(sys, "argv", [*argv, *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
