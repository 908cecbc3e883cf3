"""Benchmark results of a pair: shared comparable variants, single-model scores, exclusions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from modelvs.catalog.catalog import Catalog, VariantRef
from modelvs.catalog.schema import Direction, Model, Score, Setting, Variant
from modelvs.compare.facts import source_ref
from modelvs.compare.model import (
    LeftOut,
    ScoreValue,
    SharedScore,
    SingleScore,
    SourceRef,
    TableRow,
)
from modelvs.identity_cache import IdentityCache
from modelvs.stats.significance import (
    Z_95,
    Difference,
    binomial_difference,
    proportion_interval,
    stderr_difference,
)

UNSPECIFIED = "unspecified"


@dataclass(frozen=True, slots=True)
class PairScores:
    """The benchmark part of one pair's comparison."""

    shared: list[SharedScore]
    only_one: list[SingleScore]
    left_out: list[LeftOut]


def describe_setting(setting: Setting) -> str:
    parts = []
    if setting.shots is not None:
        parts.append(f"{setting.shots}-shot")
    if setting.chain_of_thought is not None:
        parts.append("chain-of-thought" if setting.chain_of_thought else "no chain-of-thought")
    if setting.thinking is not None:
        parts.append("thinking mode" if setting.thinking else "thinking off")
    if setting.judge:
        parts.append(f"judged by {setting.judge}")
    if setting.harness:
        parts.append(f"via {setting.harness}")
    return ", ".join(parts) if parts else "setting not stated"


def score_value(model: Model, score: Score, variant: Variant) -> ScoreValue:
    """Convert a score to its 0-100 display value; the raw value keeps the variant's scale."""
    # Scores, variants and sources are frozen, so later comparisons reuse a converted score.
    # The value depends on the score, its model's sources and the variant's scale.
    key = (model.slug, variant.scale_max, variant.per_item_mean, variant.items)
    cached = _converted.get(score, *key)
    if cached is not None:
        return cached
    source = source_ref(model, score.source)
    assert source is not None, "catalog checks guarantee that every score source exists"
    value = _score_value(score, variant.scale_max, variant.per_item_mean, variant.items, source)
    return _converted.put(score, value, *key)


_converted: IdentityCache[ScoreValue] = IdentityCache()


def _score_value(
    score: Score, scale_max: float, per_item_mean: bool, items: int | None, source: SourceRef
) -> ScoreValue:
    if scale_max == 100:
        text = f"{score.value:.1f}"
    else:
        text = f"{score.value:,.6g} / {scale_max:,.0f}"
    low, high = _score_interval(score, scale_max, per_item_mean, items)
    return ScoreValue(
        raw=score.value,
        display=round(score.value / scale_max * 100, 4),
        low=low,
        high=high,
        text=text,
        setting=describe_setting(score.setting),
        source=source,
    )


def _score_interval(
    score: Score, scale_max: float, per_item_mean: bool, variant_items: int | None
) -> tuple[float | None, float | None]:
    if not per_item_mean:
        return None, None
    p = score.value / scale_max
    if score.stderr is not None:
        half = Z_95 * score.stderr / scale_max
        return round(max(0.0, p - half) * 100, 4), round(min(1.0, p + half) * 100, 4)
    items = score.items or variant_items
    if items is None:
        return None, None
    low, high = proportion_interval(p, items)
    return round(low * 100, 4), round(high * 100, 4)


def incompatibility(a: Setting, b: Setting) -> str | None:
    """Return why two settings cannot be compared, or ``None`` when they can.

    Thinking mode and chain-of-thought change scores a lot, so a score that used one is never
    compared with a score whose source does not say. Shots, judge and harness only conflict
    when both sources state them and they differ.
    """
    for name in ("thinking", "chain_of_thought"):
        value_a, value_b = getattr(a, name), getattr(b, name)
        label = name.replace("_", "-")
        if value_a != value_b and (value_a or value_b):
            return f"{label} differs ({_flag(value_a)} vs {_flag(value_b)})"
    for name in ("shots", "judge", "harness"):
        value_a, value_b = getattr(a, name), getattr(b, name)
        if value_a is not None and value_b is not None and value_a != value_b:
            return f"{name} differ ({value_a} vs {value_b})"
    return None


def _flag(value: bool | None) -> str:
    if value is None:
        return "not stated"
    return "on" if value else "off"


def is_unspecified(variant: Variant) -> bool:
    fields = (variant.split, variant.subset, variant.language, variant.version)
    return UNSPECIFIED in fields


def group_scores(catalog: Catalog, model: Model) -> dict[str, list[Score]]:
    grouped: dict[str, list[Score]] = defaultdict(list)
    for score in model.scores:
        if score.variant in catalog.variants:
            grouped[score.variant].append(score)
    return grouped


def compare_scores(catalog: Catalog, a: Model, b: Model) -> PairScores:
    """Split the two models' scores into shared, single-model and left-out lists."""
    scores_a, scores_b = group_scores(catalog, a), group_scores(catalog, b)
    shared: list[SharedScore] = []
    only_one: list[SingleScore] = []
    left_out: list[LeftOut] = []

    for variant_id in ordered_variants(catalog, [*scores_a, *scores_b]):
        ref = catalog.variants[variant_id]
        list_a, list_b = scores_a.get(variant_id, []), scores_b.get(variant_id, [])
        if list_a and list_b:
            outcome = _compare_variant(ref, a, list_a, b, list_b)
            if isinstance(outcome, SharedScore):
                shared.append(outcome)
            else:
                left_out.append(outcome)
            continue
        model, found = (a, list_a) if list_a else (b, list_b)
        only_one.append(
            SingleScore(
                variant=variant_id,
                benchmark=ref.benchmark.name,
                model=model.slug,
                score=score_value(model, found[0], ref.variant),
            )
        )

    left_out.extend(_different_variants(catalog, a, scores_a, b, scores_b))
    return PairScores(shared, only_one, left_out)


def ordered_variants(catalog: Catalog, variant_ids: Sequence[str]) -> list[str]:
    """Registry order: benchmarks as listed, then variants as listed."""
    position = {variant_id: index for index, variant_id in enumerate(catalog.variants)}
    return sorted(set(variant_ids), key=position.__getitem__)


def _compare_variant(
    ref: VariantRef, a: Model, list_a: list[Score], b: Model, list_b: list[Score]
) -> SharedScore | LeftOut:
    variant = ref.variant
    if is_unspecified(variant):
        return LeftOut(
            variant=variant.id,
            benchmark=ref.benchmark.name,
            reason="the sources do not name the split or metric, so the two scores may"
            " measure different things",
        )

    pair, reason = _best_pair(list_a, list_b)
    if pair is None:
        return LeftOut(variant=variant.id, benchmark=ref.benchmark.name, reason=reason)
    score_a, score_b = pair
    return _shared(ref, a, score_a, b, score_b)


def _best_pair(list_a: list[Score], list_b: list[Score]) -> tuple[tuple[Score, Score] | None, str]:
    """Pick the most comparable pair: same source first, then identical settings."""
    candidates = []
    first_reason = ""
    for score_a in list_a:
        for score_b in list_b:
            reason = incompatibility(score_a.setting, score_b.setting)
            if reason is not None:
                first_reason = first_reason or f"settings differ: {reason}"
                continue
            rank = (score_a.source != score_b.source, score_a.setting != score_b.setting)
            candidates.append((rank, score_a, score_b))
    if not candidates:
        return None, first_reason
    candidates.sort(key=lambda item: item[0])
    _, score_a, score_b = candidates[0]
    return (score_a, score_b), ""


def _shared(ref: VariantRef, a: Model, score_a: Score, b: Model, score_b: Score) -> SharedScore:
    variant = ref.variant
    value_a = score_value(a, score_a, variant)
    value_b = score_value(b, score_b, variant)
    difference, method, counted = _difference(variant, score_a, score_b)

    winner = None
    if difference is not None and difference.significant:
        a_higher = difference.value > 0
        a_wins = a_higher if variant.direction is Direction.HIGHER else not a_higher
        winner = a.slug if a_wins else b.slug

    return SharedScore(
        variant=variant.id,
        benchmark=ref.benchmark.name,
        category=ref.benchmark.category,
        metric=variant.metric,
        a=value_a,
        b=value_b,
        difference=round(value_a.display - value_b.display, 4),
        low=round(difference.low * 100, 4) if difference else None,
        high=round(difference.high * 100, 4) if difference else None,
        significant=bool(difference and difference.significant and counted),
        counted=counted,
        winner=winner if counted else None,
        method=method,
    )


def _difference(
    variant: Variant, score_a: Score, score_b: Score
) -> tuple[Difference | None, str, bool]:
    """Return the interval (0-1 scale), how it was computed, and whether the verdict counts it."""
    if not variant.per_item_mean:
        return None, f"no interval: {variant.metric} is not a mean of per-item results", False

    p_a, p_b = score_a.value / variant.scale_max, score_b.value / variant.scale_max
    partial = _partial_run(variant, score_a, score_b)
    if score_a.stderr is not None and score_b.stderr is not None:
        scale = variant.scale_max
        diff = stderr_difference(p_a - p_b, score_a.stderr / scale, score_b.stderr / scale)
        method = "95% interval from the published standard errors"
    else:
        items_a = score_a.items or variant.items
        items_b = score_b.items or variant.items
        if items_a is None or items_b is None:
            return None, "no interval: the variant's item count is not published", False
        diff = binomial_difference(p_a, p_b, items_a, items_b)
        method = f"binomial 95% interval on {min(items_a, items_b):,} items"
    if partial:
        return diff, f"{method}; {partial}, so it is kept out of the verdict", False
    return diff, method, True


def _partial_run(variant: Variant, score_a: Score, score_b: Score) -> str | None:
    """Why a score covers less than the whole variant, or None when both cover all of it."""
    for score in (score_a, score_b):
        if score.items is None:
            continue
        if variant.items is None:
            return (
                f"a run reports {score.items:,} items but the variant's full count is not"
                " published, so it may be partial"
            )
        if score.items < variant.items:
            return f"a run covered only {score.items:,} of {variant.items:,} items"
    return None


def _different_variants(
    catalog: Catalog,
    a: Model,
    scores_a: dict[str, list[Score]],
    b: Model,
    scores_b: dict[str, list[Score]],
) -> list[LeftOut]:
    """Benchmarks both models report, but only on different variants."""
    by_benchmark_a = _variants_by_benchmark(catalog, scores_a)
    by_benchmark_b = _variants_by_benchmark(catalog, scores_b)
    left_out = []
    for slug in catalog.benchmarks:
        only_a = by_benchmark_a.get(slug, set()) - by_benchmark_b.get(slug, set())
        only_b = by_benchmark_b.get(slug, set()) - by_benchmark_a.get(slug, set())
        if only_a and only_b:
            left_out.append(
                LeftOut(
                    variant=", ".join(sorted(only_a | only_b)),
                    benchmark=catalog.benchmarks[slug].name,
                    reason=f"{a.name} reports {', '.join(sorted(only_a))} and {b.name} reports"
                    f" {', '.join(sorted(only_b))}; different variants are not comparable",
                )
            )
    return left_out


def _variants_by_benchmark(catalog: Catalog, scores: dict[str, list[Score]]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for variant_id in scores:
        grouped[catalog.variants[variant_id].benchmark.slug].add(variant_id)
    return grouped


def benchmark_table(catalog: Catalog, models: Sequence[Model]) -> list[TableRow]:
    """Build one row per variant any model reports, one cell per model (``None`` when absent)."""
    grouped = [group_scores(catalog, model) for model in models]
    variant_ids = ordered_variants(catalog, [v for scores in grouped for v in scores])
    rows = []
    for variant_id in variant_ids:
        ref = catalog.variants[variant_id]
        cells: list[ScoreValue | None] = []
        for model, scores in zip(models, grouped, strict=True):
            found = scores.get(variant_id)
            cells.append(score_value(model, found[0], ref.variant) if found else None)
        rows.append(
            TableRow(
                variant=variant_id,
                benchmark=ref.benchmark.name,
                category=ref.benchmark.category,
                cells=cells,
            )
        )
    return rows
