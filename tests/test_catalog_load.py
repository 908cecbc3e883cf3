"""Loading and validating catalog files: every problem found, located and explained."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelvs.catalog.load import load_catalog, read_catalog
from modelvs.catalog.problems import Severity
from modelvs.errors import CatalogError, UnknownModelError

from .conftest import Runner


def errors_of(root: Path) -> list[str]:
    _, problems = read_catalog(root)
    return [p.format(root) for p in problems if p.severity is Severity.ERROR]


def reviews_of(root: Path) -> list[str]:
    _, problems = read_catalog(root)
    return [p.format(root) for p in problems if p.severity is Severity.REVIEW]


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) with ``new`` in a catalog file."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


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


GAMMA = Path("models") / "gamma" / "gamma-api.yaml"
BETA = Path("models") / "beta" / "beta-4b.yaml"
ALPHA = Path("models") / "acme" / "alpha-moe-16b-a3b.yaml"


def test_impossible_dates_located_not_crash(catalog_copy: Path) -> None:
    edit(catalog_copy / GAMMA, "date: 2025-04-14", "date: 2024-02-30")
    edit(catalog_copy / BETA, "0.6, date: 2026-11-01", "0.6, date: 2026-13-05")

    errors = errors_of(catalog_copy)

    assert len(errors) == 2
    assert errors[0].startswith("models/beta/beta-4b.yaml:38: prices[0].date: must be a real date")
    assert "'2026-13-05'" in errors[0]
    assert errors[1].startswith("models/gamma/gamma-api.yaml:7: release.date: must be a real date")
    assert "'2024-02-30'" in errors[1]


def test_explicit_timestamp_tag_validated(catalog_copy: Path) -> None:
    edit(catalog_copy / GAMMA, "date: 2025-04-14", "date: !!timestamp 2024-02-30")
    errors = errors_of(catalog_copy)
    assert len(errors) == 1
    assert errors[0].startswith("models/gamma/gamma-api.yaml:7: release.date: must be a real date")


def test_malformed_tagged_scalar_located(catalog_copy: Path) -> None:
    edit(catalog_copy / GAMMA, "input_tokens: {value: 1000000,", "input_tokens: {value: !!int '',")
    errors = errors_of(catalog_copy)
    assert len(errors) == 1
    assert errors[0].startswith("models/gamma/gamma-api.yaml:9: (file): invalid YAML: cannot read")


def test_duplicate_key_reported_with_line(catalog_copy: Path) -> None:
    edit(catalog_copy / GAMMA, "organization: gamma\n", "organization: gamma\nname: Gamma Two\n")

    errors = errors_of(catalog_copy)

    assert errors == [
        "models/gamma/gamma-api.yaml:5: name: key 'name' is repeated (first on line 3);"
        " YAML keeps only the last value, so remove one of them",
    ]


def test_duplicate_key_in_flow_mapping(catalog_copy: Path) -> None:
    edit(catalog_copy / GAMMA, "marks: api, source: docs}", "marks: api, source: docs, marks: api}")
    errors = errors_of(catalog_copy)
    assert len(errors) == 1
    assert errors[0].startswith("models/gamma/gamma-api.yaml:7: release.marks: key 'marks'")


def test_yml_model_file_reported(catalog_copy: Path) -> None:
    path = catalog_copy / GAMMA
    path.rename(path.with_suffix(".yml"))
    errors = errors_of(catalog_copy)
    assert errors == [
        "models/gamma/gamma-api.yml:1: (file): model files must end in .yaml, so this file is"
        " not read; rename it to gamma-api.yaml"
    ]


def test_yml_registry_file_named_in_missing(catalog_copy: Path) -> None:
    path = catalog_copy / "providers.yaml"
    path.rename(path.with_suffix(".yml"))
    errors = errors_of(catalog_copy)
    assert errors == [
        "providers.yaml:1: (file): missing; found providers.yml, rename it to providers.yaml"
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "benchmarks.yaml",
            "{id: docvqa/val,",
            "{id: docvqa/test,",
            "benchmarks.yaml:45: benchmarks[5].variants[1].id: variant id 'docvqa/test' is"
            " already used on line 44",
        ),
        (
            "benchmarks.yaml",
            "  - slug: mmstar\n",
            "  - slug: ai2d\n",
            "benchmarks.yaml:10: benchmarks[1].slug: benchmark slug 'ai2d' is already used"
            " on line 3",
        ),
        (
            "organizations.yaml",
            "{slug: gamma, name: Gamma AI,",
            "{slug: beta, name: Gamma AI,",
            "organizations.yaml:5: organizations[2].slug: organization slug 'beta' is already"
            " used on line 4",
        ),
        (
            "providers.yaml",
            "{slug: cloud-two,",
            "{slug: cloud-one,",
            "providers.yaml:3: providers[1].slug: provider slug 'cloud-one' is already used"
            " on line 2",
        ),
    ],
)
def test_duplicate_registry_id_reported(
    catalog_copy: Path, file: str, old: str, new: str, expected: str
) -> None:
    edit(catalog_copy / file, old, new)
    errors = errors_of(catalog_copy)
    matching = [e for e in errors if e.startswith(expected)]
    assert len(matching) == 1, errors


def test_broken_registry_skips_variant_checks(catalog_copy: Path) -> None:
    edit(catalog_copy / "benchmarks.yaml", "category: general-vqa", "category: vqa")

    _, problems = read_catalog(catalog_copy)
    lines = [p.format(catalog_copy) for p in problems]

    assert not any("unknown variant" in line for line in lines)
    skipped = [line for line in lines if "were not checked" in line]
    assert skipped == [
        "benchmarks.yaml:1: (file): review: the variants of scores were not checked because"
        " benchmarks.yaml has errors; fix it and run again"
    ]


def test_wrong_shape_says_expected_shape(catalog_copy: Path, run_cli: Runner) -> None:
    (catalog_copy / "benchmarks.yaml").write_text("- slug: ai2d\n")

    result = run_cli("data", "check", data=catalog_copy)

    assert result.exit_code == 1
    assert (
        "benchmarks.yaml:1: (file): must be a mapping with a 'benchmarks' list;"
        " start the file with 'benchmarks:'" in result.stderr
    )
    assert "valid dictionary" not in result.stderr
    assert ": 1 error, " in result.stderr


@pytest.mark.parametrize(
    ("file", "old", "new", "field"),
    [
        (BETA, "input_usd_per_mtok: 0.2", "input_usd_per_mtok: 20000", "input_usd_per_mtok"),
        (BETA, "input_usd_per_mtok: 0.2", "input_usd_per_mtok: .inf", "input_usd_per_mtok"),
        (BETA, "output_usd_per_mtok: 0.6", "output_usd_per_mtok: .nan", "output_usd_per_mtok"),
        (BETA, "value: 262144", "value: 1000000000", "context.input_tokens.value"),
        (BETA, "{variant: mmstar, value: 69.8,", "{variant: mmstar, value: .nan,", "value"),
        (BETA, "date: 2025-10-15", "date: 1989-12-31", "release.date"),
        (BETA, "date: 2025-10-15", "date: 2100-01-01", "release.date"),
        (BETA, "retrieved: 2026-12-01}\n  prices", "retrieved: 1970-01-01}\n  prices", "retrieved"),
        (BETA, "value: 2025-03", "value: 2300-03", "knowledge_cutoff.value"),
        (
            ALPHA,
            "{variant: mmstar, value: 57.0,",
            "{variant: mmstar, value: 57.0, items: 100000000,",
            "items",
        ),
        ("benchmarks.yaml", "items: 1500,", "items: 100000000,", "items"),
    ],
)
def test_absurd_values_rejected(
    catalog_copy: Path, file: Path | str, old: str, new: str, field: str
) -> None:
    edit(catalog_copy / file, old, new)
    errors = errors_of(catalog_copy)
    assert len(errors) == 1, errors
    assert f"{field}: must" in errors[0] or f"{field}: year" in errors[0]


def test_percent_on_large_scale_flagged(catalog_copy: Path) -> None:
    edit(
        catalog_copy / ALPHA,
        "{variant: ocrbench-v1, value: 834,",
        "{variant: ocrbench-v1, value: 83.4,",
    )

    assert errors_of(catalog_copy) == []
    reviews = [r for r in reviews_of(catalog_copy) if "alpha" in r]
    assert reviews == [
        "models/acme/alpha-moe-16b-a3b.yaml:25: scores[1].value: review: 83.4 on 'ocrbench-v1'"
        " (out of 1000) looks like a 0-100 value; store the raw value on the variant's"
        " 0-1000 scale"
    ]


def test_far_future_release_flagged(catalog_copy: Path) -> None:
    soon = dt.date.today() + dt.timedelta(days=30)
    later = dt.date.today() + dt.timedelta(days=61)
    edit(catalog_copy / GAMMA, "date: 2025-04-14", f"date: {soon}")
    edit(catalog_copy / BETA, "date: 2025-10-15", f"date: {later}")

    reviews = [r for r in reviews_of(catalog_copy) if "release.date" in r]

    assert len(reviews) == 1
    assert reviews[0].startswith(f"models/beta/beta-4b.yaml:10: release.date: review: {later}")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # Written raw: a YAML parser alone would stop at the ESC with no field.
        (
            "name: Gamma API",
            "name: Gamma \x1b[2J API",
            "3: name: contains the control character U+001B",
        ),
        (
            "name: Gamma API",
            "name: Gamma \u202e IPA",
            "3: name: contains the bidirectional control U+202E",
        ),
        (
            "# Fictional",
            "# \u2066Fictional",
            "1: (file): contains the bidirectional control U+2066",
        ),
        # Produced by an escape inside a double-quoted string.
        (
            "name: Gamma API",
            'name: "Gamma \\e[31m API"',
            "3: name: an escape sequence produces the control character U+001B",
        ),
        (
            "name: Gamma API",
            'name: "Gamma \\u200f API"',
            "3: name: an escape sequence produces the bidirectional control U+200F",
        ),
    ],
)
def test_control_characters_rejected(catalog_copy: Path, old: str, new: str, expected: str) -> None:
    edit(catalog_copy / GAMMA, old, new)
    errors = errors_of(catalog_copy)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"models/gamma/gamma-api.yaml:{expected}")
    assert errors[0].endswith(f"remove {expected.split()[-1]}")


def test_control_character_in_loaded_model_never_shown(catalog_copy: Path) -> None:
    edit(catalog_copy / GAMMA, "name: Gamma API", "name: Gamma \x1b[2J API")
    catalog, _ = read_catalog(catalog_copy)
    assert "\x1b" not in catalog.models["gamma-api"].name


@pytest.mark.parametrize("slug", ["gamma-vs-api", "gamma-vs"])
def test_slug_with_pair_separator_rejected(catalog_copy: Path, slug: str) -> None:
    edit(catalog_copy / GAMMA, "slug: gamma-api", f"slug: {slug}")
    (catalog_copy / GAMMA).rename(catalog_copy / "models" / "gamma" / f"{slug}.yaml")
    errors = errors_of(catalog_copy)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"models/gamma/{slug}.yaml:2: slug: '{slug}' contains '-vs-'")


def test_missing_folder_one_error(tmp_path: Path, run_cli: Runner) -> None:
    missing = tmp_path / "no-such-catalog"

    result = run_cli("data", "check", data=missing)

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert f"the catalog folder {missing} does not exist" in lines[0]
    assert "--data PATH or set MODELVS_DATA" in lines[0]
    assert lines[1].endswith(": 1 error, 0 to review")


YAML_PIECES = st.sampled_from(
    [
        "slug",
        "name",
        ":",
        " ",
        "\n",
        "  ",
        "- ",
        "{",
        "}",
        "[",
        "]",
        ",",
        "&a",
        "*a",
        "!!timestamp",
        "!!int",
        "2024-02-30",
        "'",
        '"',
        "\\e",
        "\u202e",
        "\x1b",
        "? ",
        "<<",
        "|",
        ">",
        "#",
        ".inf",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(YAML_PIECES, max_size=40))
def test_any_model_text_never_crashes(catalog_copy: Path, pieces: list[str]) -> None:
    path = catalog_copy / "models" / "acme" / "fuzz.yaml"
    path.write_text("".join(pieces), encoding="utf-8")
    _, problems = read_catalog(catalog_copy, use_cache=False)
    for problem in problems:
        assert problem.line >= 1
        assert problem.format(catalog_copy)


def test_cache_sees_new_yml_file(catalog_copy: Path) -> None:
    assert errors_of(catalog_copy) == []
    (catalog_copy / "models" / "gamma" / "delta.yml").write_text("slug: delta\n")
    errors = errors_of(catalog_copy)
    assert len(errors) == 1
    assert "rename it to delta.yaml" in errors[0]
