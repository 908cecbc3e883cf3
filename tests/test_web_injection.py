"""Hostile names, aliases, sources and query parameters render as text in the real browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.web.app import create_app

from .conftest import AS_OF, temporary_database
from .web_server import serving

PAYLOAD = "<script>alert('query')</script>"
IMG = "<img src=x onerror=alert('img')>"
PATHS = [
    "/",
    "/models",
    "/models/evil-model",
    "/compare/beta-4b-vs-evil-model",
    "/compare?models=evil-model,beta-4b,gamma-api",
    "/benchmarks/mmstar",
    "/report?model=evil-model&field=parameters.total_billions",
    f"/models?q={quote(PAYLOAD)}",
    f"/compare/{quote(IMG)}-vs-beta-4b",
    f"/compare?models={quote(PAYLOAD)},{quote(IMG)}",
    f"/benchmarks/{quote(PAYLOAD)}",
    f"/benchmarks/mmstar?license_category={quote(IMG)}",
    f"/report?model=evil-model&field={quote(PAYLOAD)}",
    f"/{quote(PAYLOAD)}",
]


@pytest.fixture(scope="module")
def hostile_url(catalog: Catalog) -> Iterator[str]:
    with serving(create_app(catalog, as_of=AS_OF, database_url=temporary_database())) as url:
        yield url


@pytest.mark.parametrize("path", PATHS)
def test_nothing_executes(browser: Any, hostile_url: str, path: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(hostile_url + path)
    page.wait_for_load_state("load")

    assert dialogs == []
    scripts = page.eval_on_selector_all("script", "nodes => nodes.map(n => n.src)")
    assert all(src.endswith("/static/app.js") for src in scripts)
    assert page.locator("img").count() == 0
    assert page.locator("[onerror]").count() == 0
    context.close()


def test_hostile_name_shown_as_text(browser: Any, hostile_url: str) -> None:
    page = browser.new_page()
    page.goto(hostile_url + "/models/evil-model")
    assert page.locator("h1").inner_text() == "<script>alert('name')</script> Evil"
    page.close()
