"""Pricing: the cheapest list prices per model and a blended price at a stated token mix."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import Model, Price, PriceState
from modelvs.compare.facts import ratio_text, source_ref, usd
from modelvs.compare.model import PriceLine, PricingSection

# Blended price = (3 x input + 1 x output) / 4: a prompt-heavy mix, typical of chat and RAG use.
RATIO_INPUT = 3
RATIO_OUTPUT = 1


def latest_prices(model: Model) -> list[Price]:
    """Return the newest price of each provider and state (paid and free tiers both count)."""
    latest: dict[tuple[str, str], Price] = {}
    for price in model.prices:
        key = (price.provider, price.state.value)
        current = latest.get(key)
        if current is None or price.date > current.date:
            latest[key] = price
    return list(latest.values())


def blended(price: Price) -> float | None:
    if price.input_usd_per_mtok is None or price.output_usd_per_mtok is None:
        return None
    total = RATIO_INPUT * price.input_usd_per_mtok + RATIO_OUTPUT * price.output_usd_per_mtok
    return total / (RATIO_INPUT + RATIO_OUTPUT)


def price_line(catalog: Catalog, model: Model) -> PriceLine:
    prices = latest_prices(model)
    paid = [p for p in prices if p.state is PriceState.PAID]
    cheapest_input = _cheapest(paid, lambda p: p.input_usd_per_mtok)
    cheapest_output = _cheapest(paid, lambda p: p.output_usd_per_mtok)
    cheapest_blend = _cheapest(paid, blended)
    states = [
        f"{p.state.value} on {catalog.provider_name(p.provider)}"
        for p in prices
        if p.state is not PriceState.PAID
    ]
    shown = cheapest_blend or cheapest_input or cheapest_output
    return PriceLine(
        model=model.slug,
        input_usd_per_mtok=cheapest_input.input_usd_per_mtok if cheapest_input else None,
        input_provider=_provider(catalog, cheapest_input),
        output_usd_per_mtok=cheapest_output.output_usd_per_mtok if cheapest_output else None,
        output_provider=_provider(catalog, cheapest_output),
        blended_usd_per_mtok=_rounded(blended(cheapest_blend)) if cheapest_blend else None,
        blended_provider=_provider(catalog, cheapest_blend),
        states=states,
        date=shown.date if shown else None,
        source=source_ref(model, shown.source) if shown else None,
    )


def _cheapest(prices: Sequence[Price], amount: Callable[[Price], float | None]) -> Price | None:
    priced = [(value, p.provider, p) for p in prices if (value := amount(p)) is not None]
    if not priced:
        return None
    priced.sort(key=lambda item: (item[0], item[1]))
    return priced[0][2]


def _rounded(value: float | None) -> float | None:
    return round(value, 6) if value is not None else None


def _provider(catalog: Catalog, price: Price | None) -> str | None:
    return catalog.provider_name(price.provider) if price else None


def pricing_section(catalog: Catalog, models: Sequence[Model]) -> PricingSection:
    lines = [price_line(catalog, model) for model in models]
    sentences = [_describe(model, line) for model, line in zip(models, lines, strict=True)]
    if len(models) == 2:
        sentence = _compare(models[0], lines[0], models[1], lines[1])
        if sentence:
            sentences.append(sentence)
    return PricingSection(
        ratio_input=RATIO_INPUT, ratio_output=RATIO_OUTPUT, lines=lines, sentences=sentences
    )


def _describe(model: Model, line: PriceLine) -> str:
    if line.blended_usd_per_mtok is not None:
        return (
            f"{model.name}: from {usd(line.input_usd_per_mtok or 0)} input and"
            f" {usd(line.output_usd_per_mtok or 0)} output per 1M tokens"
            f" ({usd(line.blended_usd_per_mtok)} blended at {RATIO_INPUT}:{RATIO_OUTPUT},"
            f" {line.blended_provider}, list price of {line.date})."
        )
    if line.states:
        return f"{model.name}: {', '.join(line.states)}; no fixed list price in the catalog."
    if line.input_usd_per_mtok is not None or line.output_usd_per_mtok is not None:
        return f"{model.name}: only a partial price is published; no blended price."
    return f"{model.name}: price not published (no provider list price in the catalog)."


def _compare(a: Model, line_a: PriceLine, b: Model, line_b: PriceLine) -> str | None:
    price_a, price_b = line_a.blended_usd_per_mtok, line_b.blended_usd_per_mtok
    if price_a is None or price_b is None:
        return None
    if price_a == price_b:
        return f"Both cost {usd(price_a)} per 1M tokens blended at {RATIO_INPUT}:{RATIO_OUTPUT}."
    cheap, dear = (a, b) if price_a < price_b else (b, a)
    low, high = min(price_a, price_b), max(price_a, price_b)
    return (
        f"{cheap.name} is cheaper: {dear.name} costs {ratio_text(high, low)} as much per 1M"
        f" tokens blended at {RATIO_INPUT}:{RATIO_OUTPUT} input:output ({usd(high)} vs"
        f" {usd(low)})."
    )
