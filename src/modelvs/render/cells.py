"""HTML snippets for cells and citations.

They are written in Python because a page renders hundreds of them, and a Jinja2 macro or a
chain of ``Markup`` operations costs several microseconds each. Text is escaped with
``html.escape`` (quotes included) and wrapped in ``Markup`` once per call.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from markupsafe import Markup

from modelvs.compare.model import Cell, ScoreValue, SourceRef
from modelvs.identity_cache import IdentityCache

UNKNOWN = '<span class="unknown">not published</span>'


def source_link(source: SourceRef | None) -> Markup:
    return Markup(_source_html(source))


def _source_html(source: SourceRef | None) -> str:
    if source is None:
        return ""
    return _link(source.url, source.title, source.kind, str(source.retrieved))


@lru_cache(maxsize=8192)
def _link(url: str, title: str, kind: str, retrieved: str) -> str:
    tooltip = escape(f"{title} ({kind}, retrieved {retrieved})")
    return (
        f'<a class="src" href="{escape(url)}" title="{tooltip}" rel="nofollow noopener">'
        "[source]</a>"
    )


def fact_html(cell: Cell) -> str:
    # Comparisons of one model share its cells (see compare.facts.cell), so the HTML is kept.
    cached = _fact_html.get(cell)
    if cached is not None:
        return cached
    return _fact_html.put(cell, _fact_html_text(cell))


_fact_html: IdentityCache[str] = IdentityCache()


def _fact_html_text(cell: Cell) -> str:
    if not cell.known:
        return f'<span class="unknown">{escape(cell.text)}</span>'
    if cell.source is None and cell.text.startswith("https://"):
        url = escape(cell.text)
        return f'<a href="{url}" rel="nofollow noopener">{url}</a>'
    return escape(cell.text) + _source_html(cell.source)


def score_html(score: ScoreValue | None) -> str:
    if score is None:
        return UNKNOWN
    # Comparisons of one model share its converted scores (see score_value), so the HTML is kept.
    cached = _score_html.get(score)
    if cached is not None:
        return cached
    return _score_html.put(score, escape(score.text) + _source_html(score.source))


_score_html: IdentityCache[str] = IdentityCache()


def fact_cell(cell: Cell) -> Markup:
    return Markup(fact_html(cell))


def score_cell(score: ScoreValue | None) -> Markup:
    return Markup(score_html(score))


def score_cells(scores: list[ScoreValue | None]) -> Markup:
    """``<td>`` cells of one benchmark table row."""
    return Markup("".join(f'<td class="num">{score_html(s)}</td>' for s in scores))


def fact_cells(cells: list[Cell]) -> Markup:
    """``<td>`` cells of one fact table row."""
    return Markup("".join(f"<td>{fact_html(c)}</td>" for c in cells))
