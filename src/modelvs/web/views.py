"""Render site pages to ``Rendered`` bodies; used by the web app and the static export."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from modelvs.catalog.schema import Model
from modelvs.cli_catalog import model_row
from modelvs.compare.benchmarks import score_value
from modelvs.compare.facts import NOT_PUBLISHED, billions, tokens, usd
from modelvs.compare.leaderboard import Leaderboard
from modelvs.compare.model import OutputsSection
from modelvs.compare.pricing import price_line
from modelvs.render.cells import score_cell, source_link
from modelvs.render.charts import chart_svg, leaderboard_chart
from modelvs.render.html import package_version, render_html, title_of
from modelvs.render.more_charts import Point, scatter_svg
from modelvs.render.sections_html import outputs_html
from modelvs.web.facts import model_facts
from modelvs.web.site import Rendered, Site, pair_path, rendered

HTML = "text/html; charset=utf-8"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("modelvs", "web/templates"),
        autoescape=select_autoescape(["html", "j2"]),
        auto_reload=False,
    )
    env.globals.update(
        version=package_version(),
        source_link=source_link,
        score_cell=score_cell,
        billions=lambda v: billions(v) if v is not None else NOT_PUBLISHED,
        tokens=lambda v: tokens(v) if v else NOT_PUBLISHED,
        yes_no=lambda v: {True: "yes", False: "no"}.get(v, NOT_PUBLISHED),
        usd_or_unknown=lambda v: usd(v) if v is not None else NOT_PUBLISHED,
        pair_url=lambda a, b: pair_path([a, b]),
    )
    return env


@cache
def stylesheet() -> str:
    base = files("modelvs").joinpath("render/templates/_style.css").read_text(encoding="utf-8")
    site = files("modelvs").joinpath("web/static/site.css").read_text(encoding="utf-8")
    return base + site


@cache
def nav(static: bool = False) -> Markup:
    return Markup(environment().get_template("_nav.html.j2").render(static=static))


def page(site: Site, template: str, **context: Any) -> Rendered:
    html = (
        environment()
        .get_template(template)
        .render(as_of=site.as_of(), static=site.static, **context)
    )
    return rendered(html, HTML)


def compare_page(site: Site, slugs: list[str], canonical: str) -> Rendered:
    comparison = site.comparison(slugs)
    html = render_html(
        comparison,
        nav=nav(site.static),
        canonical=canonical,
        stylesheet="/static/app.css",
        script="/static/app.js",
        report_url=None if site.static else "/report",
    )
    return rendered(html, HTML)


def home_page(site: Site) -> Rendered:
    catalog = site.catalog
    suggested = [
        (a, b, f"{catalog.models[a].name} vs {catalog.models[b].name}")
        for a, b in site.suggested_pairs()
    ]
    return page(
        site,
        "home.html.j2",
        title="modelvs: compare AI models",
        description="Compare AI models side by side with sourced facts and honest uncertainty.",
        models=sorted(catalog.models.values(), key=lambda m: m.name.casefold()),
        model_count=len(catalog.models),
        variant_count=len(catalog.variants),
        suggested=suggested,
        recent=site.recent_models(),
        org=lambda m: catalog.organization_name(m.organization),
    )


def models_page(site: Site, query: str = "") -> Rendered:
    catalog = site.catalog
    needle = query.strip().casefold()
    models = [
        m
        for m in catalog.models.values()
        if not needle or any(needle in n.casefold() for n in (m.slug, m.name, *m.aliases))
    ]
    rows = sorted((model_row(catalog, m) for m in models), key=lambda r: r["name"].casefold())
    return page(site, "models.html.j2", title="Models", rows=rows, query=query)


def model_page(site: Site, model: Model) -> Rendered:
    catalog = site.catalog
    scores = []
    for score in model.scores:
        ref = catalog.variants.get(score.variant)
        if ref is None:
            continue
        scores.append(
            {
                "variant": score.variant,
                "benchmark": ref.benchmark.name,
                "value": score_value(model, score, ref.variant),
                "note": score.note,
            }
        )
    return page(
        site,
        "model.html.j2",
        title=model.name,
        description=model.description,
        canonical=f"/models/{model.slug}",
        m=model,
        org_name=catalog.organization_name(model.organization),
        facts=model_facts(catalog, model),
        scores=scores,
        siblings=site.siblings(model),
        competitors=site.competitors(model),
        report=not site.static,
    )


def benchmarks_page(site: Site) -> Rendered:
    counts: dict[str, int] = {}
    for model in site.catalog.models.values():
        for score in model.scores:
            counts[score.variant] = counts.get(score.variant, 0) + 1
    return page(
        site,
        "benchmarks.html.j2",
        title="Benchmarks",
        benchmarks=list(site.catalog.benchmarks.values()),
        counts=counts,
    )


def leaderboard_page(site: Site, board: Leaderboard) -> Rendered:
    points = []
    for row in board.rows:
        model = site.catalog.models[row.slug]
        blended = price_line(site.catalog, model).blended_usd_per_mtok
        if blended is not None:
            points.append(Point(label=row.name, x=blended, y=row.score.display))
    scatter = scatter_svg(
        points,
        "blended price, USD per 1M tokens",
        f"{board.benchmark} score (0-100)",
        f"Price against {board.benchmark} score",
    )
    return page(
        site,
        "leaderboard.html.j2",
        title=f"{board.benchmark} {board.variant} leaderboard",
        canonical=f"/benchmarks/{board.variant}",
        lb=board,
        chart=chart_svg(leaderboard_chart(board), f"{board.benchmark} scores with 95% intervals"),
        scatter=scatter,
        categories=["permissive", "copyleft", "restricted", "proprietary"],
    )


def outputs_page(site: Site, slugs: list[str], section: OutputsSection) -> Rendered:
    names = {slug: site.catalog.models[slug].name for slug in slugs}
    title = f"Outputs: {' vs '.join(names.values())}"
    return page(site, "page.html.j2", title=title, body=outputs_html(section, names, paged=True))


@cache
def methodology_html() -> Markup:
    text = files("modelvs").joinpath("web/content/methodology.md").read_text(encoding="utf-8")
    return Markup(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))


def methodology_page(site: Site) -> Rendered:
    return page(site, "page.html.j2", title="Methodology", body=methodology_html())


def title_for(site: Site, slugs: list[str]) -> str:
    return title_of(site.comparison(slugs))


@cache
def script() -> str:
    return files("modelvs").joinpath("web/static/app.js").read_text(encoding="utf-8")


def search_index(site: Site) -> list[dict[str, Any]]:
    """Names and aliases for the autocomplete of the search box."""
    catalog = site.catalog
    return [
        {
            "slug": m.slug,
            "name": m.name,
            "aliases": m.aliases,
            "organization": catalog.organization_name(m.organization),
        }
        for m in sorted(catalog.models.values(), key=lambda m: m.name.casefold())
    ]
