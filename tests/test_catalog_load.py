"""Loading and validating catalog files: every problem found, located and explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelvs.catalog.load import load_catalog, read_catalog
from modelvs.catalog.problems import Severity
from modelvs.errors import CatalogError, UnknownModelError

from .conftest import Runner


def errors_of(root: Path) -> list[str]:
    _, problems = read_catalog(root)
    return [p.format(root) for p in problems if p.severity is Severity.ERROR]


def test_fixture_catalog_is_valid(catalog_copy: Path) -> None:
    assert errors_of(catalog_copy) == []


def test_lookup_by_slug_name_alias_any_case(catalog: object) -> None:
    from modelvs.catalog.catalog import Catalog

    assert isinstance(catalog, Catalog)
    assert catalog.find_model("ALPHA-MOE-16B-A3B").slug == "alpha-moe-16b-a3b"
    assert catalog.find_model("alpha-moe-16b-a3b").slug == "alpha-moe-16b-a3b"
    assert catalog.find_model("Alpha-MoE-16B-A3B").slug == "alpha-moe-16b-a3b"
    assert catalog.find_model("  acme/alpha-moe ").slug == "alpha-moe-16b-a3b"


def test_unknown_model_suggests_closest(catalog: object) -> None:
    from modelvs.catalog.catalog import Catalog

    assert isinstance(catalog, Catalog)
    with pytest.raises(UnknownModelError) as info:
        catalog.find_model("beta-4")
    assert info.value.suggestions[0] == "beta-4b"
    assert "beta-4b" in str(info.value)


def test_invalid_yaml_reports_line(catalog_copy: Path) -> None:
    path = catalog_copy / "models" / "beta" / "beta-4b.yaml"
    lines = path.read_text().splitlines()
    lines[5] = "aliases: [unclosed"
    path.write_text("\n".join(lines) + "\n")

    errors = errors_of(catalog_copy)
    assert len(errors) == 1
    assert errors[0].startswith("models/beta/beta-4b.yaml:")
    assert "invalid YAML" in errors[0]


def test_unknown_field_reports_field_and_line(catalog_copy: Path) -> None:
    path = catalog_copy / "models" / "gamma" / "gamma-api.yaml"
    text = path.read_text().replace("  max_output_tokens:", "  max_output_tokenz:")
    path.write_text(text)

    errors = errors_of(catalog_copy)
    assert errors == [
        "models/gamma/gamma-api.yaml:10: context.max_output_tokenz: unknown field; check its"
        " spelling against the schema (modelvs data schema)"
    ]


def test_every_problem_listed_in_one_run(catalog_copy: Path) -> None:
    path = catalog_copy / "models" / "gamma" / "gamma-api.yaml"
    text = path.read_text()
    text = text.replace("variant: mmstar", "variant: mmstar-v9")
    text = text.replace(
        "source: docs}\n  - {provider: cloud-one, input_usd_per_mtok: 2.5",
        "source: nowhere}\n  - {provider: cloud-nine, input_usd_per_mtok: 2.5",
    )
    text = text.replace("value: 2024-06", "value: 2024-13")
    path.write_text(text)

    errors = errors_of(catalog_copy)
    joined = "\n".join(errors)
    # The invalid date stops model validation, so the reference checks of that file wait
    # until it parses; they are reported on the next run.
    assert "knowledge_cutoff.value" in joined
    assert "2024-13" in joined

    path.write_text(text.replace("value: 2024-13", "value: 2024-12"))
    joined = "\n".join(errors_of(catalog_copy))
    assert "unknown variant 'mmstar-v9'" in joined
    assert "source 'nowhere' is not defined" in joined
    assert "unknown provider 'cloud-nine'" in joined


def test_value_without_source_rejected(catalog_copy: Path) -> None:
    path = catalog_copy / "models" / "gamma" / "gamma-api.yaml"
    path.write_text(
        path.read_text().replace(
            "input_tokens: {value: 1000000, source: docs}", "input_tokens: {value: 1000000}"
        )
    )
    errors = errors_of(catalog_copy)
    assert len(errors) == 1
    assert "context.input_tokens" in errors[0]
    assert "a value needs a source" in errors[0]


def test_duplicate_alias_rejected(catalog_copy: Path) -> None:
    path = catalog_copy / "models" / "gamma" / "gamma-api.yaml"
    path.write_text(
        path.read_text().replace("name: Gamma API", "name: Gamma API\naliases: [Beta-4B]")
    )
    errors = errors_of(catalog_copy)
    assert len(errors) == 1
    assert "'Beta-4B' already names model 'beta-4b'" in errors[0]


def test_score_above_scale_rejected(catalog_copy: Path) -> None:
    path = catalog_copy / "models" / "acme" / "alpha-moe-16b-a3b.yaml"
    path.write_text(
        path.read_text().replace("{variant: mmstar, value: 57.0", "{variant: mmstar, value: 570")
    )
    errors = errors_of(catalog_copy)
    assert len(errors) == 1
    assert "above the variant's maximum 100" in errors[0]


def test_file_path_must_match_slug(catalog_copy: Path) -> None:
    path = catalog_copy / "models" / "gamma" / "gamma-api.yaml"
    path.rename(path.with_name("other.yaml"))
    assert any(
        "file should be data/models/gamma/gamma-api.yaml" in e for e in errors_of(catalog_copy)
    )


@pytest.mark.parametrize("content", [b"\x00\xff\xfe binary", b"- just\n- a list\n", b""])
def test_malformed_file_never_crashes(catalog_copy: Path, content: bytes) -> None:
    (catalog_copy / "models" / "acme" / "broken.yaml").write_bytes(content)
    errors = errors_of(catalog_copy)
    assert len(errors) == 1
    assert errors[0].startswith("models/acme/broken.yaml:1:")


def test_load_raises_with_all_errors(catalog_copy: Path) -> None:
    (catalog_copy / "models" / "acme" / "a.yaml").write_text("[")
    (catalog_copy / "models" / "acme" / "b.yaml").write_text("]")
    with pytest.raises(CatalogError) as info:
        load_catalog(catalog_copy)
    assert len(info.value.problems) == 2


def test_family_outlier_flagged_for_review(catalog_copy: Path) -> None:
    base = (catalog_copy / "models" / "beta" / "beta-4b.yaml").read_text()
    for slug, context in (("beta-8b", 262144), ("beta-2b", 262144), ("beta-1b", 2048)):
        text = base.replace("slug: beta-4b", f"slug: {slug}").replace(
            "name: Beta-4B", f"name: {slug}"
        )
        text = text.replace("aliases: [beta/Beta-4B-Instruct]", "aliases: []")
        text = text.replace("value: 262144", f"value: {context}")
        (catalog_copy / "models" / "beta" / f"{slug}.yaml").write_text(text)

    _, problems = read_catalog(catalog_copy)
    reviews = [p.format(catalog_copy) for p in problems if p.severity is Severity.REVIEW]
    assert any("beta-1b.yaml" in r and "context.input_tokens" in r for r in reviews)
    assert any("beta-2b.yaml" in r and "parameters.total_billions" in r for r in reviews)
    assert not any("beta-4b.yaml" in r for r in reviews)


def test_data_check_cli_lists_problems_and_exits_1(catalog_copy: Path, run_cli: Runner) -> None:
    (catalog_copy / "models" / "acme" / "a.yaml").write_text("slug: [")
    (catalog_copy / "models" / "acme" / "b.yaml").write_text("slug: b\n")
    result = run_cli("data", "check", data=catalog_copy)
    assert result.exit_code == 1
    assert "a.yaml:2: (file): invalid YAML" in result.stderr
    assert "b.yaml:1: name: required field is missing; add it" in result.stderr
    assert result.stdout == ""


def test_data_check_cli_passes_on_valid(run_cli: Runner) -> None:
    result = run_cli("data", "check")
    assert result.exit_code == 0
    assert "0 errors" in result.stderr


def test_zero_size_tag_does_not_crash(catalog_copy: Path) -> None:
    path = catalog_copy / "models" / "beta" / "beta-4b.yaml"
    text = path.read_text().replace("slug: beta-4b", "slug: beta-0b")
    path.unlink()
    (path.parent / "beta-0b.yaml").write_text(text)
    assert errors_of(catalog_copy) == []


def test_cache_reloads_after_edit(catalog_copy: Path) -> None:
    first, _ = read_catalog(catalog_copy)
    cached, _ = read_catalog(catalog_copy)
    assert cached.models.keys() == first.models.keys()

    path = catalog_copy / "models" / "beta" / "beta-4b.yaml"
    path.write_text(path.read_text().replace("name: Beta-4B", "name: Beta-4C"))
    edited, _ = read_catalog(catalog_copy)
    assert edited.models["beta-4b"].name == "Beta-4C"

    path.unlink()
    removed, _ = read_catalog(catalog_copy)
    assert "beta-4b" not in removed.models


def test_corrupt_cache_is_ignored(catalog_copy: Path) -> None:
    from modelvs.catalog.cache import cache_dir

    read_catalog(catalog_copy)
    for cached_file in cache_dir().glob("catalog-*.pickle"):
        cached_file.write_bytes(b"not a pickle")
    catalog, _ = read_catalog(catalog_copy)
    assert "beta-4b" in catalog.models
