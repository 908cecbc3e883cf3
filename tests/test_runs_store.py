"""Run storage on SQLite and PostgreSQL: the migration, item upserts and summaries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from modelvs.runs.records import ItemResult, RunEndpoint, RunSettings
from modelvs.runs.store import RunStore
from modelvs.runs.suite import load_suite
from modelvs.store.runs_tables import RunItemRow, RunPromptRow, RunRow
from tests.runs_support import open_store, write_suite

ENDPOINTS = [
    RunEndpoint(
        name=name, base_url="http://127.0.0.1:1/v1", model="m", api_key_env=None,
        catalog_model="beta-4b", price=None,
    )
    for name in ("a", "b")
]  # fmt: skip


@pytest.fixture
def store(database_url: str) -> Iterator[RunStore]:
    run_store = open_store(database_url)
    yield run_store
    run_store.engine.dispose()


def item(prompt_id: str, endpoint: str, status: str, attempts: int = 1) -> ItemResult:
    return ItemResult(
        prompt_id=prompt_id,
        endpoint_name=endpoint,
        model_slug="beta-4b",
        status=status,
        output="text" if status == "ok" else None,
        error=None if status == "ok" else "HTTP 500",
        attempts=attempts,
        finished_at=dt.datetime.now(dt.UTC),
    )


def test_migration_matches_tables(store: RunStore) -> None:
    inspector = inspect(store.engine)
    for table in (RunRow.__table__, RunPromptRow.__table__, RunItemRow.__table__):
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        assert columns == {column.name for column in table.columns}, table.name
    indexes = {index["name"] for index in inspector.get_indexes("run_items")}
    assert "ix_run_items_model_finished" in indexes


def test_item_upsert_adds_attempts(store: RunStore, tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path, ["x", "y"]))
    run_id = store.create_run(suite, ENDPOINTS, RunSettings(), seed=None)

    store.record_item(run_id, item("p0", "a", "failed", attempts=3))
    assert store.finished_ok(run_id) == set()
    store.record_item(run_id, item("p0", "a", "ok", attempts=1))
    store.record_item(run_id, item("p1", "b", "failed"))

    details = store.details(run_id)
    assert [(i.prompt_id, i.endpoint_name, i.status) for i in details.items] == [
        ("p0", "a", "ok"),
        ("p1", "b", "failed"),
    ]
    assert details.items[0].attempts == 4
    assert details.items[0].error is None
    assert store.finished_ok(run_id) == {("p0", "a")}


def test_summary_counts(store: RunStore, tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path, ["x", "y", "z"]))
    first = store.create_run(suite, ENDPOINTS, RunSettings(), seed=7)
    second = store.create_run(suite, ENDPOINTS[:1], RunSettings(concurrency=2), seed=None)
    store.record_item(first, item("p0", "a", "ok"))
    store.record_item(first, item("p1", "a", "failed"))

    runs = store.list_runs()

    assert [run.id for run in runs] == [second, first]
    summary = runs[1]
    assert (summary.items_total, summary.items_ok, summary.items_failed) == (6, 1, 1)
    assert summary.items_missing == 4
    assert summary.seed == 7
    assert summary.suite_hash == suite.hash
    assert summary.created_at.tzinfo is not None
    assert runs[0].settings.concurrency == 2
    assert runs[0].endpoints == ENDPOINTS[:1]


def test_finished_at_utc(store: RunStore, tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path, ["x"]))
    run_id = store.create_run(suite, ENDPOINTS, RunSettings(), seed=None)
    written = item("p0", "a", "ok")
    store.record_item(run_id, written)

    read = store.details(run_id).items[0]

    assert read.finished_at == written.finished_at
    assert read.finished_at.utcoffset() == dt.timedelta(0)


def test_prompts_stored_with_run(store: RunStore, tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path, ["first", "second"]))
    run_id = store.create_run(suite, ENDPOINTS, RunSettings(), seed=None)

    prompts = store.details(run_id).prompts

    assert [(p.prompt_id, p.text, p.position) for p in prompts] == [
        ("p0", "first", 0),
        ("p1", "second", 1),
    ]
    assert prompts[0].prompt_hash == suite.prompts[0].hash
