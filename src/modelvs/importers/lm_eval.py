"""Read results files of lm-evaluation-harness (lm-eval) and lmms-eval.

Both write one JSON object per run: ``results`` maps each task to ``"metric,filter"`` keys
(plain ``metric`` keys in older versions) with ``"metric_stderr,filter"`` beside them, and the
run's options sit under ``config`` (``model_configs`` in lmms-eval before 0.2). Newer
versions add ``n-samples`` (items per task, original and effective), ``n-shot`` and
``group_subtasks``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from modelvs.importers.changes import Skipped
from modelvs.importers.errors import ImportInputError
from modelvs.importers.harness_map import Combine, TaskMap, TaskTable
from modelvs.importers.scores import HarnessRun, MetricResult

RESULTS_FILE = re.compile(r"^(results.*|.*_results)\.json$")
VERSION_KEYS = {"lm-eval": "lm_eval_version", "lmms-eval": "lmms_eval_version"}


def find_results_files(path: Path) -> list[Path]:
    """Return ``path`` itself, or every results file under it, oldest name first."""
    if path.is_file():
        return [path]
    found = sorted(p for p in path.rglob("*.json") if RESULTS_FILE.match(p.name))
    if not found:
        raise ImportInputError(
            f"no results file (results*.json or *_results.json) under {path};"
            " pass the run's output folder or its results file"
        )
    return found


def read_results(path: Path, table: TaskTable) -> list[HarnessRun]:
    return [read_results_file(file, table) for file in find_results_files(path)]


def read_results_file(path: Path, table: TaskTable) -> HarnessRun:
    """Read one results file into mapped metric results and unmapped tasks."""
    data = _load(path, table.harness)
    run = HarnessRun(_harness_name(data, table.harness), path)
    options = data.get("config") or data.get("model_configs") or {}
    limit = _number(options.get("limit")) if isinstance(options, dict) else None
    groups = data.get("group_subtasks") or {}
    subtasks = {name for members in groups.values() for name in members or []}
    hidden = 0

    for task, metrics in data["results"].items():
        if not isinstance(metrics, dict):
            continue
        entries = table.exact(task)
        if not entries:
            if task in subtasks or str(metrics.get("alias", "")).startswith((" ", "-")):
                hidden += 1  # a member of a group; the group's score is the one mapped
                continue
            run.unmapped.append(
                Skipped(
                    f"{path.name}: {task}",
                    f"not imported: no registry variant is mapped to {table.harness} task {task!r}",
                )
            )
            continue
        items, in_task = _samples(data, task)
        for entry in entries:
            if entry.variant is None:
                run.unmapped.append(
                    Skipped(f"{path.name}: {task}", f"not imported: {entry.reason}")
                )
                continue
            result = _read_metric(task, metrics, entry, run)
            if result is None:
                continue
            run.results.append(
                MetricResult(
                    task=task,
                    metric=result[0],
                    mapping=entry,
                    value=result[1],
                    unit=entry.unit,
                    stderr=result[2],
                    items=items,
                    items_in_task=in_task,
                    limit=limit,
                    shots=_shots(data, task),
                )
            )
    if hidden:
        run.unmapped.append(
            Skipped(f"{path.name}", f"{hidden} subtasks of groups were not imported on their own")
        )
    return run


def _load(path: Path, harness: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportInputError(f"{path} cannot be read as JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise ImportInputError(
            f"{path} has no 'results' object, so it is not a {harness} results file;"
            " pass the results JSON that the run wrote"
        )
    return data


def _harness_name(data: dict[str, Any], harness: str) -> str:
    version = data.get(VERSION_KEYS[harness])
    if version:
        return f"{harness} {version}"
    commit = data.get("git_hash")
    return f"{harness} commit {commit}" if commit else harness


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _read_metric(
    task: str, metrics: dict[str, Any], entry: TaskMap, run: HarnessRun
) -> tuple[str, float, float | None] | None:
    """Return (metric keys read, value, standard error) for ``entry``, or report why not."""
    found = []
    for spec in entry.metrics:
        key = _metric_key(metrics, spec)
        value = _number(metrics.get(key)) if key else None
        if key is None or value is None:
            reason = "is not in the file"
            if key is not None:
                reason = "has no value (a submission-only task?)"
            elif any(name.split(",")[0] in spec.split("|") for name in metrics):
                reason = "has several filters; the mapping must name one"
            run.unmapped.append(
                Skipped(f"{run.path.name}: {task}", f"not imported: metric {spec!r} {reason}")
            )
            return None
        found.append((key, value))

    keys = " + ".join(key for key, _ in found)
    if entry.combine is Combine.SUM:
        return keys, sum(value for _, value in found), None
    if entry.combine is Combine.MEAN:
        return keys, sum(value for _, value in found) / len(found), None
    key, value = found[0]
    return key, value, _stderr(metrics, key)


def _metric_key(metrics: dict[str, Any], spec: str) -> str | None:
    """Find the key for ``spec`` (``name``, ``name,filter`` or ``a|b``); when a name has
    several filters and none is pinned, prefer ``none``."""
    for alternative in spec.split("|"):
        name, _, wanted = alternative.partition(",")
        keys = [
            key
            for key in metrics
            if key.split(",")[0] == name and (not wanted or key.partition(",")[2] == wanted)
        ]
        if len(keys) == 1:
            return keys[0]
        if f"{name},none" in keys:
            return f"{name},none"
    return None


def _stderr(metrics: dict[str, Any], key: str) -> float | None:
    name, comma, filter_name = key.partition(",")
    value = _number(metrics.get(f"{name}_stderr{comma}{filter_name}"))
    return value if value is not None and value >= 0 else None


def _samples(data: dict[str, Any], task: str) -> tuple[int | None, int | None]:
    """Return (effective, original) item counts of ``task``, summing a group's members."""
    counts = data.get("n-samples") or {}
    groups = data.get("group_subtasks") or {}

    def walk(name: str, seen: frozenset[str]) -> tuple[int, int] | None:
        entry = counts.get(name)
        if isinstance(entry, dict):
            effective, original = entry.get("effective"), entry.get("original")
            if isinstance(effective, int) and isinstance(original, int):
                return effective, original
        members = groups.get(name)
        if not members or name in seen:
            return None
        total_effective = total_original = 0
        for member in members:
            found = walk(member, seen | {name})
            if found is None:
                return None
            total_effective += found[0]
            total_original += found[1]
        return total_effective, total_original

    found = walk(task, frozenset())
    return (found[0], found[1]) if found else (None, None)


def _shots(data: dict[str, Any], task: str, seen: frozenset[str] = frozenset()) -> int | None:
    """Return the task's few-shot count, or a group's when all its members agree."""
    shots = data.get("n-shot") or {}
    value = _number(shots.get(task))
    if value is not None:
        return int(value)
    config = (data.get("configs") or {}).get(task)
    if isinstance(config, dict) and _number(config.get("num_fewshot")) is not None:
        return int(config["num_fewshot"])
    members = (data.get("group_subtasks") or {}).get(task) or []
    if task in seen:
        return None
    found = {_shots(data, member, seen | {task}) for member in members}
    if len(found) == 1:
        return found.pop()
    return None
