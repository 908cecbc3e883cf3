"""The price a run charges tokens at, and the cost of one item.

An endpoint's price override wins. Otherwise the price is the catalog model's cheapest paid
list price: among each provider's newest price with both an input and an output amount, the
one with the lowest blended price (the comparison page's 3:1 input:output mix). Input and
output amounts always come from the same provider. Without either, cost is unknown, never 0.
"""

from __future__ import annotations

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import PriceState
from modelvs.compare.pricing import blended, latest_prices
from modelvs.runs.endpoints import Endpoint
from modelvs.runs.records import TokenPrice
from modelvs.runs.sse import Usage

TOKENS_PER_MTOK = 1_000_000


def resolve_price(endpoint: Endpoint, catalog: Catalog) -> TokenPrice | None:
    """Return the endpoint's override, else the catalog's cheapest list price, else None."""
    if endpoint.price is not None:
        return TokenPrice(
            input_usd_per_mtok=endpoint.price.input_usd_per_mtok,
            output_usd_per_mtok=endpoint.price.output_usd_per_mtok,
            source=f"price override of endpoint {endpoint.name}",
        )

    model = catalog.find_model(endpoint.catalog_model)
    priced = [
        (mix, price.provider, price)
        for price in latest_prices(model)
        if price.state is PriceState.PAID and (mix := blended(price)) is not None
    ]
    if not priced:
        return None
    _, _, cheapest = min(priced, key=lambda entry: (entry[0], entry[1]))
    assert cheapest.input_usd_per_mtok is not None and cheapest.output_usd_per_mtok is not None
    return TokenPrice(
        input_usd_per_mtok=cheapest.input_usd_per_mtok,
        output_usd_per_mtok=cheapest.output_usd_per_mtok,
        source=(
            f"cheapest catalog list price of {model.slug}:"
            f" {catalog.provider_name(cheapest.provider)}, {cheapest.date.isoformat()}"
        ),
    )


def cost_usd(price: TokenPrice | None, usage: Usage | None) -> float | None:
    """Return the cost of one item in USD; None when the price or the token counts are unknown."""
    if price is None or usage is None:
        return None
    input_cost = usage.input_tokens * price.input_usd_per_mtok
    output_cost = usage.output_tokens * price.output_usd_per_mtok
    return (input_cost + output_cost) / TOKENS_PER_MTOK
