"""``modelvs import lm-eval|lmms-eval|vlmevalkit`` on result files in each harness's layout.

The fixture registry lacks some variants the mapping tables name, so most tests append
tests/fixtures/importers/benchmarks_extra.yaml to a copy of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelvs.catalog.load import load_catalog
from modelvs.catalog.schema import Model, Score

from .conftest import CliResult, Runner

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
LM_EVAL_FULL = FIXTURES / "lm-eval" / "full"
LM_EVAL_LIMIT = FIXTURES / "lm-eval" / "limit"
LMMS_NEW = FIXTURES / "lmms-eval" / "new"
LMMS_OLD = FIXTURES / "lmms-eval" / "old"
LMMS_OLD_LIMIT = FIXTURES / "lmms-eval" / "old-limit"
VLMEVALKIT_FLAT = FIXTURES / "vlmevalkit" / "Alpha-MoE"
VLMEVALKIT_RUNS = FIXTURES / "vlmevalkit" / "Beta-4B"
SOURCE_URL = "https://results.example.org/alpha-moe"


@pytest.fixture
def extended(catalog_copy: Path) -> Path:
    """The fixture catalog with the registry variants the mapping tables need."""
    with (catalog_copy / "benchmarks.yaml").open("a", encoding="utf-8") as registry:
        registry.write((FIXTURES / "benchmarks_extra.yaml").read_text(encoding="utf-8"))
    return catalog_copy


def run_import(
    run_cli: Runner,
    catalog: Path,
    harness: str,
    path: Path,
    *extra: str,
    model: str = "alpha-moe-16b-a3b",
) -> CliResult:
    return run_cli(
        "import",
        harness,
        str(path),
        "--model",
        model,
        "--source-url",
        SOURCE_URL,
        "--retrieved",
        "2026-12-04",
        *extra,
        data=catalog,
    )


def imported(
    catalog: Path, slug: str = "alpha-moe-16b-a3b"
) -> tuple[Model, dict[str, list[Score]]]:
    """Return the model and its scores from the measured source, by variant."""
    model = load_catalog(catalog).find_model(slug)
    measured = {key for key, source in model.sources.items() if source.kind.value == "measured"}
    scores: dict[str, list[Score]] = {}
    for score in model.scores:
        if score.source in measured:
            scores.setdefault(score.variant, []).append(score)
    return model, scores


def only(scores: dict[str, list[Score]], variant: str) -> Score:
    assert len(scores.get(variant, [])) == 1, scores.get(variant)
    return scores[variant][0]


def test_default_writes_nothing(run_cli: Runner, extended: Path) -> None:
    before = {p: p.read_bytes() for p in extended.rglob("*.yaml")}
    result = run_import(run_cli, extended, "lm-eval", LM_EVAL_FULL)
    assert result.exit_code == 0, result.stderr
    assert "+++ b/models/acme/alpha-moe-16b-a3b.yaml" in result.stdout
    assert "+  - {variant: mmlu, value: 67.18" in result.stdout
    assert {p: p.read_bytes() for p in extended.rglob("*.yaml")} == before


def test_lm_eval_fractions_scaled_to_percent(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lm-eval", LM_EVAL_FULL, "--apply")
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended)
    mmlu = only(scores, "mmlu")
    assert (mmlu.value, mmlu.stderr, mmlu.items) == (67.18, 0.37, None)
    assert mmlu.setting.shots == 0
    assert mmlu.setting.harness == "lm-eval 0.4.9"
    gpqa = only(scores, "gpqa/diamond")
    assert (gpqa.value, gpqa.stderr) == (34.34, 3.383)
    assert only(scores, "humaneval").value == 41.46
    assert only(scores, "mmlu-pro").setting.shots == 5


def test_lm_eval_ifeval_four_variants(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lm-eval", LM_EVAL_FULL, "--apply")
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended)
    values = {variant: only(scores, variant).value for variant in scores if "ifeval" in variant}
    assert values == {
        "ifeval/prompt-strict": 70.06,
        "ifeval/prompt-loose": 73.57,
        "ifeval/inst-strict": 78.42,
        "ifeval/inst-loose": 81.18,
    }
    assert only(scores, "ifeval/inst-strict").stderr is None


def test_lm_eval_unknown_task_reported(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lm-eval", LM_EVAL_FULL, "--apply")
    assert result.exit_code == 0, result.stderr
    assert "arc_challenge_private: not imported: no registry variant is mapped" in result.stderr
    assert "5 subtasks of groups were not imported on their own" in result.stderr
    _, scores = imported(extended)
    assert set(scores) == {
        "mmlu",
        "mmlu-pro",
        "gpqa/diamond",
        "humaneval",
        "ifeval/prompt-strict",
        "ifeval/prompt-loose",
        "ifeval/inst-strict",
        "ifeval/inst-loose",
    }


def test_lm_eval_limit_run_keeps_item_count(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lm-eval", LM_EVAL_LIMIT, "--apply")
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended)
    gpqa = only(scores, "gpqa/diamond")
    assert (gpqa.value, gpqa.items) == (42.0, 50)
    assert gpqa.setting.harness == "lm-eval commit 91c0d2e"
    assert "partial run (--limit 50, 50 of the task's 198 items)" in (gpqa.note or "")
    assert only(scores, "humaneval").items == 50
    assert "gpqa/diamond: partial run (--limit 50, 50 of the task's 198 items)" in result.stderr


def test_partial_run_stderr_kept_in_note(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lm-eval", LM_EVAL_LIMIT, "--apply")
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended)
    gpqa = only(scores, "gpqa/diamond")
    assert gpqa.stderr is None
    assert "standard error 7.05" in (gpqa.note or "")


def test_lmms_eval_scales(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lmms-eval", LMMS_NEW, "--apply")
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended)
    assert only(scores, "mmstar").value == 61.87  # 0.6187 on a 0-1 scale
    assert only(scores, "mmbench-v1.1/en/dev").value == 78.35  # already 0-100
    assert only(scores, "ocrbench-v1").value == 823.0  # 0.823 of 1000 questions
    assert only(scores, "mme/sum").value == 2000.8  # perception 1598.3 + cognition 402.5
    assert only(scores, "docvqa/val").stderr == 0.38
    assert only(scores, "mmstar").setting.harness == "lmms-eval 0.4.1"


def test_lmms_eval_overlapping_task_names(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lmms-eval", LMMS_NEW, "--apply")
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended)
    assert only(scores, "mmbench-v1.1/en/dev").value == 78.35
    assert "mmbench_en_dev -> mmbench-v1.0/en/dev: variant 'mmbench-v1.0/en/dev' is not in" in (
        result.stderr
    )


def test_lmms_eval_fewer_items_than_variant(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lmms-eval", LMMS_NEW, "--apply")
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended)
    aacc = only(scores, "hallusionbench/aacc")
    assert (aacc.value, aacc.items) == (55.2, 951)
    # The mean of three accuracies has no item count and never enters a verdict.
    average = only(scores, "hallusionbench/avg")
    assert (average.value, average.items) == (35.2, None)
    assert "partial run (951 items, fewer than the variant's 1129)" in result.stderr


def test_lmms_eval_unknown_task_reported(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lmms-eval", LMMS_NEW)
    assert result.exit_code == 0, result.stderr
    assert "vqav2_val_lite: not imported: no registry variant is mapped" in result.stderr


def test_lmms_eval_old_layout(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lmms-eval", LMMS_OLD, "--apply")
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended)
    assert only(scores, "mme/sum").value == 1987.6
    assert only(scores, "ocrbench-v1").value == 817.0
    assert only(scores, "mmstar").setting.harness == "lmms-eval commit a1b2c3d"
    assert only(scores, "mmstar").setting.shots is None


def test_lmms_eval_old_limit_share(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lmms-eval", LMMS_OLD_LIMIT, "--apply")
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended)
    ocrbench = only(scores, "ocrbench-v1")
    # lmms-eval divides the 81 correct responses by 1000 even though the run had 100 items.
    assert (ocrbench.value, ocrbench.items) == (810.0, 100)
    mmstar = only(scores, "mmstar")
    assert (mmstar.value, mmstar.items) == (59.33, 150)
    assert "mme/sum" not in scores
    assert "partial run (--limit 0.1) not imported" in result.stderr


def test_vlmevalkit_flat_folder(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "vlmevalkit", VLMEVALKIT_FLAT, "--apply")
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended)
    values = {variant: only(scores, variant).value for variant in scores}
    assert values == {
        "mmbench-v1.1/en/dev": 79.82,
        "mmstar": 62.13,
        "ocrbench-v1": 807.0,
        "mme/sum": 2000.1,
        "hallusionbench/aacc": 56.1,
        "hallusionbench/avg": 36.27,
        "mathvista/testmini": 62.4,
        "ai2d/test": 81.2,
        "chartqa/test": 84.3,
        "docvqa/val": 90.4,
        "realworldqa": 66.01,
        "mmmu/val": 47.89,
    }
    mathvista = only(scores, "mathvista/testmini")
    assert mathvista.setting.judge == "gpt-4-turbo"
    assert mathvista.items is None
    assert mathvista.setting.harness == "VLMEvalKit"


def test_vlmevalkit_longest_name_first(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "vlmevalkit", VLMEVALKIT_FLAT)
    assert result.exit_code == 0, result.stderr
    err = result.stderr
    assert "Alpha-MoE_AI2D_TEST_NO_MASK_acc.csv: not imported: AI2D without" in err
    assert "Alpha-MoE_MMBench_DEV_EN_acc.csv -> mmbench-v1.0/en/dev: variant" in err
    assert "Alpha-MoE_SEEDBench2_Plus_acc.csv: not imported: no registry variant" in err


def test_vlmevalkit_newer_run_folder_wins(run_cli: Runner, extended: Path) -> None:
    result = run_import(
        run_cli, extended, "vlmevalkit", VLMEVALKIT_RUNS, "--apply", model="beta-4b"
    )
    assert result.exit_code == 0, result.stderr
    _, scores = imported(extended, "beta-4b")
    mmstar = only(scores, "mmstar")
    assert mmstar.value == 69.8
    assert mmstar.setting.harness == "VLMEvalKit commit 1a2b3c4d"
    assert only(scores, "ocrbench-v1").value == 870.0
    assert "replaced by the newer" in result.stderr


def test_conflict_lists_both_sources(run_cli: Runner, extended: Path) -> None:
    result = run_import(
        run_cli, extended, "vlmevalkit", VLMEVALKIT_RUNS, "--apply", model="beta-4b"
    )
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if "scores ocrbench-v1" in line)
    assert "catalog has 881 from Beta-4B model card" in line
    assert "new value 870.0 from VLMEvalKit results in" in line


def test_measured_source_records_path(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lm-eval", LM_EVAL_FULL, "--apply")
    assert result.exit_code == 0, result.stderr
    model, _ = imported(extended)
    source = model.sources["run"]
    assert source.kind.value == "measured"
    assert str(source.url) == SOURCE_URL
    assert str(LM_EVAL_FULL.resolve()) in source.title


def test_second_import_changes_nothing(run_cli: Runner, extended: Path) -> None:
    first = run_import(run_cli, extended, "lmms-eval", LMMS_NEW, "--apply")
    assert first.exit_code == 0, first.stderr
    second = run_import(run_cli, extended, "lmms-eval", LMMS_NEW, "--apply")
    assert second.exit_code == 0, second.stderr
    assert second.stdout == ""
    assert "no change to the catalog" in second.stderr


def test_applied_files_pass_data_check(run_cli: Runner, extended: Path) -> None:
    for harness, path in [
        ("lm-eval", LM_EVAL_FULL),
        ("lm-eval", LM_EVAL_LIMIT),
        ("lmms-eval", LMMS_NEW),
        ("vlmevalkit", VLMEVALKIT_FLAT),
    ]:
        result = run_import(run_cli, extended, harness, path, "--apply")
        assert result.exit_code == 0, result.stderr
    check = run_cli("data", "check", data=extended)
    assert check.exit_code == 0, check.stderr


def test_json_output(run_cli: Runner, extended: Path) -> None:
    result = run_import(run_cli, extended, "lmms-eval", LMMS_NEW, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["written"] is False
    assert report["added"] == 12
    assert [entry["path"] for entry in report["files"]] == ["models/acme/alpha-moe-16b-a3b.yaml"]
    assert any(s["item"].endswith("vqav2_val_lite") for s in report["skipped"])


def test_source_url_must_be_http(run_cli: Runner, extended: Path) -> None:
    result = run_cli(
        "import",
        "lm-eval",
        str(LM_EVAL_FULL),
        "--model",
        "alpha-moe-16b-a3b",
        "--source-url",
        "file:///tmp/results.json",
        data=extended,
    )
    assert result.exit_code == 2
    assert "is not an http(s) URL" in result.stderr


def test_not_a_results_file(run_cli: Runner, extended: Path, tmp_path: Path) -> None:
    broken = tmp_path / "results_broken.json"
    broken.write_text('{"data": []}', encoding="utf-8")
    result = run_import(run_cli, extended, "lm-eval", broken)
    assert result.exit_code == 1
    assert "has no 'results' object" in result.stderr


def test_ambiguous_filter_not_guessed(run_cli: Runner, extended: Path, tmp_path: Path) -> None:
    results = tmp_path / "results_2026-11-22T00-00-00.json"
    results.write_text(
        json.dumps({"results": {"mmlu": {"acc,strict": 0.5, "acc,loose": 0.6, "alias": "mmlu"}}}),
        encoding="utf-8",
    )
    result = run_import(run_cli, extended, "lm-eval", results)
    assert result.exit_code == 0, result.stderr
    assert "metric 'acc' has several filters; the mapping must name one" in result.stderr
    assert "no change to the catalog" in result.stderr
