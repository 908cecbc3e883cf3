"""A run killed with SIGKILL keeps its finished items and resumes without repeating them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.runs.endpoints import EndpointsFile
from modelvs.runs.errors import ResumeMismatchError
from modelvs.runs.execute import run_plan
from modelvs.runs.plan import RunOptions, plan_resume
from modelvs.runs.suite import load_suite
from tests.conftest import FIXTURE_CATALOG
from tests.runs_server import running_server
from tests.runs_support import FAST, endpoint, open_store, run_new, write_suite

PROMPTS = [f"question number {index}" for index in range(8)]
MODELVS = [sys.executable, "-c", "from modelvs.cli import main; main()"]
WAIT_S = 60


def modelvs(database_url: str, registry: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, MODELVS_DATABASE_URL=database_url)
    command = [*MODELVS, "--data", str(FIXTURE_CATALOG), *args, "--endpoints-file", str(registry)]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_killed_run_resumes_without_repeats(database_url: str, tmp_path: Path) -> None:
    store = open_store(database_url)
    suite = write_suite(tmp_path, PROMPTS)
    registry = tmp_path / "endpoints.yaml"
    # Four chunks 100 ms apart: each item takes about 0.4 s, so the kill lands mid-run.
    with running_server(chunks=4, chunk_delay_s=0.1) as server:
        registry.write_text(
            f"endpoints:\n- {{name: local, base_url: '{server.base_url}', model: m,"
            " catalog_model: beta-4b}\n"
        )
        first = modelvs(
            database_url, registry, "run", str(suite), "--endpoints", "local",
            "--concurrency", "1", "--no-progress",
        )  # fmt: skip
        deadline = time.monotonic() + WAIT_S
        finished: set[tuple[str, str]] = set()
        while len(finished) < 3:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the run stored no 3 items in time"
            time.sleep(0.05)
            runs = store.list_runs()
            finished = store.finished_ok(runs[0].id) if runs else set()
        first.send_signal(signal.SIGKILL)
        first.communicate()
        run_id = store.list_runs()[0].id

        stored_after_kill = store.finished_ok(run_id)
        assert finished <= stored_after_kill  # every item committed before the kill survived it
        assert len(stored_after_kill) < len(PROMPTS), (
            "the run finished before the kill; slow the server"
        )
        requests_before = len(server.records)

        second = modelvs(
            database_url, registry, "run", str(suite), "--resume", str(run_id), "--no-progress"
        )
        _, stderr = second.communicate(timeout=WAIT_S)
        assert second.returncode == 0, stderr

    prompt_text = {f"p{index}": text for index, text in enumerate(PROMPTS)}
    for prompt_id, _ in stored_after_kill:
        assert len(server.requests_for(prompt_text[prompt_id])) == 1, prompt_id
    summary = store.summary(run_id)
    assert summary.items_ok == len(PROMPTS)
    assert summary.items_missing == 0
    # Only items that had not finished were sent again: at most one was in flight at the kill.
    resent = len(server.records) - requests_before
    assert resent == len(PROMPTS) - len(stored_after_kill)
    assert requests_before <= len(stored_after_kill) + 1
    store.engine.dispose()


def test_resume_rejects_changed_suite(database_url: str, tmp_path: Path, catalog: Catalog) -> None:
    store = open_store(database_url)
    with running_server() as server:
        suite = write_suite(tmp_path, ["a", "b"])
        plan, _ = run_new(store, catalog, suite, [endpoint(server)])
    write_suite(tmp_path, ["a", "b changed"])

    with pytest.raises(ResumeMismatchError, match="resume with the unchanged suite file"):
        plan_resume(store, load_suite(suite), plan.run_id, None, RunOptions())
    store.engine.dispose()


@pytest.mark.parametrize(
    ("names", "options", "message"),
    [
        (["other"], RunOptions(), "used the endpoints local, not other"),
        (None, RunOptions(max_tokens=5), "--max-tokens 2048, not 5"),
        (None, RunOptions(temperature=0.5), "--temperature unset, not 0.5"),
        (None, RunOptions(seed=3), "--seed unset, not 3"),
    ],
)
def test_resume_rejects_other_settings(
    database_url: str,
    tmp_path: Path,
    catalog: Catalog,
    names: list[str] | None,
    options: RunOptions,
    message: str,
) -> None:
    store = open_store(database_url)
    with running_server() as server:
        suite = write_suite(tmp_path, ["a"])
        plan, _ = run_new(store, catalog, suite, [endpoint(server)], RunOptions())

    with pytest.raises(ResumeMismatchError, match=message):
        plan_resume(store, load_suite(suite), plan.run_id, names, options)
    store.engine.dispose()


def test_resume_may_change_transport(database_url: str, tmp_path: Path, catalog: Catalog) -> None:
    store = open_store(database_url)
    with running_server() as server:
        suite = write_suite(tmp_path, ["a"])
        plan, _ = run_new(store, catalog, suite, [endpoint(server)], RunOptions(seed=11))

    resumed = plan_resume(
        store, load_suite(suite), plan.run_id, ["local"], RunOptions(concurrency=9, seed=11)
    )
    assert resumed.settings.concurrency == 9
    assert store.summary(plan.run_id).settings.concurrency == 9
    assert resumed.seed == 11
    store.engine.dispose()


def test_interrupted_run_prints_resume_hint(database_url: str, tmp_path: Path) -> None:
    store = open_store(database_url)
    suite = write_suite(tmp_path, PROMPTS)
    registry = tmp_path / "endpoints.yaml"
    with running_server(chunks=4, chunk_delay_s=0.1) as server:
        registry.write_text(
            f"endpoints:\n- {{name: local, base_url: '{server.base_url}', model: m,"
            " catalog_model: beta-4b}\n"
        )
        run = modelvs(
            database_url, registry, "run", str(suite), "--endpoints", "local",
            "--concurrency", "1", "--no-progress",
        )  # fmt: skip
        deadline = time.monotonic() + WAIT_S
        while not store.list_runs() or store.summary(store.list_runs()[0].id).items_ok < 1:
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "the run stored no item in time"
            time.sleep(0.05)
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=WAIT_S)

    run_id = store.list_runs()[0].id
    assert run.returncode == 130
    assert f"every finished item of run {run_id} is stored" in stderr
    assert f"--resume {run_id}" in stderr
    assert "Traceback" not in stderr
    assert store.summary(run_id).items_ok < len(PROMPTS)
    store.engine.dispose()


def test_resume_sends_to_the_current_base_url(
    database_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    store = open_store(database_url)
    suite = write_suite(tmp_path, ["a", "b"])
    with running_server() as first:
        moved = endpoint(first)
    # The first server is gone, so every item of the new run fails to connect.
    plan, report = run_new(store, catalog, suite, [moved], FAST)
    assert report.failed == 2

    with running_server() as second:
        registry = EndpointsFile(endpoints=[endpoint(second)])
        resumed = plan_resume(store, load_suite(suite), plan.run_id, None, FAST, registry)
        run_plan(resumed, store, show_progress=False)
        assert len(second.records) == 2

    assert resumed.endpoints[0].base_url == second.base_url
    assert store.summary(plan.run_id).endpoints[0].base_url == second.base_url
    assert store.summary(plan.run_id).items_ok == 2
    store.engine.dispose()


def test_resume_rejects_an_endpoint_now_serving_another_model(
    database_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    store = open_store(database_url)
    with running_server() as server:
        suite = write_suite(tmp_path, ["a"])
        plan, _ = run_new(store, catalog, suite, [endpoint(server)])
        changed = endpoint(server).model_copy(update={"model": "another-model"})

    with pytest.raises(ResumeMismatchError, match="now gives model 'another-model'"):
        plan_resume(
            store, load_suite(suite), plan.run_id, None, FAST, EndpointsFile(endpoints=[changed])
        )
    store.engine.dispose()


def test_resume_keeps_an_endpoint_removed_from_the_registry(
    database_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    store = open_store(database_url)
    with running_server() as server:
        suite = write_suite(tmp_path, ["a"])
        plan, _ = run_new(store, catalog, suite, [endpoint(server)])

    resumed = plan_resume(store, load_suite(suite), plan.run_id, None, FAST, EndpointsFile())
    assert resumed.endpoints == store.summary(plan.run_id).endpoints
    assert resumed.endpoints[0].base_url == server.base_url
    store.engine.dispose()
