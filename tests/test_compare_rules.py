"""The comparison rules: honest sizes, unknowns, comparability, scales and verdicts."""

from __future__ import annotations

import re

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.compare.build import compare
from modelvs.compare.facts import ranked, tokens, usd
from modelvs.compare.model import Comparison, Strength
from modelvs.errors import UsageError
from modelvs.render import render

from .conftest import AS_OF

FORMATS = ("text", "markdown", "json", "html")


def make(catalog: Catalog, *names: str) -> Comparison:
    return compare(catalog, [catalog.find_model(n) for n in names], AS_OF)


@pytest.fixture(scope="module")
def pair(catalog: Catalog) -> Comparison:
    return make(catalog, "alpha-moe-16b-a3b", "beta-4b")


def test_moe_vs_dense_sentence_names_both_counts(pair: Comparison) -> None:
    sentence = pair.size.sentences[-1]
    assert "by total parameters" in sentence.lower()
    assert "active parameters per token" in sentence
    assert "16.1 B" in sentence
    assert "2.8 B" in sentence
    assert "4.44 B" in sentence


@pytest.mark.parametrize("output_format", FORMATS)
def test_no_percent_larger_by_total_alone(pair: Comparison, output_format: str) -> None:
    text = render(pair, output_format)
    assert not re.search(r"\d+\s*% (larger|bigger|smaller)", text)


def test_every_size_sentence_names_its_count(pair: Comparison) -> None:
    for sentence in pair.size.sentences:
        assert "total" in sentence


def test_dense_active_is_derived_not_copied(catalog: Catalog, pair: Comparison) -> None:
    beta = catalog.find_model("beta-4b")
    assert beta.parameters.active_billions.value is None
    line = pair.size.lines[1]
    assert line.active_is_derived
    assert "dense" in line.active.text


def test_memory_estimates_from_total(pair: Comparison) -> None:
    alpha = pair.size.lines[0]
    assert [m.precision for m in alpha.memory] == ["bf16", "8-bit", "4-bit"]
    assert alpha.memory[0].gib == pytest.approx(16.1e9 * 2 / 2**30, abs=0.01)
    assert "estimate" in pair.size.note


@pytest.mark.parametrize("output_format", FORMATS)
def test_unknown_values_never_render_as_zero(catalog: Catalog, output_format: str) -> None:
    comparison = make(catalog, "alpha-moe-16b-a3b", "gamma-api")
    text = render(comparison, output_format)
    assert "not published" in text
    assert "$0.00" not in text
    assert not re.search(r"(?<![\d.])0(\.0+)? B\b", text)
    assert not re.search(r"(?<![\d.,])0(\.0+)? GiB", text)


def test_unknown_price_states(pair: Comparison) -> None:
    alpha, beta = pair.pricing.lines
    assert alpha.blended_usd_per_mtok is None
    assert alpha.input_usd_per_mtok is None
    assert beta.blended_usd_per_mtok == pytest.approx(0.3)
    assert beta.states == ["free on Cloud Two"]


def test_latest_price_per_provider(catalog: Catalog) -> None:
    comparison = make(catalog, "gamma-api", "beta-4b")
    assert comparison.pricing.lines[0].input_usd_per_mtok == 2.0
    assert "Beta-4B is cheaper" in comparison.pricing.sentences[-1]


@pytest.mark.parametrize("descending", [False, True])
def test_unknown_sorts_last_both_directions(descending: bool) -> None:
    values = [3.0, None, 1.0, None, 2.0]
    ordered = ranked(values, lambda v: v, descending=descending)
    assert ordered[-2:] == [None, None]
    assert ordered[:3] == ([3.0, 2.0, 1.0] if descending else [1.0, 2.0, 3.0])


def test_different_variants_never_compared(pair: Comparison) -> None:
    shared = {s.variant for s in pair.pairs[0].shared}
    assert "docvqa/test" not in shared
    assert "docvqa/val" not in shared
    reasons = {lo.benchmark: lo.reason for lo in pair.pairs[0].left_out}
    assert "different variants are not comparable" in reasons["DocVQA"]


def test_different_settings_never_compared(pair: Comparison) -> None:
    shared = {s.variant for s in pair.pairs[0].shared}
    left_out = {lo.variant: lo.reason for lo in pair.pairs[0].left_out}
    assert "chartqa/test" not in shared
    assert "thinking differs (on vs off)" in left_out["chartqa/test"]
    assert "mmmu/val" not in shared
    assert "chain-of-thought differs" in left_out["mmmu/val"]


def test_unspecified_split_never_compared(pair: Comparison) -> None:
    left_out = {lo.variant: lo.reason for lo in pair.pairs[0].left_out}
    assert "do not name the split" in left_out["mmbench-v1.1/en/unspecified"]


def test_ocrbench_keeps_thousand_scale(pair: Comparison) -> None:
    row = next(s for s in pair.pairs[0].shared if s.variant == "ocrbench-v1")
    assert row.a.raw == 834
    assert row.b.raw == 881
    assert row.a.text == "834 / 1,000"
    assert row.a.display == pytest.approx(83.4)
    assert row.difference == pytest.approx(-4.7)


def test_summed_metric_has_no_interval(pair: Comparison) -> None:
    row = next(s for s in pair.pairs[0].shared if s.variant == "mme/sum")
    assert row.low is None
    assert not row.significant
    assert not row.counted


def test_verdict_counts_significant_wins(pair: Comparison) -> None:
    verdict = pair.pairs[0].verdict
    assert verdict.leader == "beta-4b"
    assert verdict.wins_b == 4
    assert verdict.tested == 4
    # Four wins of four is a clear lead; "decisive" needs at least five tested variants.
    assert verdict.strength is Strength.CLEAR
    assert any("self-reported" in c for c in verdict.caveats)


def test_decisive_needs_five_variants(catalog: Catalog) -> None:
    from modelvs.compare.verdict import decide

    shared = make(catalog, "alpha-moe-16b-a3b", "beta-4b").pairs[0].shared
    counted = [s for s in shared if s.counted]
    more = counted + [counted[0].model_copy(update={"variant": f"extra-{i}"}) for i in range(2)]
    verdict = decide(catalog.find_model("alpha-moe-16b-a3b"), catalog.find_model("beta-4b"), more)
    assert verdict.tested == 6
    assert verdict.strength is Strength.DECISIVE


def test_fewer_than_three_shared_is_insufficient(catalog: Catalog) -> None:
    comparison = make(catalog, "alpha-moe-16b-a3b", "gamma-api")
    verdict = comparison.pairs[0].verdict
    assert verdict.tested == 2
    assert verdict.strength is Strength.INSUFFICIENT
    assert verdict.leader is None
    assert comparison.headline.startswith("Insufficient evidence")


def test_no_significant_difference_is_even(catalog: Catalog) -> None:
    from modelvs.compare.verdict import decide

    alpha = catalog.find_model("alpha-moe-16b-a3b")
    shared = [
        s.model_copy(update={"winner": None, "significant": False})
        for s in make(catalog, "alpha-moe-16b-a3b", "beta-4b").pairs[0].shared
    ]
    verdict = decide(alpha, catalog.find_model("beta-4b"), shared)
    assert verdict.strength is Strength.EVEN
    assert verdict.headline.startswith("Evenly matched")


@pytest.mark.parametrize("output_format", FORMATS)
def test_output_identical_for_fixed_as_of(catalog: Catalog, output_format: str) -> None:
    first = render(make(catalog, "alpha-moe-16b-a3b", "beta-4b"), output_format)
    second = render(make(catalog, "alpha-moe-16b-a3b", "beta-4b"), output_format)
    assert first == second


def test_ages_follow_as_of(pair: Comparison) -> None:
    assert [line.age_months for line in pair.timeline.lines] == [23, 13]
    assert pair.timeline.sentences[-1] == "Beta-4B is newer, by 10 months."


def test_context_sentence_and_conflict(pair: Comparison) -> None:
    assert pair.context.sentences[0] == (
        "Beta-4B accepts 262,144 (256K) input tokens, 64x Alpha-MoE-16B-A3B's 4,096 (4K)."
    )
    assert any("1000000" in s and "documented value is used" in s for s in pair.context.sentences)


def test_choose_reasons_are_fact_backed(pair: Comparison) -> None:
    alpha, beta = pair.choose
    assert [r.kind for r in alpha.reasons] == ["active-parameters"]
    kinds = {r.kind for r in beta.reasons}
    assert {"memory", "context", "newer", "license", "modalities"} <= kinds
    assert "category:ocr-documents" in kinds


def test_faq_answers_with_numbers(pair: Comparison) -> None:
    answers = {item.question: item.answer for item in pair.faq}
    assert "881 / 1,000 vs 834 / 1,000" in answers["Which is better for OCR and documents?"]
    gpu = answers["Can I run Alpha-MoE-16B-A3B on a 24 GB GPU?"]
    assert gpu.startswith("Only quantized to 8-bit")
    assert answers["Can I use Beta-4B commercially?"].startswith("Yes")


def test_api_model_gpu_answer(catalog: Catalog) -> None:
    comparison = make(catalog, "gamma-api", "beta-4b")
    answers = {item.question: item.answer for item in comparison.faq}
    assert answers["Can I run Gamma API on a 24 GB GPU?"].startswith("No: Gamma API's weights")


def test_three_models_give_pairwise_verdicts(catalog: Catalog) -> None:
    comparison = make(catalog, "alpha-moe-16b-a3b", "beta-4b", "gamma-api")
    assert len(comparison.pairs) == 3
    assert all(len(row.cells) == 3 for row in comparison.table)
    assert comparison.headline.startswith("Across 3 pairs of 3 models")


@pytest.mark.parametrize("names", [("beta-4b",), ("beta-4b", "beta-4b")])
def test_bad_model_lists_rejected(catalog: Catalog, names: tuple[str, ...]) -> None:
    with pytest.raises(UsageError):
        make(catalog, *names)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (4096, "4,096 (4K)"),
        (262144, "262,144 (256K)"),
        (1048576, "1,048,576 (1M)"),
        (128000, "128,000 (128K)"),
        (1000, "1,000 (1K)"),
        (777, "777"),
    ],
)
def test_token_format(count: int, expected: str) -> None:
    assert tokens(count) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(2.5, "$2.50"), (0.2, "$0.20"), (0.075, "$0.075"), (15, "$15.00")]
)
def test_usd_format(value: float, expected: str) -> None:
    assert usd(value) == expected


@pytest.mark.parametrize(
    ("items", "stderr", "variant_items"),
    [(200, None, 1500), (200, 0.9, 1500), (200, None, None)],
)
def test_partial_runs_kept_out_of_verdict(
    items: int, stderr: float | None, variant_items: int | None
) -> None:
    from modelvs.catalog.schema import Score, Variant
    from modelvs.compare.benchmarks import _difference

    variant = Variant(
        id="mmstar",
        metric="accuracy",
        scale_max=100,
        items=variant_items,
        items_source="https://example.org/items" if variant_items else None,
    )
    partial = Score(variant="mmstar", value=70.0, source="card", items=items, stderr=stderr)
    full = Score(variant="mmstar", value=50.0, source="card", stderr=stderr)
    difference, method, counted = _difference(variant, partial, full)
    assert counted is False
    if difference is not None:
        assert "kept out of the verdict" in method
    else:
        assert method.startswith("no interval")
