"""Helpers shared by the runs tests: suites in temporary folders and runs through the API."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from modelvs.catalog.catalog import Catalog
from modelvs.runs.endpoints import Endpoint
from modelvs.runs.execute import RunReport, run_plan
from modelvs.runs.plan import RunOptions, RunPlan, plan_new_run, plan_resume
from modelvs.runs.store import RunStore
from modelvs.runs.suite import load_suite
from modelvs.store.db import make_engine, upgrade
from tests.runs_server import ChatServer

# Fast settings for fault tests: short timeouts and near-zero backoff.
FAST = RunOptions(
    concurrency=4, timeout_s=0.5, connect_timeout_s=2.0, retries=2, backoff_base_s=0.01
)


def write_suite(folder: Path, prompts: Sequence[str], suite_id: str = "test-suite") -> Path:
    """Write a text-only suite whose prompt ids are p0, p1, ... and return its path."""
    data: dict[str, Any] = {
        "id": suite_id,
        "prompts": [
            {"id": f"p{index}", "category": "test", "text": text}
            for index, text in enumerate(prompts)
        ],
    }
    path = folder / f"{suite_id}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def endpoint(
    server: ChatServer,
    name: str = "local",
    catalog_model: str = "beta-4b",
    api_key_env: str | None = None,
) -> Endpoint:
    return Endpoint(
        name=name,
        base_url=server.base_url,
        model=f"served-{name}",
        api_key_env=api_key_env,
        catalog_model=catalog_model,
    )


def open_store(database_url: str) -> RunStore:
    engine = make_engine(database_url)
    upgrade(engine)
    return RunStore(engine)


def run_new(
    store: RunStore,
    catalog: Catalog,
    suite_path: Path,
    endpoints: Sequence[Endpoint],
    options: RunOptions = FAST,
) -> tuple[RunPlan, RunReport]:
    plan = plan_new_run(store, catalog, load_suite(suite_path), endpoints, options)
    return plan, run_plan(plan, store, show_progress=False)


def run_resume(
    store: RunStore, suite_path: Path, run_id: int, options: RunOptions = FAST
) -> tuple[RunPlan, RunReport]:
    plan = plan_resume(store, load_suite(suite_path), run_id, None, options)
    return plan, run_plan(plan, store, show_progress=False)
