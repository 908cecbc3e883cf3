"""Runs against a loopback server that injects faults, on SQLite and PostgreSQL."""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.runs.endpoints import Endpoint
from modelvs.runs.plan import RunOptions
from modelvs.runs.records import ItemResult
from modelvs.runs.store import RunStore
from tests.runs_server import ChatServer, Fault, answer_text, running_server
from tests.runs_support import FAST, endpoint, open_store, run_new, run_resume, write_suite

SLOW = Fault("slow_first_byte", delay_s=1.5)
HTTP_500 = Fault("status", status=500)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with running_server() as chat_server:
        yield chat_server


@pytest.fixture
def store(database_url: str) -> Iterator[RunStore]:
    run_store = open_store(database_url)
    yield run_store
    run_store.engine.dispose()


def items_by_prompt(store: RunStore, run_id: int) -> dict[str, ItemResult]:
    prompts = {p.prompt_id: p.text for p in store.details(run_id).prompts}
    return {prompts[item.prompt_id]: item for item in store.details(run_id).items}


def test_every_fault_recorded_on_its_item(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    faults = {
        "plain": [],
        "slow then ok": [SLOW],
        "always slow": [SLOW, SLOW, SLOW],
        "500 then ok": [HTTP_500],
        "always 500": [HTTP_500, HTTP_500, HTTP_500],
        "always malformed": [Fault("malformed")] * 3,
        "always truncated": [Fault("truncated")] * 3,
        "always hangs": [Fault("hang")] * 3,
        "stream error": [Fault("stream_error")] * 3,
        "bad request": [Fault("status", status=400)],
        "no usage": [Fault("no_usage")],
        "whole json": [Fault("whole_json")],
        "no done": [Fault("no_done")],
        "hangs after done": [Fault("hang_after_done")],
    }
    for prompt, planned in faults.items():
        server.plan(prompt, *planned)
    suite = write_suite(tmp_path, list(faults))

    plan, report = run_new(store, catalog, suite, [endpoint(server)])
    items = items_by_prompt(store, plan.run_id)

    assert len(items) == len(faults)
    assert report.ok + report.failed == len(faults)
    finished = ("plain", "slow then ok", "500 then ok", "no usage", "whole json", "no done")
    for prompt in (*finished, "hangs after done"):
        assert items[prompt].status == "ok", items[prompt].error
        assert items[prompt].output == answer_text(prompt)
        assert items[prompt].error is None
    assert items["hangs after done"].attempts == 1
    assert items["whole json"].ttft_s is None  # nothing was streamed
    assert items["slow then ok"].attempts == 2
    assert items["500 then ok"].attempts == 2

    expected_errors = {
        "always slow": "read timeout",
        "always 500": "HTTP 500",
        "always malformed": "is not valid JSON",
        "always hangs": "read timeout",
        "stream error": "the server sent an error: planned overload",
        "bad request": "HTTP 400 Bad Request: planned HTTP 400",
    }
    for prompt, text in expected_errors.items():
        assert items[prompt].status == "failed"
        assert text in (items[prompt].error or ""), items[prompt].error
        assert items[prompt].output is None
    assert "closed the connection" in (items["always truncated"].error or "")
    assert items["always truncated"].status == "failed"


def test_retries_bounded_and_counted(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    server.plan("always 500", *[HTTP_500] * 10)
    server.plan("bad request", Fault("status", status=400))
    suite = write_suite(tmp_path, ["always 500", "bad request"])

    plan, _ = run_new(store, catalog, suite, [endpoint(server)])
    items = items_by_prompt(store, plan.run_id)

    assert len(server.requests_for("always 500")) == 3  # the first attempt and 2 retries
    assert items["always 500"].attempts == 3
    assert "(after 3 attempts)" in (items["always 500"].error or "")
    assert len(server.requests_for("bad request")) == 1  # a 400 is not retried
    assert items["bad request"].attempts == 1


def test_retry_after_seconds_honoured(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    server.plan("limited", Fault("status", status=429, retry_after="1"))
    suite = write_suite(tmp_path, ["limited"])

    plan, _ = run_new(store, catalog, suite, [endpoint(server)])

    first, second = server.requests_for("limited")
    assert second.arrived_s - first.arrived_s >= 1.0
    assert items_by_prompt(store, plan.run_id)["limited"].status == "ok"


def test_retry_after_http_date_honoured(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    # An HTTP-date has whole seconds, so "now + 3 s" requests a wait of 2 to 3 s from now;
    # the extra second covers a slow first request on a busy machine.
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    server.plan("limited", Fault("status", status=429, retry_after=when))
    suite = write_suite(tmp_path, ["limited"])

    plan, _ = run_new(store, catalog, suite, [endpoint(server)])

    first, second = server.requests_for("limited")
    assert second.arrived_s - first.arrived_s >= 1.0
    assert items_by_prompt(store, plan.run_id)["limited"].status == "ok"


def test_retry_after_too_long_fails_item(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    server.plan("limited", Fault("status", status=429, retry_after="3600"))
    suite = write_suite(tmp_path, ["limited"])

    plan, _ = run_new(store, catalog, suite, [endpoint(server)])

    item = items_by_prompt(store, plan.run_id)["limited"]
    assert len(server.requests_for("limited")) == 1
    assert item.status == "failed"
    assert "asked to wait 3600 s" in (item.error or "")
    assert "resume the run later" in (item.error or "")


def test_usage_missing_counts_nothing(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    server.plan("quiet", Fault("no_usage"))
    suite = write_suite(tmp_path, ["quiet", "talkative"])

    plan, report = run_new(store, catalog, suite, [endpoint(server)])
    items = items_by_prompt(store, plan.run_id)

    assert items["quiet"].status == "ok"
    assert items["quiet"].input_tokens is None
    assert items["quiet"].output_tokens is None
    assert items["quiet"].tokens_per_s is None
    assert items["quiet"].cost_usd is None
    assert report.endpoints_without_usage == ["local"]
    assert items["talkative"].input_tokens == 1  # the server counts words
    assert items["talkative"].cost_usd is not None


def test_cost_from_catalog_or_override(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path, ["one two three"])
    listed = endpoint(server, "listed", "beta-4b")
    unpriced = endpoint(server, "unpriced", "alpha-moe-16b-a3b")
    override = Endpoint.model_validate(
        {
            **endpoint(server, "override", "alpha-moe-16b-a3b").model_dump(),
            "price": {"input_usd_per_mtok": 1.0, "output_usd_per_mtok": 2.0},
        }
    )

    plan, _ = run_new(store, catalog, suite, [listed, unpriced, override])
    items = {item.endpoint_name: item for item in store.details(plan.run_id).items}

    tokens_in, tokens_out = items["listed"].input_tokens, items["listed"].output_tokens
    assert tokens_in == 3
    assert tokens_out == len(answer_text("one two three").split(" "))
    # beta-4b's cheapest paid list price in the fixture catalog: $0.2 in, $0.6 out per 1M.
    assert items["listed"].cost_usd == pytest.approx((3 * 0.2 + tokens_out * 0.6) / 1e6)
    assert items["unpriced"].cost_usd is None
    assert items["override"].cost_usd == pytest.approx((3 * 1.0 + tokens_out * 2.0) / 1e6)


def test_timing_fields_recorded(store: RunStore, catalog: Catalog, tmp_path: Path) -> None:
    with running_server(chunks=5, chunk_delay_s=0.05) as server:
        suite = write_suite(tmp_path, ["time me"])
        plan, _ = run_new(store, catalog, suite, [endpoint(server)])
    item = store.details(plan.run_id).items[0]

    assert item.ttft_s is not None and item.latency_s is not None
    assert 0 < item.ttft_s < item.latency_s
    assert item.latency_s >= 0.25  # five chunks, each after a 50 ms pause
    assert item.output_tokens == 5
    # 4 tokens after the first, over the span from the first to the last token. The server
    # pauses 4 x 50 ms in it; the bound allows the first token 50 ms of delay on the client.
    # The span ends before the stream does, so the rate beats one over the whole stream.
    assert item.tokens_per_s is not None
    assert item.tokens_per_s <= 4 / 0.15
    assert item.tokens_per_s >= 4 / (item.latency_s - item.ttft_s)


def test_concurrency_limit_per_endpoint(store: RunStore, catalog: Catalog, tmp_path: Path) -> None:
    with running_server(chunks=4, chunk_delay_s=0.05) as server:
        suite = write_suite(tmp_path, [f"prompt {i}" for i in range(8)])
        options = RunOptions(concurrency=2, retries=0, timeout_s=5)
        run_new(store, catalog, suite, [endpoint(server, "a"), endpoint(server, "b")], options)

    for model in ("served-a", "served-b"):
        spans = [
            (r.arrived_s, r.arrived_s + (r.handling_s or 0))
            for r in server.records
            if r.model == model
        ]
        most = max(sum(start <= moment < end for start, end in spans) for moment, _ in spans)
        assert most <= 2
    assert len(server.records) == 16


def test_resume_sends_only_failed_items(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    server.plan("flaky", *[HTTP_500] * 3)
    suite = write_suite(tmp_path, ["steady", "flaky"])
    plan, report = run_new(store, catalog, suite, [endpoint(server)])
    assert report.failed == 1

    resumed, second = run_resume(store, suite, plan.run_id)

    assert [item.prompt.text for item in resumed.items] == ["flaky"]
    assert second.ok == 1
    assert len(server.requests_for("steady")) == 1
    item = items_by_prompt(store, plan.run_id)["flaky"]
    assert item.status == "ok"
    assert item.error is None
    assert item.attempts == 4  # three failed attempts in the first run, one in the resume
    assert store.summary(plan.run_id).items_ok == 2


def test_resume_of_finished_run_sends_nothing(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path, ["a", "b"])
    plan, _ = run_new(store, catalog, suite, [endpoint(server)])

    resumed, report = run_resume(store, suite, plan.run_id, FAST)

    assert resumed.items == []
    assert report.sent == 0
    assert len(server.records) == 2


def test_connection_refused_recorded(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    refused = Endpoint(
        name="refused",
        base_url=f"http://127.0.0.1:{closed_port}/v1",
        model="m",
        catalog_model="beta-4b",
    )
    suite = write_suite(tmp_path, ["q"])

    plan, report = run_new(store, catalog, suite, [endpoint(server), refused])
    items = {item.endpoint_name: item for item in store.details(plan.run_id).items}

    assert report.ok == 1
    assert items["local"].status == "ok"
    assert items["refused"].status == "failed"
    assert "connection failed: could not connect to 127.0.0.1" in (items["refused"].error or "")
    assert items["refused"].attempts == 3
