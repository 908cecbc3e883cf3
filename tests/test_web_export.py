"""Static export: every page and JSON file, served by a plain static file server."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from modelvs.errors import UsageError
from modelvs.web.export import export_site

from .conftest import AS_OF, FIXTURE_CATALOG

LINK = re.compile(r'(?:href|src)="(/[^"]*)"')


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("export") / "site"
    summary = export_site(FIXTURE_CATALOG, target, AS_OF, jobs=1)
    assert summary.pairs == 6
    return target


@pytest.fixture(scope="module")
def static_url(exported: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(exported))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_every_pair_and_json_written(exported: Path) -> None:
    pages = sorted(p.parent.name for p in (exported / "compare").glob("*/index.html"))
    assert "alpha-moe-16b-a3b-vs-beta-4b" in pages
    assert len(pages) == 6
    data = json.loads((exported / "api/v1/compare/alpha-moe-16b-a3b-vs-beta-4b.json").read_text())
    assert data["pairs"][0]["verdict"]["strength"] == "clear"
    assert json.loads((exported / "api/v1/openapi.json").read_text())["paths"]
    assert (exported / "benchmarks/ocrbench-v1/index.html").exists()


def test_every_internal_link_resolves(exported: Path, static_url: str) -> None:
    links: set[str] = set()
    for page in exported.rglob("*.html"):
        links.update(LINK.findall(page.read_text()))
    assert "/compare/alpha-moe-16b-a3b-vs-beta-4b" in links
    broken = []
    with httpx.Client(base_url=static_url, follow_redirects=True) as client:
        for link in sorted(links):
            if client.get(link).status_code != 200:
                broken.append(link)
    assert broken == []


def test_static_pages_have_no_report_forms(exported: Path) -> None:
    for page in exported.rglob("*.html"):
        assert "/report?" not in page.read_text()


def test_nothing_loaded_from_network(exported: Path) -> None:
    for page in exported.rglob("*.html"):
        text = page.read_text()
        assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="https?:', text)


def test_export_replaces_previous_export(exported: Path, tmp_path: Path) -> None:
    target = tmp_path / "again"
    export_site(FIXTURE_CATALOG, target, AS_OF, jobs=1)
    stale = target / "compare" / "stale-vs-page" / "index.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    export_site(FIXTURE_CATALOG, target, AS_OF, jobs=2)
    assert not stale.exists()
    assert (target / "index.html").exists()


def test_export_refuses_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not empty"):
        export_site(FIXTURE_CATALOG, tmp_path, AS_OF, jobs=1)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
