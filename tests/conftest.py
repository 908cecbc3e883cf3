"""Shared fixtures: the fixture catalog under tests/fixtures and a CLI runner."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.load import load_catalog
from modelvs.cli import main

FIXTURE_CATALOG = Path(__file__).parent / "fixtures" / "catalog"
REAL_CATALOG = Path(__file__).parents[1] / "data"
AS_OF = dt.date(2026, 12, 4)


def temporary_database() -> str:
    """A new empty SQLite database file that lives until the test process ends."""
    import tempfile

    folder = tempfile.mkdtemp(prefix="modelvs-test-db-")
    return f"sqlite:///{folder}/modelvs.sqlite3"


@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the catalog cache of the test run out of the user's cache directory."""
    previous = os.environ.get("MODELVS_CACHE_DIR")
    os.environ["MODELVS_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        os.environ.pop("MODELVS_CACHE_DIR", None)
    else:
        os.environ["MODELVS_CACHE_DIR"] = previous


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


def _service_missing(what: str) -> None:
    """Skip locally, fail in CI: CI must run every test against real services."""
    if os.environ.get("MODELVS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required in CI; .ci/services.sh should have started it")
    pytest.skip(f'{what} not available; run `eval "$(bash .ci/services.sh)"` to start it')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema in the PostgreSQL test database.

    Each PostgreSQL test gets its own schema (through ``search_path``), so test runs that
    share the server cannot see or drop each other's tables.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'modelvs.sqlite3'}"
        return

    url = os.environ.get("MODELVS_TEST_POSTGRES_URL")
    if not url:
        _service_missing("PostgreSQL (MODELVS_TEST_POSTGRES_URL)")
        raise AssertionError("unreachable")
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright; never a downloaded browser build."""
    if not CHROMIUM.exists():
        _service_missing("chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
