"""The real catalog under data/: valid, sourced, unique and complete enough to use."""

from __future__ import annotations

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.load import read_catalog
from modelvs.catalog.problems import Problem, Severity
from modelvs.catalog.schema import Architecture

from .conftest import AS_OF, REAL_CATALOG

REQUIRED_MODELS = [
    "deepseek-vl2-tiny",
    "deepseek-vl2-small",
    "deepseek-vl2",
    "qwen3-vl-2b-instruct",
    "qwen3-vl-4b-instruct",
    "qwen3-vl-8b-instruct",
    "qwen3-vl-30b-a3b-instruct",
    "qwen3-vl-32b-instruct",
    "qwen3-vl-235b-a22b-instruct",
    "qwen2.5-vl-3b-instruct",
    "qwen2.5-vl-7b-instruct",
    "qwen2.5-vl-32b-instruct",
    "qwen2.5-vl-72b-instruct",
    "gemma-3-4b-it",
    "gemma-3-12b-it",
    "gemma-3-27b-it",
    "phi-4-multimodal-instruct",
    "llama-3.2-11b-vision-instruct",
    "llama-3.2-90b-vision-instruct",
    "llama-4-scout-17b-16e-instruct",
    "llama-4-maverick-17b-128e-instruct",
    "pixtral-12b",
    "mistral-small-3.1-24b-instruct",
    "glm-4.5v",
    "gpt-4o",
    "gpt-4.1",
    "claude-sonnet-4",
    "gemini-2.5-flash",
    "gemini-2.5-pro",
]
REQUIRED_FAMILIES = ["internvl3", "minicpm-v", "kimi-vl", "smolvlm2"]
REQUIRED_VARIANTS = [
    "ai2d/test",
    "mmbench-v1.0/en/dev",
    "mmbench-v1.0/en/test",
    "mmbench-v1.0/cn/dev",
    "mmbench-v1.0/cn/test",
    "mmbench-v1.1/en/dev",
    "mmbench-v1.1/en/test",
    "mmbench-v1.1/cn/dev",
    "mmbench-v1.1/cn/test",
    "mmstar",
    "ocrbench-v1",
    "ocrbench-v2/en",
    "realworldqa",
    "mmmu/val",
    "mmmu/test",
    "mathvista/testmini",
    "docvqa/test",
    "infovqa/test",
    "chartqa/test",
    "textvqa/val",
    "mme/sum",
    "hallusionbench/avg",
    "mmlu",
    "mmlu-pro",
    "gpqa/diamond",
    "math/full",
    "humaneval",
    "ifeval/prompt-strict",
]


@pytest.fixture(scope="module")
def loaded() -> tuple[Catalog, list[Problem]]:
    return read_catalog(REAL_CATALOG)


def test_real_catalog_has_no_errors(loaded: tuple[Catalog, list[Problem]]) -> None:
    _, problems = loaded
    errors = [p.format(REAL_CATALOG) for p in problems if p.severity is Severity.ERROR]
    assert errors == []


def test_at_least_forty_models(loaded: tuple[Catalog, list[Problem]]) -> None:
    assert len(loaded[0].models) >= 40


@pytest.mark.parametrize("slug", REQUIRED_MODELS)
def test_required_model_present(loaded: tuple[Catalog, list[Problem]], slug: str) -> None:
    assert slug in loaded[0].models


@pytest.mark.parametrize("family_prefix", REQUIRED_FAMILIES)
def test_required_family_present(loaded: tuple[Catalog, list[Problem]], family_prefix: str) -> None:
    assert any(m.slug.startswith(family_prefix) for m in loaded[0].models.values())


@pytest.mark.parametrize("variant", REQUIRED_VARIANTS)
def test_required_variant_registered(loaded: tuple[Catalog, list[Problem]], variant: str) -> None:
    assert variant in loaded[0].variants


def test_every_score_names_registered_variant(loaded: tuple[Catalog, list[Problem]]) -> None:
    catalog = loaded[0]
    unknown = [
        (m.slug, s.variant)
        for m in catalog.models.values()
        for s in m.scores
        if s.variant not in catalog.variants
    ]
    assert unknown == []


def test_ocrbench_v1_stored_out_of_1000(loaded: tuple[Catalog, list[Problem]]) -> None:
    values = [
        s.value for m in loaded[0].models.values() for s in m.scores if s.variant == "ocrbench-v1"
    ]
    assert values
    assert all(100 < v <= 1000 for v in values)


def test_slugs_and_aliases_unique(loaded: tuple[Catalog, list[Problem]]) -> None:
    seen: dict[str, str] = {}
    for model in loaded[0].models.values():
        for name in {
            model.slug.casefold(),
            model.name.casefold(),
            *(a.casefold() for a in model.aliases),
        }:
            assert seen.setdefault(name, model.slug) == model.slug, name


def test_moe_models_keep_counts_apart(loaded: tuple[Catalog, list[Problem]]) -> None:
    for model in loaded[0].models.values():
        total = model.parameters.total_billions.value
        active = model.parameters.active_billions.value
        if model.architecture.value is Architecture.MOE and total and active:
            assert active < total, model.slug


def test_every_model_has_a_source(loaded: tuple[Catalog, list[Problem]]) -> None:
    assert all(m.sources for m in loaded[0].models.values())


def test_seed_pair_compares(loaded: tuple[Catalog, list[Problem]]) -> None:
    from modelvs.compare.build import compare

    catalog = loaded[0]
    seed = [catalog.find_model("DeepSeek-VL2-Small"), catalog.find_model("Qwen3-VL-4B-Instruct")]
    comparison = compare(catalog, seed, AS_OF)
    assert comparison.pairs[0].shared
    assert comparison.size.lines[0].active_billions == 2.8
