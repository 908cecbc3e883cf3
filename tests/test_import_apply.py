"""``modelvs data apply``: change files, as the "report incorrect data" form writes them."""

from __future__ import annotations

from pathlib import Path

from modelvs.catalog.load import load_catalog

from .conftest import CliResult, Runner

CHANGES = Path(__file__).parent / "fixtures" / "importers" / "changes"


def apply(run_cli: Runner, catalog: Path, name: str, *extra: str) -> CliResult:
    return run_cli("data", "apply", str(CHANGES / name), *extra, data=catalog)


def snapshot(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*.yaml")}


def test_apply_writes_valid_files(run_cli: Runner, catalog_copy: Path) -> None:
    result = apply(run_cli, catalog_copy, "corrections.yaml")
    assert result.exit_code == 0, result.stderr
    assert "+++ b/models/gamma/gamma-api.yaml" in result.stdout
    catalog = load_catalog(catalog_copy)
    gamma = catalog.find_model("gamma-api")
    assert gamma.context.input_tokens.value == 1048576
    assert gamma.context.input_tokens.note == "The limits page gives 1,048,576 input tokens."
    source = gamma.sources[gamma.context.input_tokens.source or ""]
    assert (str(source.url), source.kind.value) == (
        "https://gamma.example.org/docs/limits",
        "self-reported",
    )
    assert gamma.knowledge_cutoff.value == "2024-08"
    assert gamma.knowledge_cutoff.source == gamma.context.input_tokens.source
    check = run_cli("data", "check", data=catalog_copy)
    assert check.exit_code == 0, check.stderr


def test_apply_appends_to_lists(run_cli: Runner, catalog_copy: Path) -> None:
    result = apply(run_cli, catalog_copy, "corrections.yaml")
    assert result.exit_code == 0, result.stderr
    beta = load_catalog(catalog_copy).find_model("beta-4b")
    added = [s for s in beta.scores if s.variant == "realworldqa" and s.value == 71.2]
    assert len(added) == 1
    assert beta.sources[added[0].source].kind.value == "third-party"
    assert beta.release is not None
    assert (beta.release.date.isoformat(), beta.release.marks.value) == (
        "2025-10-14",
        "announcement",
    )


def test_dry_run_writes_nothing(run_cli: Runner, catalog_copy: Path) -> None:
    before = snapshot(catalog_copy)
    result = apply(run_cli, catalog_copy, "corrections.yaml", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "-  input_tokens: {value: 1000000, source: docs}" in result.stdout
    assert snapshot(catalog_copy) == before


def test_path_outside_models_rejected(run_cli: Runner, catalog_copy: Path) -> None:
    before = snapshot(catalog_copy)
    result = apply(run_cli, catalog_copy, "traversal.yaml")
    assert result.exit_code == 1
    assert "must be a relative path such as models/" in result.stderr
    assert snapshot(catalog_copy) == before


def test_unknown_field_rejected(run_cli: Runner, catalog_copy: Path) -> None:
    result = apply(run_cli, catalog_copy, "unknown_field.yaml")
    assert result.exit_code == 1
    assert "'context.window_size' is not a field of a model file" in result.stderr


def test_invalid_value_never_written(run_cli: Runner, catalog_copy: Path) -> None:
    before = snapshot(catalog_copy)
    result = apply(run_cli, catalog_copy, "invalid_value.yaml")
    assert result.exit_code == 1
    assert "models/beta/beta-4b.yaml:" in result.stderr
    assert "context.input_tokens.value" in result.stderr
    assert "nothing was written" in result.stderr
    assert snapshot(catalog_copy) == before


def test_change_without_source_rejected(run_cli: Runner, catalog_copy: Path) -> None:
    result = apply(run_cli, catalog_copy, "missing_source.yaml")
    assert result.exit_code == 1
    assert "change 1: source: Field required" in result.stderr
