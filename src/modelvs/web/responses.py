"""Responses with ETag and Cache-Control, and the one error shape of the site and API."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from modelvs.errors import ModelvsError, UnknownModelError
from modelvs.web.site import Rendered

# Pages change only when the catalog does; let browsers and proxies revalidate every 5 minutes.
CACHE_CONTROL = "public, max-age=300"


def cached_response(request: Request, page: Rendered) -> Response:
    """Return the page, or 304 Not Modified when the client already has this ETag."""
    headers = {"ETag": page.etag, "Cache-Control": CACHE_CONTROL}
    if page.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(page.body, media_type=page.media_type, headers=headers)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str, **extra: object) -> Response:
    """``{ok: false, error, status}`` for the API; an HTML page for the site."""
    if wants_json(request):
        return JSONResponse(
            {"ok": False, "error": message, "status": status, **extra}, status_code=status
        )
    from modelvs.web import views

    site = request.app.state.site
    titles = {404: "Not found", 400: "Bad request", 422: "Bad request", 500: "Server error"}
    page = views.page(
        site,
        "error.html.j2",
        title=titles.get(status, "Error"),
        message=message,
        suggestions=extra.get("suggestions", []),
    )
    return Response(page.body, status_code=status, media_type=page.media_type)


def not_found(request: Request, message: str) -> Response:
    return error_response(request, 404, message)


def modelvs_error(request: Request, exc: ModelvsError) -> Response:
    if isinstance(exc, UnknownModelError):
        hint = f"did you mean {', '.join(exc.suggestions)}? " if exc.suggestions else ""
        where = "/api/v1/models" if wants_json(request) else "/models"
        message = f"unknown model {exc.name!r}: {hint}see {where} for every model"
        return error_response(request, 404, message, suggestions=exc.suggestions)
    return error_response(request, exc.http_status, str(exc))
