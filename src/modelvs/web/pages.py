"""HTML routes of the site."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

import yaml
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from modelvs.catalog.schema import LicenseCategory
from modelvs.compare.leaderboard import LeaderboardFilters, leaderboard
from modelvs.errors import UsageError
from modelvs.web import views
from modelvs.web.facts import model_facts
from modelvs.web.responses import cached_response, not_found
from modelvs.web.site import Site, pair_path

router = APIRouter(include_in_schema=False)

MAX_MODELS = 8


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


@router.get("/")
def home(request: Request) -> Response:
    site = site_of(request)
    return cached_response(
        request,
        site.pages.get_or_create(("home", site.version()), lambda: views.home_page(site)),
    )


@router.get("/models")
def models(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    site = site_of(request)
    return cached_response(request, views.models_page(site, q))


@router.get("/models/{slug:path}")
def model(request: Request, slug: str) -> Response:
    site = site_of(request)
    found = site.catalog.find_model(slug)
    if found.slug != slug:
        return RedirectResponse(f"/models/{found.slug}", status_code=301)
    return cached_response(
        request,
        site.pages.get_or_create(
            ("model", site.version(), slug), lambda: views.model_page(site, found)
        ),
    )


@router.get("/compare")
def compare_query(
    request: Request,
    models: Annotated[str | None, Query(max_length=1000)] = None,
    a: Annotated[str | None, Query(max_length=200)] = None,
    b: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    site = site_of(request)
    names = [n for n in (models or "").split(",") if n.strip()] or [n for n in (a, b) if n]
    if len(names) < 2 or len(names) > MAX_MODELS:
        raise UsageError(
            f"name 2 to {MAX_MODELS} models, for example /compare?models=A,B (got {len(names)})"
        )
    slugs = [m.slug for m in site.resolve(names)]
    if len(slugs) == 2:
        return RedirectResponse(pair_path(slugs), status_code=301)
    canonical = f"/compare?models={','.join(slugs)}"
    if request.url.query != f"models={','.join(slugs)}":
        return RedirectResponse(canonical, status_code=301)
    page = site.pages.get_or_create(
        ("compare", site.version(), *slugs),
        lambda: views.compare_page(site, slugs, canonical),
    )
    return cached_response(request, page)


@router.get("/compare/{pair}")
def compare_pair(request: Request, pair: str) -> Response:
    site = site_of(request)
    slugs = [m.slug for m in site.resolve(site.split_pair(pair))]
    canonical = pair_path(slugs)
    if request.url.path != canonical:
        return RedirectResponse(canonical, status_code=301)
    ordered = sorted(slugs)
    page = site.pages.get_or_create(
        ("compare", site.version(), *ordered),
        lambda: views.compare_page(site, ordered, canonical),
    )
    return cached_response(request, page)


@router.get("/outputs")
def outputs(
    request: Request,
    models: Annotated[str, Query(max_length=1000)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """Render every recorded prompt of the models, page by page."""
    site = site_of(request)
    slugs = outputs_slugs(site, models)
    rendered_page = site.pages.get_or_create(
        ("outputs", site.version(), str(page), *slugs),
        lambda: views.outputs_page(site, slugs, site.outputs(slugs, page)),
    )
    return cached_response(request, rendered_page)


def outputs_slugs(site: Site, models: str) -> list[str]:
    """Resolve ``models=a,b`` of an outputs request to catalog slugs, in the given order."""
    names = [name for name in models.split(",") if name.strip()]
    if not 1 <= len(names) <= MAX_MODELS:
        raise UsageError(
            f"name 1 to {MAX_MODELS} models, for example models=A,B (got {len(names)})"
        )
    return [model.slug for model in site.resolve(names)]


@router.get("/benchmarks")
def benchmarks(request: Request) -> Response:
    site = site_of(request)
    return cached_response(
        request,
        site.pages.get_or_create(
            ("benchmarks", site.version()), lambda: views.benchmarks_page(site)
        ),
    )


@router.get("/benchmarks/{variant:path}")
def benchmark(
    request: Request,
    variant: str,
    open_weights: Annotated[str, Query(max_length=5)] = "",
    max_total_billions: Annotated[str, Query(max_length=20)] = "",
    license_category: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    site = site_of(request)
    if variant not in site.catalog.variants:
        return not_found(request, f"unknown benchmark variant {variant!r}; see /benchmarks")
    filters = parse_filters(open_weights, max_total_billions, license_category)
    board = leaderboard(site.catalog, variant, filters)
    return cached_response(request, views.leaderboard_page(site, board))


def parse_filters(open_weights: str, max_total: str, category: str) -> LeaderboardFilters:
    """Filters from query strings; an empty value means "any"."""
    weights = {"": None, "true": True, "false": False}.get(open_weights.lower(), "invalid")
    if weights == "invalid":
        raise UsageError(f"open_weights must be true, false or empty, not {open_weights!r}")
    limit = None
    if max_total:
        try:
            limit = float(max_total)
        except ValueError:
            raise UsageError(f"max_total_billions must be a number, not {max_total!r}") from None
        if not limit >= 0:
            raise UsageError(f"max_total_billions must be 0 or more, not {max_total!r}")
    license_ = None
    if category:
        try:
            license_ = LicenseCategory(category)
        except ValueError:
            choices = ", ".join(c.value for c in LicenseCategory)
            raise UsageError(
                f"license_category must be one of {choices}, not {category!r}"
            ) from None
    return LeaderboardFilters(
        open_weights=weights if isinstance(weights, bool) else None,
        max_total_billions=limit,
        license_category=license_,
    )


@router.get("/methodology")
def methodology(request: Request) -> Response:
    site = site_of(request)
    return cached_response(
        request,
        site.pages.get_or_create(
            ("methodology", site.version()), lambda: views.methodology_page(site)
        ),
    )


FIELD_PATTERN = re.compile(r"^[a-z_]+(\.[a-z_]+)?$")


@router.get("/report")
def report_form(
    request: Request,
    model: Annotated[str, Query(max_length=200)],
    field: Annotated[str, Query(max_length=100)],
) -> Response:
    site = site_of(request)
    found = site.catalog.find_model(model)
    facts = {f.field: f for f in model_facts(site.catalog, found)}
    if not FIELD_PATTERN.match(field) or field not in facts:
        raise UsageError(f"unknown field {field!r}; use a field shown on the model page")
    current = facts[field].text if facts[field].known else None
    return cached_response(
        request,
        views.page(
            site,
            "report.html.j2",
            title="Report incorrect data",
            model=found,
            field=field,
            current=current,
        ),
    )


@router.post("/report")
def report_submit(
    request: Request,
    model: Annotated[str, Form(max_length=200)],
    field: Annotated[str, Form(max_length=100)],
    value: Annotated[str, Form(min_length=1, max_length=500)],
    evidence_url: Annotated[str, Form(max_length=1000)],
    evidence_title: Annotated[str, Form(min_length=1, max_length=300)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Return a change file for ``modelvs data apply``; nothing is stored on the server."""
    site = site_of(request)
    found = site.catalog.find_model(model)
    if not FIELD_PATTERN.match(field):
        raise UsageError(f"unknown field {field!r}; use a field shown on the model page")
    if not re.match(r"^https?://\S+$", evidence_url):
        raise UsageError(f"evidence_url must be an http(s) URL, not {evidence_url!r}")
    change = [
        {
            "file": f"models/{found.organization}/{found.slug}.yaml",
            "field": field,
            "value": value,
            "source": {
                "url": evidence_url,
                "title": evidence_title,
                "kind": "third-party",
                "retrieved": dt.date.today().isoformat(),
            },
            "note": note or None,
        }
    ]
    body = yaml.safe_dump(change, sort_keys=False, allow_unicode=True)
    filename = f"change-{found.slug}-{field.replace('.', '-')}.yaml"
    return Response(
        body,
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
