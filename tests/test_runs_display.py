"""Tokens per second, and server text with control characters or Rich markup in stored runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelvs.runs.client import Completion
from modelvs.runs.control_chars import escape_control_chars, escape_control_chars_in_line
from modelvs.runs.execute import MIN_GENERATION_S, decode_rate
from modelvs.runs.sse import Usage
from tests.conftest import Runner
from tests.runs_server import ChatServer, Fault, running_server
from tests.runs_support import write_suite

HOSTILE_OUTPUT = "\x1b[31m[bold]red[/bold]\x1b[0m\r\n\tnext \u202eevil\x9b"
HOSTILE_ERROR = "\x1b]0;owned\x07 [red]bad[/red]\nsecond line"


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with running_server() as chat_server:
        yield chat_server


def completion(
    output_tokens: int | None, first_s: float | None, last_s: float | None
) -> Completion:
    usage = None if output_tokens is None else Usage(3, output_tokens)
    return Completion("text", "stop", usage, 1.0, first_s, last_s)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (completion(11, 0.1, 0.6), 20.0),
        (completion(2, 0.0, MIN_GENERATION_S), 1 / MIN_GENERATION_S),
        (completion(2, 0.5, 0.52), 50.0),
        (completion(500, 0.2, 0.2), None),  # every token at once
        (completion(500, 0.2, 0.2 + MIN_GENERATION_S / 2), None),
        (completion(1, 0.1, 0.6), None),
        (completion(None, 0.1, 0.6), None),  # no usage report
        (completion(11, None, None), None),  # not streamed
    ],
)
def test_decode_rate_cases(case: Completion, expected: float | None) -> None:
    assert decode_rate(case) == (pytest.approx(expected) if expected is not None else None)


@given(
    st.integers(min_value=0, max_value=10**7),
    st.floats(min_value=0, max_value=600),
    st.floats(min_value=0, max_value=600),
)
def test_decode_rate_never_above_span_bound(tokens: int, first_s: float, span_s: float) -> None:
    rate = decode_rate(completion(tokens, first_s, first_s + span_s))

    if rate is not None:
        assert tokens >= 2
        assert span_s >= MIN_GENERATION_S * 0.999
        assert rate <= (tokens - 1) / (MIN_GENERATION_S * 0.999)


def test_escape_control_chars_keeps_text() -> None:
    assert escape_control_chars("a\tb\nc é 中 🙂") == "a\tb\nc é 中 🙂"
    assert escape_control_chars("\x1b[0m\r\x00\x7f\x9b") == "\\x1b[0m\\x0d\\x00\\x7f\\x9b"
    assert escape_control_chars("\u202eabc\u2066") == "\\u202eabc\\u2066"
    assert escape_control_chars_in_line("a\tb\nc") == "a\\x09b\\x0ac"


def test_burst_stream_rate_unknown(
    run_cli: Runner, database: str, registry: Path, server: ChatServer, tmp_path: Path
) -> None:
    add_endpoint(run_cli, server)
    server.plan("burst", Fault("burst"))
    suite = write_suite(tmp_path, ["burst"])

    result = run_cli("run", str(suite), "--endpoints", "a", "--no-progress")

    assert result.exit_code == 0, result.stderr
    item = json.loads(run_cli("runs", "show", "1", "--format", "json").stdout)["items"][0]
    assert item["output_tokens"] == 3
    assert item["tokens_per_s"] is None
    table = run_cli("runs", "show", "1").stdout
    row = next(line for line in table.splitlines() if line.strip().startswith("p0"))
    assert "unknown" in row


def test_control_chars_escaped_in_terminal(
    run_cli: Runner, database: str, registry: Path, server: ChatServer, tmp_path: Path
) -> None:
    add_endpoint(run_cli, server)
    server.plan("hostile output", Fault(text=HOSTILE_OUTPUT))
    server.plan("hostile error", Fault("status", status=400, text=HOSTILE_ERROR))
    suite = write_suite(tmp_path, ["hostile output", "hostile error"])

    run_cli("run", str(suite), "--endpoints", "a", "--no-progress")

    run_json = json.loads(run_cli("runs", "show", "1", "--format", "json").stdout)
    items = {item["prompt_id"]: item for item in run_json["items"]}
    assert items["p0"]["output"] == HOSTILE_OUTPUT  # stored and shown in JSON exactly
    error = items["p1"]["error"]
    assert "\x1b" not in error
    assert "\x07" not in error
    assert "\\x1b]0;owned\\x07 [red]bad[/red] second line" in error

    text = run_cli("runs", "show", "1", "--outputs").stdout
    assert "\x1b" not in text
    assert "\r" not in text
    assert "\u202e" not in text
    assert "\x9b" not in text
    assert "\\x1b[31m[bold]red[/bold]\\x1b[0m\\x0d\n" in text
    assert "next \\u202eevil\\x9b" in text  # Rich expands the tab before it to spaces
    assert "error: HTTP 400 Bad Request: \\x1b]0;owned\\x07 [red]bad[/red]" in text


def add_endpoint(run_cli: Runner, server: ChatServer) -> None:
    result = run_cli(
        "endpoints", "add", "a", "--base-url", server.base_url, "--model", "m",
        "--catalog-model", "beta-4b",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "registry" / "endpoints.yaml"
    monkeypatch.setenv("MODELVS_ENDPOINTS", str(path))
    return path


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("MODELVS_DATABASE_URL", database_url)
    return database_url
