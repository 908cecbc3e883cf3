"""Render a ``Comparison`` as GitHub-flavoured Markdown."""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader

from modelvs.compare.facts import usd
from modelvs.compare.model import Cell, Comparison, ScoreValue, SourceRef
from modelvs.render.html import STRENGTH_LABELS, package_version
from modelvs.render.sections_html import measurements_text

# Characters that Markdown or an HTML-capable viewer would interpret.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md_escape(value: object) -> str:
    """Escape text so that catalog strings render literally, also inside table cells."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return _SPECIAL.sub(r"\\\1", text)


def md_link(source: SourceRef | None) -> str:
    if source is None:
        return ""
    url = source.url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f" [[source]]({url})"


def md_cell(cell: Cell) -> str:
    if not cell.known:
        return f"*{md_escape(cell.text)}*"
    return md_escape(cell.text) + md_link(cell.source)


def md_score(score: ScoreValue | None) -> str:
    if score is None:
        return "*not published*"
    return md_escape(score.text) + md_link(score.source)


def fenced(text: str) -> str:
    """A fenced block longer than any backtick run inside, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("modelvs", "render/templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.globals.update(
        usd=usd,
        md_cell=md_cell,
        md_score=md_score,
        md_link=md_link,
        fenced=fenced,
        measurements=measurements_text,
        strength_labels=STRENGTH_LABELS,
        version=package_version(),
    )
    return env


def render_markdown(comparison: Comparison) -> str:
    template = environment().get_template("compare.md.j2")
    return template.render(c=comparison, names={m.slug: m.name for m in comparison.models})
