"""``modelvs import prices``: an OpenRouter models list to catalog prices.

OpenRouter's models list (``GET https://openrouter.ai/api/v1/models``) gives prices as
decimal strings in USD per token: ``{"data": [{"id": "openai/gpt-4o", "pricing": {"prompt":
"0.0000025", "completion": "0.00001"}}]}``. A price of ``"-1"`` means the price varies (a
router), and ids ending in ``:free`` are rate-limited free variants.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import PriceState, SourceKind
from modelvs.errors import UnknownModelError
from modelvs.importers.changes import CatalogEdit, ImportReport, ModelFile, SourceSpec
from modelvs.importers.errors import ImportInputError

OPENROUTER_MODELS_URL = "https://openrouter.ai/api/v1/models"
PROVIDER = {"slug": "openrouter", "name": "OpenRouter", "url": "https://openrouter.ai/models"}
TOKENS_PER_MTOK = Decimal(1_000_000)
VARIES = Decimal(-1)


@dataclass(frozen=True, slots=True)
class ListedPrice:
    """One OpenRouter entry as a catalog price (USD per 1M tokens)."""

    model_id: str
    state: PriceState
    input_usd_per_mtok: float | None
    output_usd_per_mtok: float | None
    note: str


def read_price_list(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportInputError(f"{path} cannot be read as JSON: {exc}") from exc
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ImportInputError(
            f"{path} has no 'data' list, so it is not an OpenRouter models list; save the"
            f" response of {OPENROUTER_MODELS_URL}"
        )
    return [entry for entry in entries if isinstance(entry, dict) and entry.get("id")]


def _per_token(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _per_mtok(value: Decimal) -> float | None:
    """USD per token to USD per 1M tokens; zero (a free side of a paid model) is unknown."""
    return float((value * TOKENS_PER_MTOK).normalize()) if value > 0 else None


def parse_price(entry: Mapping[str, Any]) -> ListedPrice | str:
    """Return the catalog price of one entry, or the reason it is skipped."""
    model_id = str(entry["id"])
    pricing = entry.get("pricing")
    if not isinstance(pricing, dict):
        return "no pricing object in the entry"
    prompt, completion = _per_token(pricing.get("prompt")), _per_token(pricing.get("completion"))
    if prompt is None or completion is None:
        return "no prompt and completion prices in the entry"
    if VARIES in (prompt, completion):
        note = f"OpenRouter {model_id}: listed as -1, the price varies"
        return ListedPrice(model_id, PriceState.VARIES, None, None, note)
    if prompt < 0 or completion < 0:
        return f"negative price (prompt {prompt:f}, completion {completion:f})"
    if model_id.endswith(":free") or prompt == completion == 0:
        note = f"OpenRouter {model_id}: free variant, rate-limited"
        if prompt or completion:
            return f"a ':free' id with a price (prompt {prompt:f}, completion {completion:f})"
        return ListedPrice(model_id, PriceState.FREE, None, None, note)

    note = f"OpenRouter {model_id}"
    zero = [side for side, price in (("input", prompt), ("output", completion)) if price == 0]
    if zero:
        note += f"; {' and '.join(zero)} listed at 0, left out"
    return ListedPrice(model_id, PriceState.PAID, _per_mtok(prompt), _per_mtok(completion), note)


def _find_slug(catalog: Catalog, model_id: str, explicit: Mapping[str, str]) -> str | None:
    base = model_id.split(":")[0]
    for candidate in (model_id, base):
        if candidate in explicit:
            return catalog.find_model(explicit[candidate]).slug
    for candidate in (model_id, base):
        try:
            return catalog.find_model(candidate).slug
        except UnknownModelError:
            continue
    return None


def import_prices(
    catalog: Catalog,
    path: Path,
    explicit: Mapping[str, str],
    source_url: str,
    retrieved: dt.date,
) -> tuple[CatalogEdit, ImportReport]:
    """Stage OpenRouter prices of every mapped model, dated ``retrieved``."""
    edit = CatalogEdit(catalog)
    report = ImportReport("import prices")
    spec = SourceSpec(
        url=source_url,
        title=f"OpenRouter models list, saved as {path.name}",
        kind=SourceKind.THIRD_PARTY,
        retrieved=retrieved,
        key="openrouter",
    )
    listed: list[tuple[str, ListedPrice]] = []
    unmapped = []
    for entry in read_price_list(path):
        parsed = parse_price(entry)
        if isinstance(parsed, str):
            report.skip(str(entry["id"]), f"not imported: {parsed}")
            continue
        slug = _find_slug(catalog, parsed.model_id, explicit)
        if slug is None:
            unmapped.append(parsed.model_id)
            continue
        listed.append((slug, parsed))
    if unmapped:
        report.skip(
            f"{len(unmapped)} unmapped ids",
            "no catalog model has these as an alias; map one with --map ID=SLUG:"
            f" {', '.join(unmapped)}",
        )

    if listed and PROVIDER["slug"] not in catalog.providers:
        edit.document("providers.yaml").append(["providers"], dict(PROVIDER))
        report.added += 1
        report.notes.append(f"providers.yaml: provider {PROVIDER['slug']!r} added")
    # Paid prices first: the comparison shows the first price of a provider on a date.
    listed.sort(key=lambda pair: pair[1].state is not PriceState.PAID)
    staged: dict[tuple[str, PriceState], str] = {}
    for slug, price in listed:
        first = staged.setdefault((slug, price.state), price.model_id)
        if first != price.model_id:
            report.skip(
                price.model_id,
                f"not imported: {first} already gave {slug} a {price.state.value} price",
            )
            continue
        _stage_price(edit.model(slug), price, spec, report)
    return edit, report


def _stage_price(
    model: ModelFile, price: ListedPrice, spec: SourceSpec, report: ImportReport
) -> None:
    record: dict[str, Any] = {"provider": PROVIDER["slug"]}
    if price.state is not PriceState.PAID:
        record["state"] = price.state.value
    if price.input_usd_per_mtok is not None:
        record["input_usd_per_mtok"] = price.input_usd_per_mtok
    if price.output_usd_per_mtok is not None:
        record["output_usd_per_mtok"] = price.output_usd_per_mtok
    record["date"] = spec.retrieved

    name = f"{model.relative}: prices {price.model_id}"
    amounts = ("state", "input_usd_per_mtok", "output_usd_per_mtok")
    existing = [
        (index, entry)
        for index, entry in enumerate(model.doc.get(["prices"]) or [])
        if entry.get("provider") == PROVIDER["slug"]
        and entry.get("state", "paid") == price.state.value
    ]
    newest = max(existing, key=lambda pair: pair[1].get("date"), default=None)
    if newest and all(newest[1].get(key) == record.get(key) for key in amounts):
        report.skip(name, f"unchanged since {newest[1].get('date')}")
        return
    same_day = [pair for pair in existing if pair[1].get("date") == spec.retrieved]
    if same_day and not model.cites(same_day[0][1].get("source"), spec):
        report.skip(
            name, f"the catalog already has a {price.state.value} price on {spec.retrieved}"
        )
        return

    record["source"] = model.cite(spec)
    record["note"] = price.note
    if same_day:
        model.doc.replace_item(["prices"], same_day[0][0], record)
        report.changed += 1
    else:
        model.doc.append(["prices"], record)
        report.added += 1
