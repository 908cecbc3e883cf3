"""``modelvs import prices`` on an OpenRouter models list."""

from __future__ import annotations

import json
from pathlib import Path

from modelvs.catalog.load import load_catalog
from modelvs.catalog.schema import Price, PriceState
from modelvs.importers.prices import parse_price

from .conftest import CliResult, Runner

PRICE_LIST = Path(__file__).parent / "fixtures" / "importers" / "prices" / "openrouter_models.json"
MAPS = [
    "--map",
    "gamma/gamma-router=gamma-api",
    "--map",
    "gamma/gamma-batch=gamma-api",
    "--map",
    "acme/alpha-moe-promo=alpha-moe-16b-a3b",
]


def run_import(run_cli: Runner, catalog: Path, *extra: str) -> CliResult:
    return run_cli(
        "import", "prices", str(PRICE_LIST), "--retrieved", "2026-12-04", *extra, data=catalog
    )


def openrouter_prices(catalog: Path, slug: str) -> list[Price]:
    model = load_catalog(catalog).find_model(slug)
    return [price for price in model.prices if price.provider == "openrouter"]


def test_per_token_prices_become_per_million(run_cli: Runner, catalog_copy: Path) -> None:
    result = run_import(run_cli, catalog_copy, *MAPS, "--apply")
    assert result.exit_code == 0, result.stderr
    paid = [p for p in openrouter_prices(catalog_copy, "beta-4b") if p.state is PriceState.PAID]
    assert [(p.input_usd_per_mtok, p.output_usd_per_mtok) for p in paid] == [(0.2, 0.6)]
    alpha = openrouter_prices(catalog_copy, "alpha-moe-16b-a3b")[0]
    assert (alpha.input_usd_per_mtok, alpha.output_usd_per_mtok) == (0.07, 0.28)
    assert alpha.date.isoformat() == "2026-12-04"


def test_varies_price_is_a_state(run_cli: Runner, catalog_copy: Path) -> None:
    result = run_import(run_cli, catalog_copy, *MAPS, "--apply")
    assert result.exit_code == 0, result.stderr
    states = {p.state: p for p in openrouter_prices(catalog_copy, "gamma-api")}
    varies = states[PriceState.VARIES]
    assert (varies.input_usd_per_mtok, varies.output_usd_per_mtok) == (None, None)


def test_free_variants_are_a_state(run_cli: Runner, catalog_copy: Path) -> None:
    result = run_import(run_cli, catalog_copy, *MAPS, "--apply")
    assert result.exit_code == 0, result.stderr
    beta = openrouter_prices(catalog_copy, "beta-4b")
    assert [p.state for p in beta] == [PriceState.PAID, PriceState.FREE]
    assert "beta/beta-4b-instruct:free" in (beta[1].note or "")
    alpha = openrouter_prices(catalog_copy, "alpha-moe-16b-a3b")
    assert [p.state for p in alpha] == [PriceState.PAID, PriceState.FREE]
    assert "acme/alpha-moe-promo" in (alpha[1].note or "")


def test_zero_side_of_paid_price_left_out(run_cli: Runner, catalog_copy: Path) -> None:
    result = run_import(run_cli, catalog_copy, *MAPS, "--apply")
    assert result.exit_code == 0, result.stderr
    states = {p.state: p for p in openrouter_prices(catalog_copy, "gamma-api")}
    batch = states[PriceState.PAID]
    assert (batch.input_usd_per_mtok, batch.output_usd_per_mtok) == (None, 4.0)
    assert "input listed at 0, left out" in (batch.note or "")


def test_negative_price_skipped(run_cli: Runner, catalog_copy: Path) -> None:
    result = run_import(run_cli, catalog_copy, *MAPS)
    assert result.exit_code == 0, result.stderr
    assert "broken/negative-price: not imported: negative price" in result.stderr


def test_unmapped_ids_reported(run_cli: Runner, catalog_copy: Path) -> None:
    result = run_import(run_cli, catalog_copy)
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if "unmapped ids" in line)
    assert "someone/unknown-model" in line
    assert "gamma/gamma-router" in line
    assert "beta/beta-4b-instruct" not in line


def test_missing_provider_is_added(run_cli: Runner, catalog_copy: Path) -> None:
    result = run_import(run_cli, catalog_copy, *MAPS, "--apply")
    assert result.exit_code == 0, result.stderr
    assert "openrouter" in load_catalog(catalog_copy).providers
    assert "+  - {slug: openrouter, name: OpenRouter" in result.stdout
    check = run_cli("data", "check", data=catalog_copy)
    assert check.exit_code == 0, check.stderr


def test_default_writes_nothing(run_cli: Runner, catalog_copy: Path) -> None:
    before = {p: p.read_bytes() for p in catalog_copy.rglob("*.yaml")}
    result = run_import(run_cli, catalog_copy, *MAPS)
    assert result.exit_code == 0, result.stderr
    assert "+++ b/models/beta/beta-4b.yaml" in result.stdout
    assert {p: p.read_bytes() for p in catalog_copy.rglob("*.yaml")} == before


def test_second_import_changes_nothing(run_cli: Runner, catalog_copy: Path) -> None:
    first = run_import(run_cli, catalog_copy, *MAPS, "--apply")
    assert first.exit_code == 0, first.stderr
    second = run_import(run_cli, catalog_copy, *MAPS, "--apply", "--format", "json")
    assert second.exit_code == 0, second.stderr
    report = json.loads(second.stdout)
    assert (report["added"], report["changed"], report["files"]) == (0, 0, [])


def test_map_to_unknown_model(run_cli: Runner, catalog_copy: Path) -> None:
    result = run_import(run_cli, catalog_copy, "--map", "acme/alpha-moe=no-such-model")
    assert result.exit_code == 2
    assert "unknown model 'no-such-model'" in result.stderr


def test_bad_map_option(run_cli: Runner, catalog_copy: Path) -> None:
    result = run_import(run_cli, catalog_copy, "--map", "acme/alpha-moe")
    assert result.exit_code == 2
    assert "is not ID=SLUG" in result.stderr


def test_parse_price_table() -> None:
    cases = [
        ({"prompt": "0.0000025", "completion": "0.00001"}, "a/b", PriceState.PAID, 2.5, 10.0),
        ({"prompt": "-1", "completion": "-1"}, "a/router", PriceState.VARIES, None, None),
        ({"prompt": "0", "completion": "0"}, "a/b:free", PriceState.FREE, None, None),
        ({"prompt": "0", "completion": "0"}, "a/b", PriceState.FREE, None, None),
        (
            {"prompt": "0.000000015", "completion": "0.00000006"},
            "a/c",
            PriceState.PAID,
            0.015,
            0.06,
        ),
    ]
    for pricing, model_id, state, input_price, output_price in cases:
        parsed = parse_price({"id": model_id, "pricing": pricing})
        assert not isinstance(parsed, str), parsed
        assert (parsed.state, parsed.input_usd_per_mtok, parsed.output_usd_per_mtok) == (
            state,
            input_price,
            output_price,
        ), model_id


def test_parse_price_rejects_priced_free_id() -> None:
    parsed = parse_price({"id": "a/b:free", "pricing": {"prompt": "0.000001", "completion": "0"}})
    assert isinstance(parsed, str)
    assert "':free' id with a price" in parsed
