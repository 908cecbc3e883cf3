""" "Choose X if..." reasons, each derived from one fact where X beats every other model."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from modelvs.catalog.schema import Model
from modelvs.compare.facts import billions, gib, join_names, tokens, usd, variant_label
from modelvs.compare.model import (
    ChooseIf,
    PairComparison,
    PriceLine,
    Reason,
    SharedScore,
    SizeLine,
)
from modelvs.compare.sections import license_text, openness
from modelvs.compare.verdict import category_label, category_wins

Getter = Callable[[Model], float | None]


def choose_if(
    models: Sequence[Model],
    pairs: Sequence[PairComparison],
    sizes: Sequence[SizeLine],
    prices: Sequence[PriceLine],
) -> list[ChooseIf]:
    size_of = {line.model: line for line in sizes}
    price_of = {line.model: line for line in prices}
    result = []
    for model in models:
        others = [m for m in models if m.slug != model.slug]
        reasons = [
            *_category_reasons(model, others, pairs),
            *_fact_reasons(model, others, size_of, price_of),
        ]
        if not reasons:
            reasons.append(
                Reason(
                    kind="none",
                    text=f"No fact in the catalog favours {model.name} over"
                    f" {join_names([o.name for o in others])}.",
                )
            )
        result.append(ChooseIf(model=model.slug, reasons=reasons))
    return result


def _category_reasons(
    model: Model, others: Sequence[Model], pairs: Sequence[PairComparison]
) -> list[Reason]:
    """Categories where the model wins significantly against every other model."""
    names = {o.slug: o.name for o in others}
    per_other: dict[str, dict[str, list[tuple[SharedScore, bool]]]] = {}
    for pair in pairs:
        if model.slug not in (pair.model_a, pair.model_b):
            continue
        other = pair.model_b if pair.model_a == model.slug else pair.model_a
        wins = category_wins(pair.shared, model.slug)
        losses = category_wins(pair.shared, other)
        is_a = pair.model_a == model.slug
        per_other[other] = {
            c: [(s, is_a) for s in w] for c, w in wins.items() if len(w) > len(losses.get(c, []))
        }
    if len(per_other) != len(others) or not per_other:
        return []

    common = set.intersection(*(set(found) for found in per_other.values()))
    reasons = []
    for category in sorted(common):
        if len(others) == 1:
            evidence = next(iter(per_other.values()))[category][:3]
            detail = ", ".join(
                f"{variant_label(s.benchmark, s.variant)}{_values(s, is_a)}" for s, is_a in evidence
            )
        else:
            # One example per rival, so every compared model's number is shown.
            detail = "; ".join(
                f"vs {names[other]}, {variant_label(s.benchmark, s.variant)}{_values(s, is_a)}"
                for other, found in per_other.items()
                for s, is_a in found[category][:1]
            )
        reasons.append(
            Reason(
                kind=f"category:{category}",
                text=f"you care most about {category_label(category)}: significantly ahead on"
                f" {detail}.",
            )
        )
    return reasons


def _values(score: SharedScore, model_is_a: bool) -> str:
    mine, theirs = (score.a, score.b) if model_is_a else (score.b, score.a)
    return f" [{mine.text} vs {theirs.text}]"


def _fact_reasons(
    model: Model,
    others: Sequence[Model],
    size_of: dict[str, SizeLine],
    price_of: dict[str, PriceLine],
) -> list[Reason]:
    reasons: list[Reason] = []
    names = join_names([o.name for o in others])

    if model.open_weights.value and all(o.open_weights.value is False for o in others):
        reasons.append(
            Reason(
                kind="open-weights",
                text=f"you need open weights: {names}"
                f" {'is' if len(others) == 1 else 'are'} API-only.",
            )
        )

    def beats(get: Getter, *, lower: bool) -> tuple[float, list[float]] | None:
        mine = get(model)
        theirs = [get(o) for o in others]
        if mine is None or any(t is None for t in theirs):
            return None
        known = [t for t in theirs if t is not None]
        better = all(mine < t for t in known) if lower else all(mine > t for t in known)
        return (mine, known) if better else None

    memory = beats(lambda m: _four_bit(size_of[m.slug]), lower=True)
    if memory and model.open_weights.value:
        reasons.append(
            Reason(
                kind="memory",
                text=f"you self-host on limited memory: about"
                f" {gib(memory[0])} of weights at 4-bit vs"
                f" {', '.join(gib(v) for v in memory[1])} (estimates from total"
                " parameters).",
            )
        )

    active = beats(lambda m: size_of[m.slug].active_billions, lower=True)
    any_moe = any(size_of[m.slug].architecture == "mixture-of-experts" for m in (model, *others))
    if active and any_moe:
        reasons.append(
            Reason(
                kind="active-parameters",
                text="you want less compute per token:"
                f" {billions(active[0])} active parameters vs"
                f" {', '.join(billions(v) for v in active[1])}.",
            )
        )

    context = beats(lambda m: m.context.input_tokens.value, lower=False)
    if context:
        reasons.append(
            Reason(
                kind="context",
                text="you need long inputs: a context window of"
                f" {tokens(int(context[0]))} tokens vs"
                f" {', '.join(tokens(int(v)) for v in context[1])}.",
            )
        )

    price = beats(lambda m: price_of[m.slug].blended_usd_per_mtok, lower=True)
    if price:
        reasons.append(
            Reason(
                kind="price",
                text="cost matters: "
                f"{usd(price[0])} per 1M tokens blended vs"
                f" {', '.join(usd(v) for v in price[1])}.",
            )
        )

    free = [state for state in price_of[model.slug].states if state.startswith("free")]
    if free and not any(price_of[o.slug].states for o in others):
        reasons.append(
            Reason(
                kind="price-free",
                text=f"cost matters: {free[0]} (a free tier;"
                " providers usually limit its request rate).",
            )
        )

    reasons.extend(_other_reasons(model, others))
    return reasons


def _four_bit(line: SizeLine) -> float | None:
    return line.memory[-1].gib if line.memory else None


def _other_reasons(model: Model, others: Sequence[Model]) -> list[Reason]:
    reasons = []
    if model.release and all(o.release and model.release.date > o.release.date for o in others):
        dates = ", ".join(str(o.release.date) for o in others if o.release)
        reasons.append(
            Reason(
                kind="newer",
                text=f"you want the newer model: released {model.release.date} vs {dates}.",
            )
        )

    rank = openness(model)
    other_ranks = [openness(o) for o in others]
    if rank is not None and all(r is not None and rank > r for r in other_ranks):
        assert model.license.weights is not None
        reasons.append(
            Reason(
                kind="license",
                text=f"you need a more permissive license: {license_text(model.license.weights)}.",
            )
        )

    mine = {m.value for m in model.modalities.input.value or []}
    theirs = [{m.value for m in o.modalities.input.value or []} for o in others]
    if mine and all(t and mine > t for t in theirs):
        extra = sorted(mine - set().union(*theirs))
        if extra:
            reasons.append(
                Reason(
                    kind="modalities",
                    text=f"you need {', '.join(extra)} input,"
                    " which the other model does not accept."
                    if len(others) == 1
                    else f"you need {', '.join(extra)} input, which no other model here accepts.",
                )
            )

    cutoff = model.knowledge_cutoff.value
    cutoffs = [o.knowledge_cutoff.value for o in others]
    if cutoff and all(c and cutoff > c for c in cutoffs):
        reasons.append(
            Reason(
                kind="knowledge-cutoff",
                text="you need more recent knowledge:"
                f" cutoff {cutoff} vs {', '.join(c or '' for c in cutoffs)}.",
            )
        )
    return reasons
