"""In-place YAML edits and the harness mapping tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from modelvs.catalog.load import load_catalog
from modelvs.importers.fields import model_key_order
from modelvs.importers.harness_map import LM_EVAL, LMMS_EVAL, TABLES, VLMEVALKIT
from modelvs.importers.yaml_edit import YamlDocument

ROOT = Path(__file__).parents[1]
MODEL_FILES = sorted((ROOT / "tests" / "fixtures" / "catalog" / "models").rglob("*.yaml")) + sorted(
    (ROOT / "data" / "models").rglob("*.yaml")
)
SOURCE = {
    "url": "https://example.org/source",
    "title": "Example: a title with a colon",
    "kind": "third-party",
    "retrieved": dt.date(2026, 12, 4),
}


def edit_every_way(document: YamlDocument) -> None:
    document.set(["sources", "import-test"], dict(SOURCE))
    document.set(["parameters", "total_billions"], {"value": 1.5, "source": "import-test"})
    document.set(["context", "max_output_tokens"], {"value": 8192, "source": "import-test"})
    conflict = {"field": "input_tokens", "value": 4096, "source": "import-test", "note": "x"}
    document.append(["context", "conflicts"], conflict)
    score = {"variant": "mmstar", "value": 50.0, "setting": {"shots": 0}, "source": "import-test"}
    document.append(["scores"], score)
    if document.get(["scores"]):
        document.replace_item(["scores"], 0, score)
    price = {"provider": "openrouter", "state": "free", "date": dt.date(2026, 12, 4)}
    document.append(["prices"], {**price, "source": "import-test"})


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda path: path.stem)
def test_model_files_keep_layout(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    document = YamlDocument(text, model_key_order)
    edit_every_way(document)
    assert document.keeps_layout
    rendered = document.render()
    assert yaml.safe_load(rendered) == document.data
    kept = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert [line for line in kept if line not in rendered.splitlines()] == []


def test_new_key_follows_schema_order() -> None:
    text = "slug: x\nname: X\norganization: acme\nscores:\n  - {variant: a, value: 1, source: s}\n"
    document = YamlDocument(text, model_key_order)
    document.set(["context", "input_tokens"], {"value": 4096, "source": "s"})
    keys = list(yaml.safe_load(document.render()))
    assert keys == ["slug", "name", "organization", "context", "scores"]
    assert document.keeps_layout


def test_flow_root_falls_back_to_full_rendering() -> None:
    document = YamlDocument("{slug: x, name: X}\n", model_key_order)
    document.set(["context", "input_tokens"], {"value": 4096, "source": "s"})
    assert not document.keeps_layout
    assert yaml.safe_load(document.render()) == document.data


def test_block_items_stay_block() -> None:
    text = "scores:\n  - variant: a\n    value: 1\n    source: s\n"
    document = YamlDocument(text)
    document.append(["scores"], {"variant": "b", "value": 2, "source": "s"})
    assert document.render() == text + "  - variant: b\n    value: 2\n    source: s\n"


awkward_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"))
    | st.sampled_from(":#'\"\n-{}[],&*!|>%@`"),
    max_size=40,
)
scalars = (
    awkward_text
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.booleans()
    | st.none()
    | st.dates()
)


@settings(max_examples=150, deadline=None)
@given(value=scalars, note=awkward_text)
def test_any_value_round_trips(value: object, note: str) -> None:
    text = (
        ROOT / "tests" / "fixtures" / "catalog" / "models" / "beta" / "beta-4b.yaml"
    ).read_text()
    document = YamlDocument(text, model_key_order)
    document.set(["context", "input_tokens"], {"value": value, "source": "card", "note": note})
    document.append(["scores"], {"variant": "mmstar", "value": value, "note": note})
    assert document.keeps_layout
    assert yaml.safe_load(document.render()) == document.data
    assert document.render().startswith("# Fictional dense model for tests.\n")


def test_mapped_variants_exist_in_registry() -> None:
    catalog = load_catalog(ROOT / "data")
    for table in TABLES.values():
        missing = [
            e.variant for e in table.entries if e.variant and e.variant not in catalog.variants
        ]
        assert missing == [], table.harness


def test_unmapped_names_give_a_reason() -> None:
    for table in TABLES.values():
        silent = [
            entry.name for entry in table.entries if entry.variant is None and not entry.reason
        ]
        assert silent == [], table.harness


def test_file_names_match_longest_first() -> None:
    cases = {
        "Qwen2-VL-7B_MMBench_DEV_EN_V11": "mmbench-v1.1/en/dev",
        "Qwen2-VL-7B_MMBench_DEV_EN": "mmbench-v1.0/en/dev",
        "MME-model_MME": "mme/sum",
        "AI2D_TEST_AI2D_TEST": "ai2d/test",
        "x_MathVista_MINI_gpt-4-turbo": "mathvista/testmini",
    }
    for stem, variant in cases.items():
        found = VLMEVALKIT.within(stem)
        assert found is not None, stem
        assert found[2][0].variant == variant, stem
    no_mask = VLMEVALKIT.within("InternVL3-8B_AI2D_TEST_NO_MASK")
    assert no_mask is not None
    assert no_mask[2][0].variant is None
    assert VLMEVALKIT.within("model_SEEDBench2_Plus") is None


def test_judge_follows_dataset_name() -> None:
    found = VLMEVALKIT.within("Model-7B_MathVista_MINI_gpt-4o-mini")
    assert found is not None
    assert (found[0], found[1]) == ("Model-7B", "gpt-4o-mini")


def test_task_names_match_exactly() -> None:
    assert [e.variant for e in LMMS_EVAL.exact("mmbench_en_dev_v11")] == ["mmbench-v1.1/en/dev"]
    assert [e.variant for e in LMMS_EVAL.exact("mmbench_en_dev")] == ["mmbench-v1.0/en/dev"]
    assert LMMS_EVAL.exact("mmbench_en_dev_lite") == []
    assert LM_EVAL.exact("mmlu_abstract_algebra") == []
    assert len(LM_EVAL.exact("ifeval")) == 4
