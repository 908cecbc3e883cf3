"""Build a ``Comparison`` from a catalog, two or more models and an ``as_of`` date."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import Model
from modelvs.compare.benchmarks import benchmark_table, compare_scores
from modelvs.compare.details import detail_rows
from modelvs.compare.faq import faq
from modelvs.compare.model import (
    ArenaSection,
    Comparison,
    ModelSummary,
    OutputsSection,
    PairComparison,
    Strength,
)
from modelvs.compare.pricing import pricing_section
from modelvs.compare.reasons import choose_if
from modelvs.compare.sections import (
    context_section,
    cutoff_section,
    license_section,
    modalities_section,
)
from modelvs.compare.size import size_section
from modelvs.compare.takeaways import takeaways
from modelvs.compare.timeline import timeline_section
from modelvs.compare.verdict import decide
from modelvs.errors import UsageError

MAX_MODELS = 8


NO_VOTES = ArenaSection(status="no votes yet")
NO_OUTPUTS = OutputsSection(status="none recorded yet")


def compare(
    catalog: Catalog,
    models: Sequence[Model],
    as_of: dt.date,
    *,
    arena: ArenaSection = NO_VOTES,
    outputs: OutputsSection = NO_OUTPUTS,
) -> Comparison:
    """Compute every section of the comparison of ``models``; pure, no I/O.

    ``arena`` and ``outputs`` come from the database; callers that have one pass them in.
    """
    _check_models(models)

    pairs = [compare_pair(catalog, a, b) for a, b in itertools.combinations(models, 2)]
    size = size_section(models)
    pricing = pricing_section(catalog, models)
    context = context_section(models)
    modalities = modalities_section(models)
    license_ = license_section(models)
    cutoff = cutoff_section(models)

    return Comparison(
        as_of=as_of,
        models=[_summary(catalog, m) for m in models],
        headline=_headline(models, pairs),
        pairs=pairs,
        choose=choose_if(models, pairs, size.lines, pricing.lines),
        table=benchmark_table(catalog, models),
        arena=arena,
        pricing=pricing,
        size=size,
        context=context,
        modalities=modalities,
        license=license_,
        timeline=timeline_section(models, as_of),
        knowledge_cutoff=cutoff,
        outputs=outputs,
        takeaways=takeaways(models, pairs, size.lines, pricing.lines),
        details=detail_rows(
            catalog, models, size.lines, pricing.lines, [context, modalities, license_, cutoff]
        ),
        faq=faq(models, pairs, pricing, size.lines, context),
    )


def compare_pair(catalog: Catalog, a: Model, b: Model) -> PairComparison:
    scores = compare_scores(catalog, a, b)
    return PairComparison(
        model_a=a.slug,
        model_b=b.slug,
        verdict=decide(a, b, scores.shared),
        shared=scores.shared,
        only_one=scores.only_one,
        left_out=scores.left_out,
    )


def _check_models(models: Sequence[Model]) -> None:
    slugs = [m.slug for m in models]
    if len(slugs) < 2:
        raise UsageError("a comparison needs at least two models")
    if len(set(slugs)) != len(slugs):
        duplicate = next(s for s in slugs if slugs.count(s) > 1)
        raise UsageError(f"model {duplicate!r} is listed twice; name each model once")
    if len(slugs) > MAX_MODELS:
        raise UsageError(f"at most {MAX_MODELS} models can be compared at once, got {len(slugs)}")


def _summary(catalog: Catalog, model: Model) -> ModelSummary:
    return ModelSummary(
        slug=model.slug,
        name=model.name,
        organization=catalog.organization_name(model.organization),
        family=model.family,
        open_weights=model.open_weights.value,
        description=model.description,
    )


def _headline(models: Sequence[Model], pairs: Sequence[PairComparison]) -> str:
    if len(pairs) == 1:
        return pairs[0].verdict.headline
    decided = [p for p in pairs if p.verdict.leader is not None]
    names = {m.slug: m.name for m in models}
    insufficient = sum(1 for p in pairs if p.verdict.strength is Strength.INSUFFICIENT)
    parts = [
        f"{names[p.verdict.leader]} leads {names[_other(p)]} ({p.verdict.strength.value})"
        for p in decided
        if p.verdict.leader
    ]
    summary = "; ".join(parts) if parts else "no pair has a benchmark leader"
    return (
        f"Across {len(pairs)} pairs of {len(models)} models: {summary}."
        f" {insufficient} pair{'s lack' if insufficient != 1 else ' lacks'} enough shared"
        " evidence for a verdict."
    )


def _other(pair: PairComparison) -> str:
    return pair.model_b if pair.verdict.leader == pair.model_a else pair.model_a
