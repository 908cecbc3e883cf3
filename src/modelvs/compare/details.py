"""The detailed table: every field of every model with its source."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import Model
from modelvs.compare.facts import cell, usd
from modelvs.compare.model import Cell, DetailRow, FactSection, PriceLine, SizeLine


def detail_rows(
    catalog: Catalog,
    models: Sequence[Model],
    sizes: Sequence[SizeLine],
    prices: Sequence[PriceLine],
    sections: Sequence[FactSection],
) -> list[DetailRow]:
    def row(label: str, make: Callable[[Model], Cell], field: str | None = None) -> DetailRow:
        return DetailRow(label=label, cells=[make(m) for m in models], field=field)

    rows = [
        row("Organization", lambda m: cell(m, catalog.organization_name(m.organization), None)),
        row("Family", lambda m: cell(m, m.family, None)),
        row("Release", _release, "release"),
        row(
            "Architecture",
            lambda m: cell(
                m,
                m.architecture.value.value if m.architecture.value else None,
                m.architecture.source,
            ),
            "architecture",
        ),
        DetailRow(
            label="Total parameters",
            cells=[line.total for line in sizes],
            field="parameters.total_billions",
        ),
        DetailRow(
            label="Active parameters",
            cells=[line.active for line in sizes],
            field="parameters.active_billions",
        ),
    ]
    for section in sections:
        rows.extend(section.rows)
    rows.append(
        DetailRow(
            label="Cheapest input price (per 1M tokens)",
            cells=[_price(m, p, "input") for m, p in zip(models, prices, strict=True)],
        )
    )
    rows.append(
        DetailRow(
            label="Cheapest output price (per 1M tokens)",
            cells=[_price(m, p, "output") for m, p in zip(models, prices, strict=True)],
        )
    )
    for label, attr in LINK_ROWS:
        rows.append(DetailRow(label=label, cells=[_link(m, attr) for m in models]))
    return rows


LINK_ROWS = (
    ("Weights", "weights"),
    ("Paper", "paper"),
    ("Model card", "model_card"),
    ("API docs", "api_docs"),
)


def _release(model: Model) -> Cell:
    if model.release is None:
        return cell(model, None, None)
    return cell(model, f"{model.release.date} ({model.release.marks.value})", model.release.source)


def _price(model: Model, line: PriceLine, which: str) -> Cell:
    amount = line.input_usd_per_mtok if which == "input" else line.output_usd_per_mtok
    provider = line.input_provider if which == "input" else line.output_provider
    if amount is None:
        text = "; ".join(line.states) if line.states else None
        return Cell(text=text, known=True) if text else cell(model, None, None)
    return Cell(text=f"{usd(amount)} ({provider})", known=True, source=line.source)


def _link(model: Model, attr: str) -> Cell:
    url = getattr(model.links, attr)
    if url is None:
        return cell(model, None, None)
    return Cell(text=str(url), known=True)
