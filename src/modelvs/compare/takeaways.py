"""Key takeaways per model: standout differences, each backed by a catalog fact."""

from __future__ import annotations

from collections.abc import Sequence

from modelvs.catalog.schema import Model
from modelvs.compare.facts import billions, gib, usd, variant_label
from modelvs.compare.model import PairComparison, PriceLine, SharedScore, SizeLine, Takeaways
from modelvs.compare.sections import license_text

MAX_LEADS = 2


def takeaways(
    models: Sequence[Model],
    pairs: Sequence[PairComparison],
    sizes: Sequence[SizeLine],
    prices: Sequence[PriceLine],
) -> list[Takeaways]:
    size_of = {line.model: line for line in sizes}
    price_of = {line.model: line for line in prices}
    result = []
    for model in models:
        points = [_size_point(size_of[model.slug])]
        points.extend(_lead_points(model, models, pairs))
        points.append(_license_point(model))
        points.append(_price_point(price_of[model.slug]))
        result.append(Takeaways(model=model.slug, points=[p for p in points if p]))
    return result


def _size_point(line: SizeLine) -> str:
    if line.total_billions is None:
        return "Parameter count not published."
    if line.architecture == "mixture-of-experts":
        active = (
            f"{billions(line.active_billions)} active per token"
            if line.active_billions is not None
            else "active count not published"
        )
        head = f"Mixture-of-experts: {billions(line.total_billions)} total, {active}"
    else:
        head = f"{billions(line.total_billions)} parameters"
    return f"{head}; weights need about {gib(line.memory[-1].gib)} at 4-bit (estimate)."


def _lead_points(
    model: Model, models: Sequence[Model], pairs: Sequence[PairComparison]
) -> list[str]:
    """The largest significant leads of ``model`` over the others."""
    names = {m.slug: m.name for m in models}
    leads: list[tuple[float, str]] = []
    for pair in pairs:
        for score in pair.shared:
            if score.winner == model.slug:
                leads.append((abs(score.difference), _lead_text(score, model, pair, names)))
    leads.sort(key=lambda item: -item[0])
    return [text for _, text in leads[:MAX_LEADS]]


def _lead_text(
    score: SharedScore, model: Model, pair: PairComparison, names: dict[str, str]
) -> str:
    other = pair.model_b if pair.model_a == model.slug else pair.model_a
    mine, theirs = (score.a, score.b) if pair.model_a == model.slug else (score.b, score.a)
    return (
        f"Significantly ahead of {names[other]} on {variant_label(score.benchmark, score.variant)}:"
        f" {mine.text} vs {theirs.text}."
    )


def _license_point(model: Model) -> str:
    weights = model.license.weights
    if model.open_weights.value is False:
        return "API only: weights are not released."
    if weights is None:
        return "Weights license not published."
    prefix = "Open weights" if model.open_weights.value else "Weights"
    return f"{prefix} under {license_text(weights)}."


def _price_point(line: PriceLine) -> str:
    if line.blended_usd_per_mtok is None:
        return "No list price in the catalog." if not line.states else ""
    return (
        f"From {usd(line.input_usd_per_mtok or 0)} in / {usd(line.output_usd_per_mtok or 0)} out"
        f" per 1M tokens ({line.blended_provider})."
    )
