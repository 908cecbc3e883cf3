"""Harness results to catalog scores: scale detection, partial runs and existing scores."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelvs.catalog.schema import Variant
from modelvs.importers.changes import (
    CatalogEdit,
    Conflict,
    ImportReport,
    ModelFile,
    Skipped,
    SourceSpec,
)
from modelvs.importers.harness_map import TaskMap, Unit


@dataclass(frozen=True, slots=True)
class MetricResult:
    """One value read from a results file, before it is put on the variant's scale."""

    task: str
    metric: str
    mapping: TaskMap
    value: float
    unit: Unit
    stderr: float | None = None
    items: int | None = None  # items evaluated, when the file gives the count
    items_in_task: int | None = None  # items in the harness's copy of the task
    limit: float | None = None  # the run's --limit: a count, or a share when below 1
    shots: int | None = None
    judge: str | None = None


@dataclass
class HarnessRun:
    """The results of one results file (or one VLMEvalKit result file)."""

    harness: str
    path: Path
    results: list[MetricResult] = field(default_factory=list)
    unmapped: list[Skipped] = field(default_factory=list)


def to_variant_scale(value: float, unit: Unit, scale_max: float) -> tuple[float, Unit]:
    """Put ``value`` on the variant's scale; return it with the unit it was read as.

    ``AUTO`` reads a value of at most 1 as a fraction, a value of at most 100 as a percent,
    and anything larger as already on the variant's scale (an OCRBench count out of 1000).
    """
    if unit is Unit.AUTO:
        if value <= 1.0:
            unit = Unit.FRACTION
        elif value <= 100.0:
            unit = Unit.PERCENT
        else:
            unit = Unit.RAW
    factor = {Unit.FRACTION: scale_max, Unit.PERCENT: scale_max / 100, Unit.RAW: 1.0}[unit]
    return value * factor, unit


def scale_factor(unit: Unit, scale_max: float) -> float:
    return {Unit.FRACTION: scale_max, Unit.PERCENT: scale_max / 100}.get(unit, 1.0)


def apply_results(
    edit: CatalogEdit,
    slug: str,
    runs: list[HarnessRun],
    spec: SourceSpec,
    report: ImportReport,
) -> None:
    """Stage the scores of ``runs`` on model ``slug``; a later run replaces an earlier one
    on the same variant and setting."""
    model = edit.model(slug)
    chosen: dict[str, tuple[HarnessRun, MetricResult, dict[str, Any]]] = {}
    for run in runs:
        report.skipped.extend(run.unmapped)
        for result in run.results:
            score = _score(edit, model, run, result, report)
            if score is None:
                continue
            key = f"{score['variant']} {sorted(score.get('setting', {}).items())}"
            if key in chosen:
                earlier = chosen[key][0].path
                report.skip(f"{earlier}: {result.task}", f"replaced by the newer {run.path}")
            chosen[key] = (run, result, score)
    for _, _, score in chosen.values():
        _stage(model, score, spec, report)


def _score(
    edit: CatalogEdit, model: ModelFile, run: HarnessRun, result: MetricResult, report: ImportReport
) -> dict[str, Any] | None:
    """Build the score record, or report why the result is skipped."""
    variant_id = result.mapping.variant or ""
    item = f"{run.path.name}: {result.task} -> {variant_id}"
    ref = edit.catalog.variants.get(variant_id)
    if ref is None:
        report.skip(item, f"variant {variant_id!r} is not in benchmarks.yaml; add it first")
        return None

    variant = ref.variant
    value, unit = to_variant_scale(result.value, result.unit, variant.scale_max)
    items, partial = _partial_run(result, variant)
    if partial and (items is None or not variant.per_item_mean):
        why = "its item count is unknown" if items is None else f"{variant.metric} is not a mean"
        report.skip(item, f"partial run ({partial}) not imported because {why}")
        return None
    if partial and items and variant.items and result.mapping.divides_by_full_set:
        value *= variant.items / items
    if not 0 <= value <= variant.scale_max:
        report.skip(
            item,
            f"{result.value:g} read as {unit.value} gives {value:g}, outside 0-"
            f"{variant.scale_max:g}; the scale could not be detected",
        )
        return None

    if partial:
        report.notes.append(
            f"{model.relative}: {variant.id}: partial run ({partial}); stored with items:"
            f" {items} so the verdict leaves it out"
        )
    return _record(run, result, variant, value, unit, items if partial else None, partial)


def _record(
    run: HarnessRun,
    result: MetricResult,
    variant: Variant,
    value: float,
    unit: Unit,
    items: int | None,
    partial: str | None,
) -> dict[str, Any]:
    """Return the score as written to the model file; ``source`` is filled in by ``_stage``."""
    setting = {
        "shots": result.shots,
        "chain_of_thought": result.mapping.chain_of_thought,
        "judge": result.judge,
        "harness": run.harness,
    }
    score: dict[str, Any] = {"variant": variant.id, "value": round(value, 2)}
    score["setting"] = {name: entry for name, entry in setting.items() if entry is not None}
    score["source"] = None
    if items is not None:
        score["items"] = items

    stderr = None
    if result.stderr is not None:
        stderr = round(result.stderr * scale_factor(unit, variant.scale_max), 3)
    note = (
        f"{run.harness} task {result.task}, metric {result.metric}:"
        f" {result.value:g} as {unit.value}"
    )
    if partial:
        # NOTE: the comparison engine builds an interval from two published standard errors
        # without looking at items, so a partial run keeps its standard error in the note only.
        note += f"; partial run ({partial})"
        if stderr is not None:
            note += f", standard error {stderr:g}"
    elif stderr is not None:
        score["stderr"] = stderr
    score["note"] = note
    return score


def _partial_run(result: MetricResult, variant: Variant) -> tuple[int | None, str | None]:
    """Return (items evaluated, why the run is partial), or (None, None) for a full run."""
    items = result.items
    reason = None
    if items is not None and result.items_in_task is not None:
        if items < result.items_in_task:
            limit = f"--limit {result.limit:g}, " if result.limit is not None else ""
            reason = f"{limit}{items} of the task's {result.items_in_task} items"
    elif result.limit is not None:
        reason = f"--limit {result.limit:g}"
        if items is None and result.limit >= 1:
            items = int(result.limit)
        elif items is None and variant.items:
            # A share below 1 selects ceil(share x size) items (lm-eval and lmms-eval).
            items = math.ceil(result.limit * variant.items)
    if reason is None and items and variant.items and items < variant.items:
        reason = f"{items} items, fewer than the variant's {variant.items}"
    if reason is None or (items is not None and variant.items and items >= variant.items):
        return None, None  # a full run, or a limit of at least the whole variant
    return items, reason


def _stage(model: ModelFile, score: dict[str, Any], spec: SourceSpec, report: ImportReport) -> None:
    """Write ``score``: skip an equal one from the same source, replace a different one from
    the same source, and list scores from other sources that disagree."""
    scores = model.doc.get(["scores"]) or []
    name = f"{model.relative}: scores {score['variant']}"
    for index, existing in enumerate(scores):
        same_place = (
            existing.get("variant") == score["variant"]
            and (existing.get("setting") or {}) == score["setting"]
        )
        if not (same_place and model.cites(existing.get("source"), spec)):
            continue
        updated = {**score, "source": existing["source"]}
        if updated == existing:
            report.skip(name, "the catalog already has this score")
            return
        model.cite(spec)
        model.doc.replace_item(["scores"], index, updated)
        report.changed += 1
        return

    for existing in scores:
        if existing.get("variant") == score["variant"] and existing.get("value") != score["value"]:
            report.conflicts.append(
                Conflict(
                    model.relative,
                    f"scores {score['variant']}",
                    existing.get("value"),
                    model.describe_source(existing.get("source")),
                    score["value"],
                    spec.describe(),
                    "both kept as separate sources; compare the settings before trusting either",
                )
            )
    score["source"] = model.cite(spec)
    model.doc.append(["scores"], score)
    report.added += 1
