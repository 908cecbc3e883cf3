"""JSON API under /api/v1. Every response is cached by ETag; errors share one shape.

Paths also accept a ``.json`` suffix so that the static export, which writes files such as
``/api/v1/models/qwen3-vl-4b-instruct.json``, serves the same URLs.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from modelvs.catalog.schema import Benchmark, Model
from modelvs.cli_catalog import model_row
from modelvs.compare.leaderboard import Leaderboard, leaderboard
from modelvs.compare.model import Comparison, OutputsSection
from modelvs.errors import UsageError
from modelvs.web.pages import MAX_MODELS, outputs_slugs, parse_filters, site_of
from modelvs.web.responses import cached_response, not_found
from modelvs.web.site import Rendered, Site, rendered

router = APIRouter(prefix="/api/v1", tags=["api"])
JSON_TYPE = "application/json"


class ErrorOut(BaseModel):
    """The error shape of every API response with a 4xx or 5xx status."""

    ok: bool = False
    error: str
    status: int


class ModelListItem(BaseModel):
    slug: str
    name: str
    organization: str
    family: str | None
    release_date: str | None
    total_params_billions: float | None
    active_params_billions: float | None
    active_params_derived_from_dense_total: bool
    context_tokens: int | None
    open_weights: bool | None
    scores: int


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Invalid request"},
    404: {"model": ErrorOut, "description": "Unknown model or variant"},
}


def _json(data: Any) -> Rendered:
    return rendered(json.dumps(data, ensure_ascii=False, separators=(",", ":")), JSON_TYPE)


def _strip(name: str) -> str:
    return name.removesuffix(".json")


def models_body(site: Site) -> Rendered:
    rows = [model_row(site.catalog, m) for m in site.catalog.models.values()]
    return _json(sorted(rows, key=lambda r: r["slug"]))


@router.get("/models", response_model=list[ModelListItem], responses=ERRORS)
@router.get("/models.json", response_model=list[ModelListItem], include_in_schema=False)
def models(request: Request) -> Response:
    """List every model with its summary fields; unknown values are null."""
    site = site_of(request)
    return cached_response(
        request, site.pages.get_or_create(("api-models",), lambda: models_body(site))
    )


@router.get("/models/{slug:path}", response_model=Model, responses=ERRORS)
def model(request: Request, slug: str) -> Response:
    """Return one model's catalog record, with every fact and source."""
    site = site_of(request)
    found = site.catalog.find_model(_strip(slug))
    body = site.pages.get_or_create(
        ("api-model", found.slug),
        lambda: rendered(found.model_dump_json(exclude_none=True), JSON_TYPE),
    )
    return cached_response(request, body)


@router.get("/benchmarks", response_model=list[Benchmark], responses=ERRORS)
@router.get("/benchmarks.json", response_model=list[Benchmark], include_in_schema=False)
def benchmarks(request: Request) -> Response:
    """List the benchmark registry: benchmarks and their variants."""
    site = site_of(request)
    body = site.pages.get_or_create(
        ("api-benchmarks",),
        lambda: _json([b.model_dump(mode="json") for b in site.catalog.benchmarks.values()]),
    )
    return cached_response(request, body)


@router.get("/leaderboard/{variant:path}", response_model=Leaderboard, responses=ERRORS)
def leaderboard_route(
    request: Request,
    variant: str,
    open_weights: Annotated[str, Query(max_length=5, pattern="^(|true|false)$")] = "",
    max_total_billions: Annotated[str, Query(max_length=20)] = "",
    license_category: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Rank every model's score on one variant, with 95% intervals."""
    site = site_of(request)
    variant = _strip(variant)
    if variant not in site.catalog.variants:
        return not_found(request, f"unknown benchmark variant {variant!r}; see /api/v1/benchmarks")
    filters = parse_filters(open_weights, max_total_billions, license_category)
    board = leaderboard(site.catalog, variant, filters)
    return cached_response(request, rendered(board.model_dump_json(), JSON_TYPE))


def comparison_body(site: Site, slugs: list[str]) -> Rendered:
    return site.pages.get_or_create(
        ("api-compare", site.version(), *slugs),
        lambda: rendered(site.comparison(slugs).model_dump_json(), JSON_TYPE),
    )


@router.get("/compare", response_model=Comparison, responses=ERRORS)
def compare_query(
    request: Request, models: Annotated[str, Query(min_length=3, max_length=1000)]
) -> Response:
    """Compare 2 to 8 models (``models=a,b,c``), as the compare page renders them."""
    site = site_of(request)
    names = [n for n in models.split(",") if n.strip()]
    if not 2 <= len(names) <= MAX_MODELS:
        raise UsageError(
            f"name 2 to {MAX_MODELS} models, for example models=A,B (got {len(names)})"
        )
    slugs = [m.slug for m in site.resolve(names)]
    if len(slugs) == 2:
        slugs.sort()
    return cached_response(request, comparison_body(site, slugs))


@router.get("/outputs", response_model=OutputsSection, responses=ERRORS)
def outputs(
    request: Request,
    models: Annotated[str, Query(min_length=1, max_length=1000)],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """One page (20 prompts) of the models' latest recorded outputs, as compare pages show them.

    Prompts that every model answered come first, then the rest in suite order.
    """
    site = site_of(request)
    slugs = outputs_slugs(site, models)
    body = site.pages.get_or_create(
        ("api-outputs", site.version(), str(page), *slugs),
        lambda: rendered(site.outputs(slugs, page).model_dump_json(), JSON_TYPE),
    )
    return cached_response(request, body)


@router.get("/compare/{pair}", response_model=Comparison, responses=ERRORS)
def compare_pair(request: Request, pair: str) -> Response:
    """Compare a pair, ``A-vs-B``; the models are ordered alphabetically."""
    site = site_of(request)
    slugs = sorted(m.slug for m in site.resolve(site.split_pair(_strip(pair))))
    return cached_response(request, comparison_body(site, slugs))
