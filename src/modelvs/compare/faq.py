"""Frequently asked questions, answered with the comparison's own numbers."""

from __future__ import annotations

from collections.abc import Sequence

from modelvs.catalog.schema import Model
from modelvs.compare.facts import gib, join_names, variant_label
from modelvs.compare.model import (
    FactSection,
    FaqItem,
    PairComparison,
    PricingSection,
    SharedScore,
    SizeLine,
)
from modelvs.compare.sections import license_text
from modelvs.compare.verdict import category_label

GPU_GIB = 24
# Leave room on the GPU for the KV cache, activations and the runtime itself.
GPU_RESERVE_GIB = 2

CATEGORY_QUESTIONS = (
    ("ocr-documents", "Which is better for OCR and documents?"),
    ("charts-diagrams", "Which is better for charts and diagrams?"),
    ("math-reasoning", "Which is better at math?"),
)


def faq(
    models: Sequence[Model],
    pairs: Sequence[PairComparison],
    pricing: PricingSection,
    sizes: Sequence[SizeLine],
    context: FactSection,
) -> list[FaqItem]:
    names = {m.slug: m.name for m in models}
    items = [FaqItem(question="Which is better overall?", answer=_overall(pairs))]
    for category, question in CATEGORY_QUESTIONS:
        items.append(FaqItem(question=question, answer=_category(category, pairs, names)))
    items.append(FaqItem(question="Which is cheaper?", answer=" ".join(pricing.sentences)))
    items.append(
        FaqItem(question="Which has the longer context window?", answer=_context(models, context))
    )
    for model, line in zip(models, sizes, strict=True):
        items.append(
            FaqItem(
                question=f"Can I run {model.name} on a {GPU_GIB} GB GPU?",
                answer=_gpu(model, line),
            )
        )
    for model in models:
        items.append(
            FaqItem(question=f"Can I use {model.name} commercially?", answer=_commercial(model))
        )
    return items


def _overall(pairs: Sequence[PairComparison]) -> str:
    answers = [pair.verdict.headline for pair in pairs]
    return (
        " ".join(answers) + " Benchmarks cover only what they test; check the categories you need."
    )


def _category(category: str, pairs: Sequence[PairComparison], names: dict[str, str]) -> str:
    label = category_label(category)
    answers = []
    for pair in pairs:
        scores = [s for s in pair.shared if s.category == category and s.counted]
        pair_names = f"{names[pair.model_a]} vs {names[pair.model_b]}"
        if not scores:
            answers.append(f"{pair_names}: no shared, comparable {label} results.")
            continue
        wins = {
            slug: [s for s in scores if s.winner == slug] for slug in (pair.model_a, pair.model_b)
        }
        parts = [
            f"{names[slug]} is significantly better on "
            + ", ".join(_winner_first(s, slug == pair.model_a) for s in won)
            for slug, won in wins.items()
            if won
        ]
        ties = [variant_label(s.benchmark, s.variant) for s in scores if s.winner is None]
        if ties:
            parts.append(f"no significant difference on {join_names(ties)}")
        answers.append(f"{pair_names}: " + "; ".join(parts) + ".")
    return " ".join(answers)


def _winner_first(score: SharedScore, winner_is_a: bool) -> str:
    first, second = (score.a, score.b) if winner_is_a else (score.b, score.a)
    return f"{variant_label(score.benchmark, score.variant)}: {first.text} vs {second.text}"


def _context(models: Sequence[Model], context: FactSection) -> str:
    if len(models) == 2 and context.sentences:
        return context.sentences[0]
    row = context.rows[0]
    return "; ".join(f"{m.name}: {c.text}" for m, c in zip(models, row.cells, strict=True)) + "."


def _gpu(model: Model, line: SizeLine) -> str:
    if model.open_weights.value is False:
        return f"No: {model.name}'s weights are not released; it runs only through an API."
    if not line.memory:
        return f"Unknown: {model.name}'s parameter count is not published."
    budget = GPU_GIB - GPU_RESERVE_GIB
    fitting = [m for m in line.memory if m.gib <= budget]
    weights = ", ".join(f"{m.precision} {gib(m.gib)}" for m in line.memory)
    if not fitting:
        return (
            f"No: even at 4-bit the weights alone take about {gib(line.memory[-1].gib)}"
            f" (estimates: {weights})."
        )
    best = fitting[0]
    qualifier = "Yes" if best.precision == "bf16" else f"Only quantized to {best.precision}"
    return (
        f"{qualifier}: the weights take about {gib(best.gib)} at {best.precision}, leaving"
        f" {gib(GPU_GIB - best.gib)} for the KV cache and activations (estimates: {weights})."
    )


def _commercial(model: Model) -> str:
    weights = model.license.weights
    if weights is None:
        return f"Unknown: {model.name}'s weights license is not published."
    verdict = {True: "Yes", False: "No", None: "Unclear"}[weights.commercial_use]
    return f"{verdict}: {model.name} is under {license_text(weights)}."
