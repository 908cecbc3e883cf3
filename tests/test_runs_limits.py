"""Time and size limits of run requests, and hints in their errors, against the loopback server."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import trustme

from modelvs.catalog.catalog import Catalog
from modelvs.runs.endpoints import Endpoint
from modelvs.runs.plan import RunOptions
from modelvs.runs.records import ItemResult, RunSettings
from modelvs.runs.store import RunStore
from tests.runs_server import ChatServer, Fault, running_server
from tests.runs_support import FAST, endpoint, open_store, run_new, write_suite

# A small limit, so that the tests send little: 100,000 bytes of output text at most.
LIMIT_BYTES = 100_000
LIMITED = replace(FAST, max_output_bytes=LIMIT_BYTES)


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
    details = store.details(run_id)
    prompts = {p.prompt_id: p.text for p in details.prompts}
    return {prompts[item.prompt_id]: item for item in details.items}


def endpoint_at(base_url: str) -> Endpoint:
    return Endpoint(name="other", base_url=base_url, model="m", catalog_model="beta-4b")


def test_total_timeout_ends_keep_alive_stream(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    comments = Fault("keep_alive_comments", delay_s=0.1)
    server.plan("chatty", comments, comments)
    suite = write_suite(tmp_path, ["chatty", "plain"])
    # A comment every 0.1 s keeps the 0.5 s read timeout from firing, so only the total
    # timeout of 1 s ends each attempt.
    options = replace(FAST, timeout_s=0.5, total_timeout_s=1.0, retries=1)

    started = time.monotonic()
    plan, report = run_new(store, catalog, suite, [endpoint(server)], options)
    elapsed_s = time.monotonic() - started

    items = items_by_prompt(store, plan.run_id)
    chatty = items["chatty"]
    assert chatty.status == "failed"
    assert "not complete after 1 s (total timeout)" in (chatty.error or "")
    assert chatty.attempts == 2  # a total timeout is retried like the other timeouts
    assert len(server.requests_for("chatty")) == 2
    assert items["plain"].status == "ok"
    assert report.failed == 1
    assert elapsed_s < 10
    assert store.summary(plan.run_id).settings.total_timeout_s == 1.0


def test_endless_output_stops_at_limit(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    server.plan("endless", Fault("endless_output", size_bytes=16 * 1024))
    suite = write_suite(tmp_path, ["endless", "plain"])

    plan, _ = run_new(store, catalog, suite, [endpoint(server)], LIMITED)

    items = items_by_prompt(store, plan.run_id)
    endless = items["endless"]
    assert endless.status == "failed"
    assert endless.output is None
    assert f"the output exceeds the limit of {LIMIT_BYTES} bytes" in (endless.error or "")
    assert "raise the limit with --max-output-bytes" in (endless.error or "")
    assert endless.attempts == 1  # the same output would overflow again
    assert len(server.requests_for("endless")) == 1
    assert items["plain"].status == "ok"
    assert store.summary(plan.run_id).settings.max_output_bytes == LIMIT_BYTES


def test_output_limit_counts_utf8_bytes(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    # "é" is 2 bytes in UTF-8: 50,001 of them are 100,002 bytes, 50,000 exactly the limit.
    server.plan("over", Fault(text="é" * 50_001))
    server.plan("at limit", Fault(text="é" * 50_000))
    server.plan("ascii at limit", Fault(text="x" * LIMIT_BYTES))
    suite = write_suite(tmp_path, ["over", "at limit", "ascii at limit"])

    plan, _ = run_new(store, catalog, suite, [endpoint(server)], LIMITED)

    items = items_by_prompt(store, plan.run_id)
    assert items["over"].status == "failed"
    assert "the output exceeds the limit" in (items["over"].error or "")
    assert items["at limit"].status == "ok", items["at limit"].error
    assert items["at limit"].output == "é" * 50_000
    assert items["ascii at limit"].status == "ok", items["ascii at limit"].error


def test_json_output_over_limit_fails(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    # 10 MB is beyond any JSON body whose output fits 100,000 bytes, so reading stops early.
    server.plan("huge", Fault("huge_json", size_bytes=10_000_000))
    server.plan("long", Fault("huge_json", size_bytes=LIMIT_BYTES + 1))
    server.plan("fits", Fault("huge_json", size_bytes=LIMIT_BYTES))
    suite = write_suite(tmp_path, ["huge", "long", "fits"])

    plan, _ = run_new(store, catalog, suite, [endpoint(server)], LIMITED)

    items = items_by_prompt(store, plan.run_id)
    assert items["huge"].status == "failed"
    assert "the JSON response is longer than 665536 bytes" in (items["huge"].error or "")
    assert items["huge"].attempts == 1
    assert items["long"].status == "failed"
    assert "the output exceeds the limit of 100000 bytes" in (items["long"].error or "")
    assert items["long"].attempts == 1
    assert items["fits"].status == "ok", items["fits"].error
    assert items["fits"].output == "x" * LIMIT_BYTES


def test_not_found_names_url_and_v1(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    root = server.base_url.removesuffix("/v1")
    suite = write_suite(tmp_path, ["q"])

    plan, _ = run_new(store, catalog, suite, [endpoint_at(root)])

    item = store.details(plan.run_id).items[0]
    error = item.error or ""
    assert item.status == "failed"
    assert error.startswith("HTTP 404 Not Found: not found;")
    assert f"no chat completions API at {root}/chat/completions" in error
    assert "check the endpoint's base_url, which usually ends in /v1" in error
    assert item.attempts == 1


def test_compressed_body_rejected(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    server.plan("zipped", Fault("gzip"))
    suite = write_suite(tmp_path, ["zipped"])

    plan, _ = run_new(store, catalog, suite, [endpoint(server)])

    item = store.details(plan.run_id).items[0]
    error = item.error or ""
    assert item.status == "failed"
    assert "compressed body (Content-Encoding: gzip)" in error
    assert "Accept-Encoding: identity" in error
    assert item.attempts == 1
    assert server.requests_for("zipped")[0].body["stream"] is True


def test_https_to_plain_server_hints_http(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    address = f"127.0.0.1:{server.port}"
    suite = write_suite(tmp_path, ["q"])

    plan, _ = run_new(store, catalog, suite, [endpoint_at(f"https://{address}/v1")])

    item = store.details(plan.run_id).items[0]
    error = item.error or ""
    assert item.status == "failed"
    assert f"the server at {address} did not speak TLS" in error
    assert f"use http://{address}/... in the endpoint's base_url" in error
    assert item.attempts == 1  # the scheme does not change on a retry
    assert server.records == []


def test_http_to_tls_server_hints_https(store: RunStore, catalog: Catalog, tmp_path: Path) -> None:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    tls_server = ChatServer(tls=context).start()
    try:
        plain_url = tls_server.base_url.replace("https://", "http://")
        suite = write_suite(tmp_path, ["q"])
        plan, _ = run_new(store, catalog, suite, [endpoint_at(plain_url)])
    finally:
        tls_server.stop()

    item = store.details(plan.run_id).items[0]
    error = item.error or ""
    assert item.status == "failed"
    assert "closed the connection without sending a response" in error
    assert f"if 127.0.0.1:{tls_server.port} serves HTTPS, use https://" in error


def test_settings_without_limits_load_defaults() -> None:
    # Settings as runs stored them before the total timeout and output limit existed.
    stored = {
        "concurrency": 4,
        "timeout_s": 120.0,
        "connect_timeout_s": 10.0,
        "retries": 2,
        "backoff_base_s": 0.5,
        "max_tokens": 2048,
        "temperature": None,
        "jitter_seed": 7,
    }

    settings = RunSettings.model_validate(stored)

    assert settings.total_timeout_s == 600.0
    assert settings.max_output_bytes == 4 * 1024 * 1024


def test_limits_change_on_resume() -> None:
    options = RunOptions(total_timeout_s=30.0, max_output_bytes=1000, max_tokens=5)

    transport = options.transport()

    assert transport["total_timeout_s"] == 30.0
    assert transport["max_output_bytes"] == 1000
    assert "max_tokens" not in transport
