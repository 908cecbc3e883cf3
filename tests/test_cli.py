"""The command-line interface through its real entry point."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import Runner

GOLDEN = Path(__file__).parent / "golden"
SECTION_TITLES = [
    "1. Verdict",
    "2. Which should you choose?",
    "3. Benchmarks",
    "4. Arena rating",
    "5. Pricing",
    "6. Size and memory to self-host",
    "7. Context window",
    "8. Modalities",
    "9. License",
    "10. Release timeline",
    "11. Knowledge cutoff",
    "12. Outputs comparison",
    "13. Key takeaways",
    "14. Every field, with sources",
    "15. FAQ",
]


def test_compare_text_has_every_section(run_cli: Runner) -> None:
    result = run_cli("compare", "alpha-moe-16b-a3b", "beta-4b", "--as-of", "2026-12-04")
    assert result.exit_code == 0, result.stderr
    positions = [result.stdout.index(title) for title in SECTION_TITLES]
    assert positions == sorted(positions)


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_compare_whole_output(run_cli: Runner, output_format: str) -> None:
    """The whole report is pinned; regenerate with `make golden` after reviewing the change."""
    result = run_cli(
        "compare",
        "alpha-moe-16b-a3b",
        "beta-4b",
        "--as-of",
        "2026-12-04",
        "--format",
        output_format,
    )
    assert result.exit_code == 0, result.stderr
    suffix = {"text": "txt", "markdown": "md"}[output_format]
    expected = (GOLDEN / f"alpha-vs-beta.{suffix}").read_text(encoding="utf-8")
    assert normalise(result.stdout) == normalise(expected)


def normalise(text: str) -> str:
    """Replace the package version, the only value that changes between releases."""
    return re.sub(r"modelvs \S+\.$", "modelvs VERSION.", text, flags=re.M)


def test_compare_json_round_trips(run_cli: Runner) -> None:
    result = run_cli("compare", "beta-4b", "gamma-api", "--format", "json", "--as-of", "2026-12-04")
    data = json.loads(result.stdout)
    assert data["as_of"] == "2026-12-04"
    assert [m["slug"] for m in data["models"]] == ["beta-4b", "gamma-api"]
    assert data["size"]["lines"][1]["total_billions"] is None
    assert data["arena"]["status"] == "no votes yet"


def test_compare_html_is_self_contained(run_cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    result = run_cli(
        "compare",
        "alpha-moe-16b-a3b",
        "beta-4b",
        "--format",
        "html",
        "--output",
        str(target),
        "--as-of",
        "2026-12-04",
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert f"wrote {target}" in result.stderr
    page = target.read_text()
    assert "<svg" in page
    assert "<script" not in page
    assert not re.search(r'<(link|img|script|iframe)[^>]+(href|src)="https?:', page)
    assert "@import" not in page
    assert "url(" not in page


def test_unknown_model_exits_2_with_suggestions(run_cli: Runner) -> None:
    result = run_cli("compare", "beta-4", "alpha-moe-16b-a3b")
    assert result.exit_code == 2
    assert "unknown model 'beta-4': did you mean beta-4b" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("compare", "beta-4b"),
        ("compare", "beta-4b", "gamma-api", "--as-of", "04/12/2026"),
        ("compare", "beta-4b", "gamma-api", "--format", "pdf"),
        ("nonsense",),
    ],
)
def test_bad_usage_exits_2(run_cli: Runner, args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_broken_catalog_exits_1(run_cli: Runner, catalog_copy: Path) -> None:
    (catalog_copy / "models" / "acme" / "bad.yaml").write_text("slug: [")
    result = run_cli("compare", "beta-4b", "gamma-api", data=catalog_copy)
    assert result.exit_code == 1
    assert "bad.yaml" in result.stderr
    assert "run 'modelvs data check'" in result.stderr


def test_models_list_json(run_cli: Runner) -> None:
    result = run_cli("models", "list", "--format", "json", "--sort", "total-params", "--desc")
    rows = json.loads(result.stdout)
    assert [r["slug"] for r in rows] == ["alpha-moe-16b-a3b", "evil-model", "beta-4b", "gamma-api"]
    assert rows[-1]["total_params_billions"] is None


def test_models_list_ascending_keeps_unknown_last(run_cli: Runner) -> None:
    result = run_cli("models", "list", "--format", "json", "--sort", "total-params")
    rows = json.loads(result.stdout)
    assert rows[-1]["slug"] == "gamma-api"


def test_models_list_filters(run_cli: Runner) -> None:
    result = run_cli("models", "list", "--format", "json", "--open-weights")
    assert {r["slug"] for r in json.loads(result.stdout)} == {"alpha-moe-16b-a3b", "beta-4b"}


def test_models_show(run_cli: Runner) -> None:
    text = run_cli("models", "show", "Beta-4B").stdout
    assert "Beta-4B (beta-4b)" in text
    assert "ocrbench-v1" in text
    data = json.loads(run_cli("models", "show", "beta-4b", "--format", "json").stdout)
    assert data["parameters"]["total_billions"]["value"] == 4.44
    assert data["file"].endswith("models/beta/beta-4b.yaml")


def test_benchmarks_list_json(run_cli: Runner) -> None:
    rows = json.loads(run_cli("benchmarks", "list", "--format", "json").stdout)
    ocr = next(r for r in rows if r["variant"] == "ocrbench-v1")
    assert ocr["scale_max"] == 1000
    assert ocr["items"] == 1000
    assert ocr["scores"] == 2


def test_data_schema_is_json_schema(run_cli: Runner) -> None:
    schema = json.loads(run_cli("data", "schema").stdout)
    assert schema["title"] == "Model"
    assert "scores" in schema["properties"]


def test_output_to_missing_folder_fails_clearly(run_cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "page.html"
    result = run_cli("compare", "beta-4b", "gamma-api", "--output", str(target))
    assert result.exit_code == 1
    assert "does not exist; create it first" in result.stderr
    assert not target.parent.exists()


def test_output_write_failure_is_an_error(run_cli: Runner, tmp_path: Path) -> None:
    # /proc accepts no new files, even for root.
    result = run_cli("compare", "beta-4b", "gamma-api", "--output", "/proc/modelvs-page.html")
    assert result.exit_code == 1
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.stderr
