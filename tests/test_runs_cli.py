"""The endpoints, run and runs commands through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml

from modelvs import cli as modelvs_cli
from tests.conftest import FIXTURE_CATALOG, Runner
from tests.runs_server import ChatServer, Fault, answer_text, running_server
from tests.runs_support import write_suite


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with running_server() as chat_server:
        yield chat_server


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "registry" / "endpoints.yaml"
    monkeypatch.setenv("MODELVS_ENDPOINTS", str(path))
    return path


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("MODELVS_DATABASE_URL", database_url)
    return database_url


def add(run_cli: Runner, name: str, base_url: str, catalog_model: str, *extra: str) -> None:
    result = run_cli(
        "endpoints", "add", name, "--base-url", base_url, "--model", f"model-{name}",
        "--catalog-model", catalog_model, *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def test_endpoints_add_list_remove(run_cli: Runner, registry: Path) -> None:
    add(run_cli, "one", "http://127.0.0.1:8000/v1/", "Beta-4B")
    add(run_cli, "two", "https://api.example.org/v1", "alpha moe", "--api-key-env", "TWO_KEY",
        "--input-usd-per-mtok", "0.5", "--output-usd-per-mtok", "1.5")  # fmt: skip

    listed = json.loads(run_cli("endpoints", "list", "--format", "json").stdout)
    assert [row["name"] for row in listed] == ["one", "two"]
    assert listed[0]["base_url"] == "http://127.0.0.1:8000/v1"
    assert listed[0]["catalog_model"] == "beta-4b"
    assert listed[1]["catalog_model"] == "alpha-moe-16b-a3b"
    assert listed[1]["price"] == {"input_usd_per_mtok": 0.5, "output_usd_per_mtok": 1.5}
    assert listed[1]["api_key_set"] is False
    text = run_cli("endpoints", "list").stdout
    assert "TWO_KEY (not set)" in text

    removed = run_cli("endpoints", "remove", "one")
    assert removed.exit_code == 0
    stored = yaml.safe_load(registry.read_text())
    assert [e["name"] for e in stored["endpoints"]] == ["two"]


def test_endpoints_file_option_wins(run_cli: Runner, registry: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    add(run_cli, "one", "http://127.0.0.1:8000/v1", "beta-4b", "--endpoints-file", str(other))
    assert other.exists()
    assert not registry.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--catalog-model", "no-such-model"], "unknown model 'no-such-model'"),
        (["--catalog-model", "beta-4b", "--base-url", "ftp://x"], "http:// or https://"),
        (["--catalog-model", "beta-4b", "--input-usd-per-mtok", "1"], "give both"),
        (["--catalog-model", "beta-4b", "--api-key-env", "has space"], "NAME of an environment"),
    ],
)
def test_endpoints_add_rejects(
    run_cli: Runner, registry: Path, args: list[str], message: str
) -> None:
    base = ["endpoints", "add", "x", "--model", "m"]
    if "--base-url" not in args:
        base += ["--base-url", "http://127.0.0.1:1/v1"]
    result = run_cli(*base, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not registry.exists()


def test_endpoints_add_twice_needs_replace(run_cli: Runner, registry: Path) -> None:
    add(run_cli, "one", "http://127.0.0.1:8000/v1", "beta-4b")
    again = run_cli(
        "endpoints", "add", "one", "--base-url", "http://127.0.0.1:9000/v1", "--model", "m",
        "--catalog-model", "beta-4b",
    )  # fmt: skip
    assert again.exit_code == 1
    assert "pass --replace" in again.stderr
    add(run_cli, "one", "http://127.0.0.1:9000/v1", "beta-4b", "--replace")
    stored = yaml.safe_load(registry.read_text())
    assert stored["endpoints"][0]["base_url"] == "http://127.0.0.1:9000/v1"


def test_endpoints_remove_unknown(run_cli: Runner, registry: Path) -> None:
    result = run_cli("endpoints", "remove", "ghost")
    assert result.exit_code == 2
    assert "unknown endpoint 'ghost'" in result.stderr


def test_run_then_list_and_show(
    run_cli: Runner, registry: Path, database: str, server: ChatServer, tmp_path: Path
) -> None:
    add(run_cli, "a", server.base_url, "beta-4b")
    add(run_cli, "b", server.base_url, "gamma-api")
    suite = write_suite(tmp_path, ["first prompt", "second prompt"])

    result = run_cli("run", str(suite), "--endpoints", "a,b", "--format", "json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] == 4
    assert report["failed"] == 0
    assert "run 1" in result.stderr  # the progress bar
    assert "4/4 items, 0 failed" in result.stderr

    runs = json.loads(run_cli("runs", "list", "--format", "json").stdout)
    assert [(r["id"], r["items_ok"], r["items_missing"]) for r in runs] == [(1, 4, 0)]

    shown = json.loads(run_cli("runs", "show", "1", "--format", "json").stdout)
    outputs = {(i["prompt_id"], i["endpoint_name"]): i["output"] for i in shown["items"]}
    assert outputs[("p1", "b")] == answer_text("second prompt")
    assert [p["text"] for p in shown["prompts"]] == ["first prompt", "second prompt"]
    assert shown["run"]["endpoints"][1]["price"]["input_usd_per_mtok"] == 2.0

    text = run_cli("runs", "show", "1", "--outputs").stdout
    assert "Per endpoint" in text
    assert answer_text("first prompt") in text


def test_run_failures_exit_1_with_hint(
    run_cli: Runner, registry: Path, database: str, server: ChatServer, tmp_path: Path
) -> None:
    add(run_cli, "a", server.base_url, "beta-4b")
    server.plan("broken", Fault("status", status=400))
    suite = write_suite(tmp_path, ["broken", "fine"])

    result = run_cli("run", str(suite), "--endpoints", "a", "--no-progress")

    assert result.exit_code == 1
    assert "run 1: 1 ok, 1 failed" in result.stdout
    assert f"'modelvs run {suite} --resume 1'" in result.stderr
    shown = run_cli("runs", "show", "1").stdout
    assert "HTTP 400 Bad Request: planned HTTP 400" in shown

    resumed = run_cli("run", str(suite), "--resume", "1", "--no-progress", "--format", "json")
    assert resumed.exit_code == 0, resumed.stderr
    assert json.loads(resumed.stdout)["sent"] == 1


def test_run_default_suite_sends_images(
    run_cli: Runner, registry: Path, database: str, server: ChatServer
) -> None:
    add(run_cli, "a", server.base_url, "beta-4b")

    result = run_cli("run", "default", "--endpoints", "a", "--no-progress", "--seed", "5")

    assert result.exit_code == 0, result.stderr
    bodies = [record.body for record in server.records]
    assert len(bodies) == 7
    with_images = [b for b in bodies if isinstance(b["messages"][0]["content"], list)]
    assert len(with_images) == 5
    assert all(b["stream"] is True for b in bodies)
    assert all(b["stream_options"] == {"include_usage": True} for b in bodies)
    assert all(b["seed"] == 5 and b["max_tokens"] == 2048 for b in bodies)
    assert all("temperature" not in b for b in bodies)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["SUITE"], "name the endpoints with --endpoints"),
        (["SUITE", "--endpoints", "ghost"], "unknown endpoint 'ghost' (registered: a)"),
        (["SUITE", "--endpoints", ","], "names no endpoint"),
        (["SUITE", "--endpoints", "a,a"], "endpoint named more than once: a"),
        (["no-such-suite.yaml", "--endpoints", "a"], "suite 'no-such-suite.yaml' not found"),
        (["SUITE", "--resume", "99"], "no run has id 99"),
    ],
)
def test_run_usage_errors(
    run_cli: Runner,
    registry: Path,
    database: str,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    add(run_cli, "a", "http://127.0.0.1:9/v1", "beta-4b")
    suite = write_suite(tmp_path, ["x"])
    result = run_cli("run", *[str(suite) if arg == "SUITE" else arg for arg in args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_runs_show_unknown(run_cli: Runner, database: str) -> None:
    result = run_cli("runs", "show", "7")
    assert result.exit_code == 2
    assert "no run has id 7; list the stored runs with 'modelvs runs list'" in result.stderr


def test_concurrent_endpoint_adds_keep_every_endpoint(tmp_path: Path) -> None:
    registry = tmp_path / "endpoints.yaml"
    command = [sys.executable, "-c", "from modelvs.cli import main; main()"]
    command += ["--data", str(FIXTURE_CATALOG), "endpoints", "add", "--model", "m"]
    command += ["--base-url", "http://127.0.0.1:9/v1", "--catalog-model", "beta-4b"]
    command += ["--endpoints-file", str(registry)]
    adds = [
        subprocess.Popen([*command, f"e{index}"], stderr=subprocess.DEVNULL) for index in range(8)
    ]
    assert [process.wait(60) for process in adds] == [0] * 8

    stored = yaml.safe_load(registry.read_text(encoding="utf-8"))["endpoints"]
    assert sorted(endpoint["name"] for endpoint in stored) == [f"e{index}" for index in range(8)]


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [(KeyboardInterrupt, 130, "interrupted"), (EOFError, 1, "aborted")],
)
def test_interrupt_outside_a_run_exits_130(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: type[BaseException],
    code: int,
    message: str,
) -> None:
    @click.command()
    def stopped() -> None:
        raise raised()

    monkeypatch.setattr(modelvs_cli, "cli", stopped)
    monkeypatch.setattr(sys, "argv", ["modelvs"])
    with pytest.raises(SystemExit) as caught:
        modelvs_cli.main()
    assert caught.value.code == code
    assert capsys.readouterr().err.strip().endswith(message)
