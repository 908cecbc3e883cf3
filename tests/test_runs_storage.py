"""A run waits out a locked database, and stops with a clear error when it stays locked."""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.runs import execute
from modelvs.runs.errors import RunStorageError, StoredRunError
from modelvs.runs.execute import run_plan
from modelvs.runs.plan import RunOptions, plan_new_run
from modelvs.runs.store import RunStore
from modelvs.runs.suite import load_suite
from modelvs.store.db import make_engine, upgrade
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
    # Each answer takes about 0.2 s, much longer than a failed write (0.05 s).
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
    monkeypatch.setattr(execute, "STORE_RETRY_S", 1.0)
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
