"""The headline verdict of a pair, counting significant differences only."""

from __future__ import annotations

from collections.abc import Sequence

from modelvs.catalog.schema import Model
from modelvs.compare.model import SharedScore, Strength, Verdict

# Fewer shared variants with an interval than this gives "insufficient evidence".
MIN_TESTED_VARIANTS = 3
# Net significant wins as a share of tested variants needed for each strength.
DECISIVE_MARGIN = 0.6
CLEAR_MARGIN = 0.3
# "Decisive" also needs this many variants: three wins out of three is a clear lead, not more.
MIN_DECISIVE_TESTED = 5

CATEGORY_LABELS = {
    "general-vqa": "general visual question answering",
    "ocr-documents": "OCR and documents",
    "charts-diagrams": "charts and diagrams",
    "math-reasoning": "math reasoning",
    "multidisciplinary": "multidisciplinary exams",
    "hallucination": "resisting visual hallucination",
    "real-world": "real-world scenes",
    "knowledge": "knowledge",
    "coding": "coding",
    "instruction-following": "instruction following",
}


def decide(a: Model, b: Model, shared: Sequence[SharedScore]) -> Verdict:
    """Weigh the significant differences on shared comparable variants into a verdict."""
    tested = [s for s in shared if s.counted and s.low is not None]
    wins_a = sum(1 for s in tested if s.winner == a.slug)
    wins_b = sum(1 for s in tested if s.winner == b.slug)
    caveats = _caveats(shared, tested)

    if len(tested) < MIN_TESTED_VARIANTS:
        headline = (
            f"Insufficient evidence: {a.name} and {b.name} share {len(tested)} benchmark"
            f" variant{'s' if len(tested) != 1 else ''} with an interval under comparable"
            f" settings; at least {MIN_TESTED_VARIANTS} are needed for a verdict."
        )
        return _verdict(
            a, b, None, Strength.INSUFFICIENT, headline, wins_a, wins_b, tested, shared, caveats
        )

    if wins_a == wins_b:
        detail = (
            "no significant difference"
            if wins_a == 0
            else f"each is significantly better on {wins_a}"
        )
        headline = f"Evenly matched: {detail} across {len(tested)} shared benchmark variants."
        return _verdict(
            a, b, None, Strength.EVEN, headline, wins_a, wins_b, tested, shared, caveats
        )

    leader, trailer = (a, b) if wins_a > wins_b else (b, a)
    lead_wins, trail_wins = max(wins_a, wins_b), min(wins_a, wins_b)
    margin = (lead_wins - trail_wins) / len(tested)
    strength = (
        Strength.DECISIVE
        if margin >= DECISIVE_MARGIN and len(tested) >= MIN_DECISIVE_TESTED
        else Strength.CLEAR
        if margin >= CLEAR_MARGIN
        else Strength.SLIGHT
    )
    adverb = {
        Strength.DECISIVE: "decisively",
        Strength.CLEAR: "clearly",
        Strength.SLIGHT: "slightly",
    }[strength]
    headline = (
        f"{leader.name} is {adverb} ahead of {trailer.name} on benchmarks: significantly better"
        f" on {lead_wins} of {len(tested)} shared variants, significantly worse on {trail_wins}."
    )
    return _verdict(a, b, leader.slug, strength, headline, wins_a, wins_b, tested, shared, caveats)


def _verdict(
    a: Model,
    b: Model,
    leader: str | None,
    strength: Strength,
    headline: str,
    wins_a: int,
    wins_b: int,
    tested: Sequence[SharedScore],
    shared: Sequence[SharedScore],
    caveats: list[str],
) -> Verdict:
    return Verdict(
        model_a=a.slug,
        model_b=b.slug,
        leader=leader,
        strength=strength,
        headline=headline,
        wins_a=wins_a,
        wins_b=wins_b,
        tested=len(tested),
        shared=len(shared),
        caveats=caveats,
    )


def _caveats(shared: Sequence[SharedScore], tested: Sequence[SharedScore]) -> list[str]:
    caveats = []
    separate = [
        s
        for s in tested
        if s.a.source.kind == "self-reported"
        and s.b.source.kind == "self-reported"
        and s.a.source.url != s.b.source.url
    ]
    if separate:
        share = "All" if len(separate) == len(tested) else f"{len(separate)} of {len(tested)}"
        caveats.append(
            f"{share} compared scores are self-reported by each model's authors in separate"
            " publications, with their own prompts and harnesses; part of a gap can come from"
            " the evaluation setup rather than the model."
        )
    untested = len(shared) - len(tested)
    if untested:
        caveats.append(
            f"{untested} shared variant{'s have' if untested != 1 else ' has'} no interval"
            " (unknown item count, summed scores or a partial run) and did not count."
        )
    return caveats


def category_wins(shared: Sequence[SharedScore], slug: str) -> dict[str, list[SharedScore]]:
    """Shared variants that ``slug`` wins significantly, grouped by benchmark category."""
    wins: dict[str, list[SharedScore]] = {}
    for score in shared:
        if score.winner == slug:
            wins.setdefault(score.category, []).append(score)
    return wins


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)
