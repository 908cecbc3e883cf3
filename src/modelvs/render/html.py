"""Render a ``Comparison`` to one self-contained HTML page (inline CSS and SVG)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from modelvs.compare.facts import usd
from modelvs.compare.model import Comparison
from modelvs.render.cells import (
    fact_cell,
    fact_cells,
    score_cell,
    score_cells,
    source_link,
)
from modelvs.render.charts import benchmark_chart, chart_svg, size_chart
from modelvs.render.more_charts import timeline_svg
from modelvs.render.rows import (
    detail_rows,
    left_out_items,
    shared_rows,
    single_scores,
    table_rows,
)
from modelvs.render.sections_html import arena_html, outputs_html

STRENGTH_LABELS = {
    "decisive": "decisive",
    "clear": "clear",
    "slight": "slight",
    "even": "evenly matched",
    "insufficient evidence": "insufficient evidence",
}


NO_NAV = Markup("")


@cache
def environment() -> Environment:
    """The shared Jinja2 environment; HTML autoescaping is always on."""
    env = Environment(
        loader=PackageLoader("modelvs", "render/templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=False,
        lstrip_blocks=False,
        auto_reload=False,
    )
    env.globals.update(
        usd=usd,
        source_link=source_link,
        fact_cell=fact_cell,
        fact_cells=fact_cells,
        score_cell=score_cell,
        score_cells=score_cells,
        table_rows=table_rows,
        arena_html=arena_html,
        outputs_html=outputs_html,
        shared_rows=shared_rows,
        detail_rows=detail_rows,
        left_out_items=left_out_items,
        single_scores=single_scores,
    )
    env.globals["version"] = package_version()
    env.globals["strength_labels"] = STRENGTH_LABELS
    return env


@cache
def inline_css() -> Markup:
    text = files("modelvs").joinpath("render/templates/_style.css").read_text(encoding="utf-8")
    return Markup(text)


@cache
def package_version() -> str:
    try:
        return version("modelvs")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "dev"


def title_of(comparison: Comparison) -> str:
    return " vs ".join(m.name for m in comparison.models)


def render_html(
    comparison: Comparison,
    *,
    nav: Markup = NO_NAV,
    canonical: str | None = None,
    stylesheet: str | None = None,
    script: str | None = None,
    report_url: str | None = None,
) -> str:
    """Render the comparison page. ``nav`` is trusted HTML from the site layout."""
    template = environment().get_template("compare.html.j2")
    return template.render(
        c=comparison,
        title=title_of(comparison),
        names={m.slug: m.name for m in comparison.models},
        bench_chart=chart_svg(benchmark_chart(comparison), "Benchmark scores with 95% intervals"),
        size_chart=chart_svg(size_chart(comparison), "Total and active parameters"),
        timeline_chart=timeline_svg(comparison),
        css=inline_css() if stylesheet is None else None,
        nav=nav,
        canonical=canonical,
        stylesheet=stylesheet,
        script=script,
        report_url=report_url,
    )
