"""A run waits out a locked database, and stops with a clear error when it stays locked."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import math
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine

from modelvs.catalog.catalog import Catalog
from modelvs.runs import writer
from modelvs.runs.errors import RunStorageError, StoredRunError
from modelvs.runs.execute import execute_plan, run_plan
from modelvs.runs.plan import RunOptions, plan_new_run
from modelvs.runs.records import ItemResult
from modelvs.runs.store import RunStore
from modelvs.runs.suite import load_suite
from modelvs.runs.writer import ResultWriter
from modelvs.store.db import DatabaseOpenError, make_engine, upgrade
from tests.runs_server import running_server
from tests.runs_support import FAST, endpoint, run_resume, write_suite

PROMPTS = ["first", "second", "third", "fourth"]
ONE_AT_A_TIME = RunOptions(concurrency=1, timeout_s=5.0, retries=0)


def sqlite_store(tmp_path: Path) -> RunStore:
    # A short busy timeout, so a write fails fast while another connection holds the lock.
    engine = make_engine(f"sqlite:///{tmp_path / 'runs.sqlite3'}", sqlite_busy_timeout_s=0.05)
    upgrade(engine)
    return RunStore(engine)


@contextmanager
def write_lock(tmp_path: Path) -> Iterator[None]:
    """Hold SQLite's write lock from another connection, as another process would."""
    connection = sqlite3.connect(tmp_path / "runs.sqlite3", isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def test_run_waits_out_a_locked_database(
    tmp_path: Path, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    store = sqlite_store(tmp_path)
    suite = write_suite(tmp_path, PROMPTS)
    # Each response takes about 0.2 s, much longer than a failed write (0.05 s).
    with running_server(chunks=4, chunk_delay_s=0.05) as server:
        plan = plan_new_run(store, catalog, load_suite(suite), [endpoint(server)], ONE_AT_A_TIME)
        with write_lock(tmp_path):
            runner = threading.Thread(target=run_plan, args=(plan, store), daemon=True)
            runner.start()
            time.sleep(1.5)
            # The first result cannot be written; the one worker sends one more request while
            # it waits, then no new request until the database takes writes again.
            sent_while_locked = len(server.records)
        runner.join(timeout=30)

    assert sent_while_locked == 2
    assert not runner.is_alive()
    summary = store.summary(plan.run_id)
    assert (summary.items_ok, summary.items_failed) == (len(PROMPTS), 0)
    assert "pausing new requests" in caplog.text
    store.engine.dispose()


def test_run_stops_when_the_database_stays_locked(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "STORE_RETRY_S", 1.0)
    store = sqlite_store(tmp_path)
    suite = write_suite(tmp_path, PROMPTS)
    with running_server() as server:
        plan = plan_new_run(store, catalog, load_suite(suite), [endpoint(server)], FAST)
        with write_lock(tmp_path), pytest.raises(RunStorageError) as caught:
            run_plan(plan, store, show_progress=False)

        message = str(caught.value)
        assert "cannot store finished items in sqlite:///" in message
        assert "database is locked" in message
        assert f"--resume {plan.run_id}" in message
        assert store.summary(plan.run_id).items_ok == 0

        # Once the lock is gone, resuming sends the items again and stores all of them.
        _, report = run_resume(store, suite, plan.run_id)
    assert report.ok == len(PROMPTS)
    assert store.summary(plan.run_id).items_ok == len(PROMPTS)
    store.engine.dispose()


def test_stored_settings_that_are_invalid_now(tmp_path: Path, catalog: Catalog) -> None:
    store = sqlite_store(tmp_path)
    suite = write_suite(tmp_path, PROMPTS)
    with running_server() as server:
        plan = plan_new_run(store, catalog, load_suite(suite), [endpoint(server)], FAST)
    # Older versions accepted an infinite temperature, and SQLite's JSON stores it.
    settings = json.dumps(plan.settings.model_dump() | {"temperature": math.inf})
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE runs SET settings = ?", (settings,))

    with pytest.raises(StoredRunError, match=f"run {plan.run_id} has stored settings"):
        store.summary(plan.run_id)
    store.engine.dispose()


class SlowStore(RunStore):
    """A store whose first write takes 0.3 s, and which records the size of every write."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.batches: list[int] = []

    def record_items(self, run_id: int, results: Sequence[ItemResult]) -> None:
        if not self.batches:
            time.sleep(0.3)
        self.batches.append(len(results))
        super().record_items(run_id, results)


def test_writer_batches_results_during_write(tmp_path: Path, catalog: Catalog) -> None:
    store = SlowStore(sqlite_store(tmp_path).engine)
    prompts = [f"prompt {index}" for index in range(12)]
    suite = write_suite(tmp_path, prompts)
    with running_server() as server:
        options = RunOptions(concurrency=4, timeout_s=5.0, retries=0)
        plan = plan_new_run(store, catalog, load_suite(suite), [endpoint(server)], options)
        report = run_plan(plan, store, show_progress=False)

    assert report.ok == len(prompts)
    assert sum(store.batches) == len(prompts)
    # Every response takes about a millisecond, so the others finish during the first write.
    assert store.batches[0] <= 4
    assert len(store.batches) <= 3
    assert store.summary(plan.run_id).items_ok == len(prompts)
    store.engine.dispose()


def test_shutdown_writes_results_not_yet_written(tmp_path: Path, catalog: Catalog) -> None:
    store = sqlite_store(tmp_path)
    suite = write_suite(tmp_path, PROMPTS)
    with running_server() as server:
        plan = plan_new_run(store, catalog, load_suite(suite), [endpoint(server)], FAST)
    finished = ItemResult(
        prompt_id="p0",
        endpoint_name="local",
        model_slug="beta-4b",
        status="ok",
        output="answer",
        attempts=1,
        finished_at=dt.datetime.now(dt.UTC),
    )

    async def cancelled_before_writing() -> None:
        # A run cancelled (Ctrl-C) after a result finished, before its write began.
        results = ResultWriter(store, plan.run_id, lambda failed: None)
        results.add(finished)
        assert results.shutdown() == 0

    asyncio.run(cancelled_before_writing())
    assert store.summary(plan.run_id).items_ok == 1
    store.engine.dispose()


def test_interrupt_while_locked_reports_unstored_items(tmp_path: Path, catalog: Catalog) -> None:
    store = sqlite_store(tmp_path)
    suite = write_suite(tmp_path, PROMPTS)
    with running_server() as server:
        plan = plan_new_run(store, catalog, load_suite(suite), [endpoint(server)], FAST)

        async def interrupted() -> None:
            run = asyncio.create_task(execute_plan(plan, store, {"local": None}, False))
            while len(server.records) < len(PROMPTS):
                await asyncio.sleep(0.01)
            # Let the writer meet the lock before the interrupt, as Ctrl-C would.
            await asyncio.sleep(0.3)
            run.cancel()
            await run

        with write_lock(tmp_path), pytest.raises(RunStorageError) as caught:
            asyncio.run(interrupted())

    message = str(caught.value)
    assert f"run {plan.run_id} was interrupted, and {len(PROMPTS)} finished items" in message
    assert "database is locked" in message
    assert store.summary(plan.run_id).items_ok == 0
    store.engine.dispose()


def test_interrupt_stores_finished_items(tmp_path: Path, catalog: Catalog) -> None:
    store = sqlite_store(tmp_path)
    suite = write_suite(tmp_path, PROMPTS)
    # Slow responses, so that the interrupt comes while some are still streaming.
    with running_server(chunks=10, chunk_delay_s=0.05) as server:
        options = RunOptions(concurrency=2, timeout_s=5.0, retries=0)
        plan = plan_new_run(store, catalog, load_suite(suite), [endpoint(server)], options)

        async def interrupted() -> None:
            run = asyncio.create_task(execute_plan(plan, store, {"local": None}, False))
            await asyncio.sleep(0.8)
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run

        asyncio.run(interrupted())
        finished = [record for record in server.records if record.finished_at_s is not None]

    summary = store.summary(plan.run_id)
    assert 0 < summary.items_ok < len(PROMPTS)
    assert summary.items_ok == len(finished)
    store.engine.dispose()


def test_locked_database_at_start_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    sqlite_store(tmp_path).engine.dispose()
    # A new revision to apply needs the write lock: drop the record of the applied ones.
    with sqlite3.connect(tmp_path / "runs.sqlite3") as connection:
        connection.execute("DELETE FROM alembic_version")
    engine = make_engine(url, sqlite_busy_timeout_s=0.05)
    with write_lock(tmp_path), pytest.raises(DatabaseOpenError) as caught:
        upgrade(engine)
    assert "cannot update the schema of the database" in str(caught.value)
    assert "database is locked" in str(caught.value)
    engine.dispose()
