"""The FastAPI application: pages, JSON API and static assets."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelvs.arena.service import ArenaService
from modelvs.catalog.catalog import Catalog
from modelvs.catalog.load import load_catalog
from modelvs.errors import ModelvsError
from modelvs.render.html import package_version
from modelvs.store.db import make_engine, upgrade
from modelvs.web import api, arena_pages, pages, views
from modelvs.web.arena_pages import Arena, default_limiter
from modelvs.web.headers import SecurityHeaders
from modelvs.web.identity import load_secret_key
from modelvs.web.page_cache import PageCache
from modelvs.web.responses import cached_response, error_response, modelvs_error
from modelvs.web.site import Site, rendered
from modelvs.web.site_data import SiteData

log = logging.getLogger(__name__)


def create_app(
    catalog: Catalog | None = None,
    *,
    data_dir: Path | None = None,
    as_of: dt.date | None = None,
    database_url: str | None = None,
) -> FastAPI:
    """Build the app for ``catalog`` (or the catalog in ``data_dir``).

    ``database_url`` defaults to ``$MODELVS_DATABASE_URL``, else the embedded SQLite file; the
    schema is migrated to the newest revision before the app serves.
    """
    catalog = catalog or load_catalog(data_dir)
    engine = make_engine(database_url)
    upgrade(engine)
    app = FastAPI(
        title="modelvs",
        version=package_version(),
        description="Compare AI models from a catalog of sourced facts.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    site = Site(catalog, as_of, SiteData(engine))
    app.state.site = site
    app.state.engine = engine
    app.add_middleware(PageCache, version=site.version)
    # Added last, so it runs first: cached and rendered responses get the same headers.
    app.add_middleware(SecurityHeaders)
    secret_key = load_secret_key()
    app.state.arena = Arena(
        service=ArenaService(engine, catalog, secret_key),
        key=secret_key,
        limiter=default_limiter(),
    )
    # Routers are matched in order; no path of one matches another's, and the arena comes
    # first because its vote route is the busiest write path.
    app.include_router(arena_pages.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    _add_assets(app)
    _add_error_handlers(app)
    document_errors(app)
    log.info("site ready with %d models", len(catalog.models))
    return app


def _add_assets(app: FastAPI) -> None:
    @app.get("/static/app.css", include_in_schema=False)
    def stylesheet(request: Request) -> Response:
        return cached_response(request, rendered(views.stylesheet(), "text/css; charset=utf-8"))

    @app.get("/static/app.js", include_in_schema=False)
    def script(request: Request) -> Response:
        return cached_response(request, rendered(views.script(), "text/javascript; charset=utf-8"))

    @app.get("/search.json", include_in_schema=False)
    def search_index(request: Request) -> Response:
        site: Site = request.app.state.site
        return cached_response(
            request, rendered(json.dumps(views.search_index(site)), "application/json")
        )

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}


def document_errors(app: FastAPI) -> None:
    """Describe invalid requests as the 400 error shape they get, not FastAPI's default 422."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            components = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ModelvsError)
    async def on_modelvs_error(request: Request, exc: ModelvsError) -> Response:
        return modelvs_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error_response(request, 400, f"invalid request: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "page not found" if exc.status_code == 404 else str(exc.detail)
        return error_response(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request, 500, "internal error; the server log has the details")
