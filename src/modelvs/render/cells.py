"""HTML snippets for cells and citations, written in Python because they are rendered
hundreds of times per page and a Jinja2 macro call costs several microseconds each."""

from __future__ import annotations

from markupsafe import Markup, escape

from modelvs.compare.model import Cell, ScoreValue, SourceRef

UNKNOWN = Markup('<span class="unknown">not published</span>')


def source_link(source: SourceRef | None) -> Markup:
    if source is None:
        return Markup("")
    title = f"{source.title} ({source.kind}, retrieved {source.retrieved})"
    return Markup(
        '<a class="src" href="{}" title="{}" rel="nofollow noopener">[source]</a>'
    ).format(source.url, title)


def fact_cell(cell: Cell) -> Markup:
    if not cell.known:
        return Markup('<span class="unknown">{}</span>').format(cell.text)
    return escape(cell.text) + source_link(cell.source)


def score_cell(score: ScoreValue | None) -> Markup:
    if score is None:
        return UNKNOWN
    return escape(score.text) + source_link(score.source)
