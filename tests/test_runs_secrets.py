"""API keys reach the server but never the registry, logs, output, database or errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from modelvs.runs.execute import redact_message
from modelvs.store.db import make_engine
from tests.conftest import FIXTURE_CATALOG, Runner
from tests.runs_server import Fault, running_server
from tests.runs_support import open_store, write_suite

SECRET = "sk-test-Zq8vN3xLr5Tw9Pk2Hc7Yd4"
MODELVS = [sys.executable, "-c", "from modelvs.cli import main; main()"]


def database_text(database_url: str) -> str:
    """Every value of every table, as text."""
    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    parts = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            parts += [repr(tuple(row)) for row in connection.execute(select(table))]
    engine.dispose()
    return "\n".join(parts)


def test_key_never_leaks(database_url: str, tmp_path: Path) -> None:
    registry = tmp_path / "endpoints.yaml"
    env = dict(os.environ, MODELVS_DATABASE_URL=database_url, TEST_SERVER_KEY=SECRET)
    outputs: list[str] = []

    def modelvs(*args: str) -> subprocess.CompletedProcess[str]:
        command = [*MODELVS, "--data", str(FIXTURE_CATALOG), "--log-level", "DEBUG", *args]
        command += ["--endpoints-file", str(registry)] if args[0] != "runs" else []
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        outputs.extend([done.stdout, done.stderr])
        return done

    with running_server() as server:
        server.plan("echo", Fault("echo_authorization"))
        server.plan("retry", Fault("status", status=500))
        server.plan("echo in answer", Fault("echo_authorization_output"))
        suite = write_suite(tmp_path, ["echo", "retry", "echo in answer", "plain"])
        added = modelvs(
            "endpoints", "add", "remote", "--base-url", server.base_url, "--model", "m",
            "--catalog-model", "beta-4b", "--api-key-env", "TEST_SERVER_KEY",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        modelvs("endpoints", "list", "--format", "json")
        run = modelvs("run", str(suite), "--endpoints", "remote", "--retries", "1")
        modelvs("runs", "show", "1", "--format", "json")
        modelvs("runs", "show", "1", "--outputs")

    assert run.returncode == 1  # the echo item failed
    assert {record.authorization for record in server.records} == {f"Bearer {SECRET}"}
    assert "[redacted]" in database_text(database_url)
    assert "TEST_SERVER_KEY" in registry.read_text()
    assert SECRET not in registry.read_text()
    assert SECRET not in database_text(database_url)
    for text in outputs:
        assert SECRET not in text


def test_key_pasted_as_variable_not_echoed(run_cli: Runner, tmp_path: Path) -> None:
    result = run_cli(
        "endpoints", "add", "remote", "--base-url", "https://api.example.org/v1",
        "--model", "m", "--catalog-model", "beta-4b", "--api-key-env", SECRET,
        "--endpoints-file", str(tmp_path / "endpoints.yaml"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "NAME of an environment variable" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert not (tmp_path / "endpoints.yaml").exists()


def test_key_in_registry_file_not_echoed(run_cli: Runner, tmp_path: Path) -> None:
    registry = tmp_path / "endpoints.yaml"
    registry.write_text(
        "endpoints:\n- {name: r, base_url: 'https://api.example.org/v1', model: m,"
        f" catalog_model: beta-4b, api_key_env: {SECRET}}}\n"
    )
    result = run_cli("endpoints", "list", "--endpoints-file", str(registry))
    assert result.exit_code == 1
    assert "invalid endpoints file" in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_missing_key_variable_named(
    run_cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("MODELVS_DATABASE_URL", database_url)
    monkeypatch.delenv("UNSET_TEST_KEY", raising=False)
    registry = tmp_path / "endpoints.yaml"
    registry.write_text(
        "endpoints:\n- {name: r, base_url: 'http://127.0.0.1:9/v1', model: m,"
        " catalog_model: beta-4b, api_key_env: UNSET_TEST_KEY}\n"
    )
    suite = write_suite(tmp_path, ["a"])
    result = run_cli(
        "run", str(suite), "--endpoints", "r", "--endpoints-file", str(registry), "--no-progress"
    )
    assert result.exit_code == 2
    assert "environment variable UNSET_TEST_KEY, which is not set" in result.stderr
    store = open_store(database_url)
    assert store.list_runs() == []  # the key is checked before a run is stored
    store.engine.dispose()


def test_cut_key_redacted_from_errors() -> None:
    cut = f"HTTP 401: bad key {SECRET[:12]}..."
    message = redact_message(cut, [SECRET])
    assert SECRET[:12] not in message
    assert message == "HTTP 401: bad key [redacted]..."
    # Starts shorter than 8 characters stay, because they would match ordinary text.
    assert redact_message("key sk-t...", [SECRET]) == "key sk-t..."


def test_key_pieces_redacted_from_errors() -> None:
    # A server may echo the key without its prefix, or only its end.
    without_prefix = f"HTTP 403: key ending in ...{SECRET[-10:]}; full {SECRET[3:]}"
    message = redact_message(without_prefix, [SECRET])
    assert message == "HTTP 403: key ending in ...[redacted]; full [redacted]"
    middle = SECRET[5:15]
    assert middle not in redact_message(f"bad token part {middle}", [SECRET])
