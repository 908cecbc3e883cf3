"""HTML table rows of the comparison page, written in Python for speed.

A comparison page has a few hundred cells; rendering each through Jinja2 expressions costs
about as much as computing the comparison, so the repeated rows are built here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from html import escape
from urllib.parse import quote

from markupsafe import Markup

from modelvs.compare.model import (
    DetailRow,
    LeftOut,
    ModelSummary,
    SharedScore,
    SingleScore,
    TableRow,
)
from modelvs.render.cells import fact_html, score_html


def table_rows(rows: Sequence[TableRow]) -> Markup:
    """Rows of the N-way benchmark table."""
    parts = []
    for row in rows:
        cells = "".join(f'<td class="num">{score_html(s)}</td>' for s in row.cells)
        parts.append(
            f'<tr><th scope="row">{escape(row.benchmark)} <span class="muted">'
            f"{escape(row.variant)}</span></th>{cells}</tr>"
        )
    return Markup("\n".join(parts))


def shared_rows(rows: Sequence[SharedScore], names: dict[str, str]) -> Markup:
    """Rows of a pair's shared-variant table: values, difference, interval, significance."""
    parts = []
    for s in rows:
        if s.low is not None and s.high is not None:
            interval = f"{s.low:+.1f} to {s.high:+.1f}"
        else:
            interval = '<span class="unknown">none</span>'
        if s.significant and s.winner:
            verdict = f'<span class="sig">yes, {escape(names[s.winner])}</span>'
        else:
            verdict = "no"
        parts.append(
            f'<tr><th scope="row">{escape(s.benchmark)} <span class="muted">{escape(s.variant)}'
            f'</span></th><td class="num">{score_html(s.a)}</td>'
            f'<td class="num">{score_html(s.b)}</td><td class="num">{s.difference:+.1f}</td>'
            f'<td class="num">{interval}</td><td>{verdict}<br>'
            f'<span class="note">{escape(s.method)}</span></td></tr>'
        )
    return Markup("\n".join(parts))


def left_out_items(rows: Sequence[LeftOut]) -> Markup:
    """List items of a pair's left-out variants, each with the reason."""
    return Markup(
        "".join(
            f"<li>{escape(r.benchmark)} ({escape(r.variant)}): {escape(r.reason)}</li>"
            for r in rows
        )
    )


def single_scores(rows: Sequence[SingleScore], names: dict[str, str]) -> Markup:
    """Join the variants only one model of a pair reports into one "; "-separated line."""
    return Markup(
        "; ".join(
            f"{escape(r.benchmark)} {escape(r.variant)} ({escape(names[r.model])})" for r in rows
        )
    )


def detail_rows(
    rows: Sequence[DetailRow], models: Sequence[ModelSummary], report_url: str | None
) -> Markup:
    """Rows of a field table; with ``report_url``, each field gets "report" links."""
    parts = []
    for row in rows:
        links = ""
        if report_url and row.field:
            links = " " + " ".join(
                _report_link(report_url, m.slug, m.name, row.field) for m in models
            )
        cells = "".join(f"<td>{fact_html(c)}</td>" for c in row.cells)
        parts.append(f'<tr><th scope="row">{escape(row.label)}{links}</th>{cells}</tr>')
    return Markup("\n".join(parts))


@lru_cache(maxsize=65536)
def _report_link(report_url: str, slug: str, name: str, field: str) -> str:
    label = escape(f"Report incorrect {field} for {name}")
    href = escape(f"{report_url}?model={quote(slug)}&field={quote(field)}")
    return f'<a class="report" href="{href}" title="{label}" aria-label="{label}">report</a>'
