"""The leaderboard of one benchmark variant, with intervals and filters."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import Direction, LicenseCategory, Model, Score, Variant
from modelvs.compare.benchmarks import describe_setting, is_unspecified, score_value
from modelvs.compare.facts import ranked
from modelvs.compare.model import ScoreValue
from modelvs.compare.pricing import price_line


class LeaderboardFilters(BaseModel):
    """Filters; a filter on a value excludes models whose value is unknown."""

    model_config = ConfigDict(frozen=True)

    open_weights: bool | None = None
    max_total_billions: float | None = None
    license_category: LicenseCategory | None = None


class LeaderboardRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    rank: int
    slug: str
    name: str
    organization: str
    score: ScoreValue
    open_weights: bool | None
    total_billions: float | None
    license_category: str | None
    blended_usd_per_mtok: float | None


class Leaderboard(BaseModel):
    """Every model's score on one variant; equal ranks share a position."""

    model_config = ConfigDict(frozen=True)

    variant: str
    benchmark: str
    category: str
    metric: str
    scale_max: float
    direction: str
    items: int | None
    # True when every row is on a named split and was obtained with the same setting.
    comparable: bool
    note: str
    filters: LeaderboardFilters
    rows: list[LeaderboardRow]
    excluded: int


def leaderboard(catalog: Catalog, variant_id: str, filters: LeaderboardFilters) -> Leaderboard:
    """Rank models on ``variant_id``; a model with several scores shows its first."""
    ref = catalog.variants[variant_id]
    entries: list[tuple[Model, Score]] = []
    excluded = 0
    for model in catalog.models.values():
        score = next((s for s in model.scores if s.variant == variant_id), None)
        if score is None:
            continue
        if not _passes(model, filters):
            excluded += 1
            continue
        entries.append((model, score))

    descending = ref.variant.direction is Direction.HIGHER
    entries = ranked(entries, lambda e: e[1].value, descending=descending)
    rows = []
    previous: float | None = None
    rank = 0
    for position, (model, score) in enumerate(entries, start=1):
        if score.value != previous:
            rank, previous = position, score.value
        rows.append(_row(catalog, model, score, rank, ref.variant))
    settings = {describe_setting(score.setting) for _, score in entries}
    same_setting = len(settings) <= 1
    if is_unspecified(ref.variant):
        note = (
            "The sources do not name the split or metric, so these scores may not be comparable"
            " with each other."
        )
    elif not same_setting:
        note = (
            "The scores were obtained with different settings (see each row), so the order is"
            " only indicative; ranks sort raw values and do not test significance."
        )
    else:
        note = "Ranks sort raw values and do not test significance; compare the intervals."
    return Leaderboard(
        variant=variant_id,
        benchmark=ref.benchmark.name,
        category=ref.benchmark.category,
        metric=ref.variant.metric,
        scale_max=ref.variant.scale_max,
        direction=ref.variant.direction.value,
        items=ref.variant.items,
        comparable=not is_unspecified(ref.variant) and same_setting,
        note=note,
        filters=filters,
        rows=rows,
        excluded=excluded,
    )


def _passes(model: Model, filters: LeaderboardFilters) -> bool:
    if filters.open_weights is not None and model.open_weights.value is not filters.open_weights:
        return False
    if filters.max_total_billions is not None:
        total = model.parameters.total_billions.value
        if total is None or total > filters.max_total_billions:
            return False
    if filters.license_category is not None:
        weights = model.license.weights
        if weights is None or weights.category is not filters.license_category:
            return False
    return True


def _row(
    catalog: Catalog, model: Model, score: Score, rank: int, variant: Variant
) -> LeaderboardRow:
    weights = model.license.weights
    return LeaderboardRow(
        rank=rank,
        slug=model.slug,
        name=model.name,
        organization=catalog.organization_name(model.organization),
        score=score_value(model, score, variant),
        open_weights=model.open_weights.value,
        total_billions=model.parameters.total_billions.value,
        license_category=weights.category.value if weights else None,
        blended_usd_per_mtok=price_line(catalog, model).blended_usd_per_mtok,
    )
