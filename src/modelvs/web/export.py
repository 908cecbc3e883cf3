"""Static export: the whole site as files that any static file server can serve.

Each page is written as ``<path>/index.html`` so that the site's links (``/models/x``,
``/compare/a-vs-b``) work unchanged under nginx or ``python -m http.server``; JSON files sit at
the API's ``.json`` paths. Pair pages are rendered in worker processes, one per core.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
import logging
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from modelvs.catalog.load import load_catalog
from modelvs.compare.build import compare
from modelvs.compare.leaderboard import LeaderboardFilters, leaderboard
from modelvs.errors import UsageError
from modelvs.render.html import render_html
from modelvs.web import views
from modelvs.web.api import models_body
from modelvs.web.site import Site, pair_path

log = logging.getLogger(__name__)

PAIRS_PER_TASK = 250
_worker_site: Site | None = None


@dataclass(frozen=True, slots=True)
class ExportSummary:
    files: int
    pairs: int
    seconds: float


def export_site(data_dir: Path, out_dir: Path, as_of: dt.date, *, jobs: int = 0) -> ExportSummary:
    """Write every page and JSON file of the site under ``out_dir``."""
    started = time.perf_counter()
    site = Site(load_catalog(data_dir), as_of)
    site.static = True
    _prepare(out_dir)

    slugs = sorted(site.catalog.models)
    pairs = list(itertools.combinations(slugs, 2))
    # One worker per core, because rendering is CPU-bound and a third worker on two cores
    # measured slower. The main process writes the other pages while the workers start.
    workers = jobs or os.cpu_count() or 1
    files = _write_pairs(site, out_dir, pairs, workers, lambda: _write_site_pages(site, out_dir))

    seconds = time.perf_counter() - started
    log.info("exported %d files, %d pairs, to %s in %.1f s", files, len(pairs), out_dir, seconds)
    return ExportSummary(files=files, pairs=len(pairs), seconds=seconds)


MARKER = ".modelvs-export"


def _prepare(out_dir: Path) -> None:
    """Empty a previous export, so no stale page survives; refuse any other non-empty folder."""
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / MARKER).exists():
            raise UsageError(
                f"{out_dir} is not empty and contains no earlier modelvs export; choose an empty"
                " or new folder"
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text(
        "written by modelvs export; the next export replaces this folder\n"
    )


def _openapi() -> bytes:
    from fastapi import FastAPI

    from modelvs.render.html import package_version
    from modelvs.web import api
    from modelvs.web.app import document_errors

    app = FastAPI(title="modelvs", version=package_version(), openapi_url="/api/v1/openapi.json")
    app.include_router(api.router)
    document_errors(app)
    return json.dumps(app.openapi()).encode()


def _write(out_dir: Path, relative: str, body: bytes) -> None:
    """Write ``body`` to ``relative`` under ``out_dir``, creating its folders."""
    path = os.path.join(out_dir, relative.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # os.open and os.write skip pathlib's and the buffered file object's work, which is
    # measurable at two files per pair.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _write_site_pages(site: Site, out_dir: Path) -> int:
    catalog = site.catalog
    pages: list[tuple[str, bytes]] = [
        ("index.html", views.home_page(site).body),
        ("models/index.html", views.models_page(site).body),
        ("benchmarks/index.html", views.benchmarks_page(site).body),
        ("methodology/index.html", views.methodology_page(site).body),
        ("static/app.css", views.stylesheet().encode()),
        ("static/app.js", views.script().encode()),
        ("search.json", json.dumps(views.search_index(site)).encode()),
        ("api/v1/models.json", models_body(site).body),
        ("api/v1/openapi.json", _openapi()),
        (
            "api/v1/benchmarks.json",
            json.dumps([b.model_dump(mode="json") for b in catalog.benchmarks.values()]).encode(),
        ),
    ]
    for model in catalog.models.values():
        pages.append((f"models/{model.slug}/index.html", views.model_page(site, model).body))
        pages.append(
            (f"api/v1/models/{model.slug}.json", model.model_dump_json(exclude_none=True).encode())
        )
    for variant in catalog.variants:
        board = leaderboard(catalog, variant, LeaderboardFilters())
        pages.append((f"benchmarks/{variant}/index.html", views.leaderboard_page(site, board).body))
        pages.append((f"api/v1/leaderboard/{variant}.json", board.model_dump_json().encode()))
    for relative, body in pages:
        _write(out_dir, relative, body)
    return len(pages)


def _chunks(pairs: Sequence[tuple[str, str]]) -> Iterator[Sequence[tuple[str, str]]]:
    for start in range(0, len(pairs), PAIRS_PER_TASK):
        yield pairs[start : start + PAIRS_PER_TASK]


def _init_worker(site: Site, out_dir: Path) -> None:
    global _worker_site, _worker_out
    _worker_site, _worker_out = site, out_dir
    # The catalog lives for the whole export; freezing it keeps the garbage collector from
    # scanning it again after every few thousand comparison objects.
    gc.freeze()


_worker_out: Path | None = None


def _render_chunk(pairs: Sequence[tuple[str, str]]) -> int:
    site, out_dir = _worker_site, _worker_out
    assert site is not None and out_dir is not None, "worker not initialised"
    catalog, as_of = site.catalog, site.as_of()
    nav = views.nav(static=True)
    for a, b in pairs:
        path = pair_path([a, b])
        # Each pair is rendered once, so it bypasses the site's caches.
        comparison = compare(catalog, [catalog.models[a], catalog.models[b]], as_of)
        page = render_html(
            comparison,
            nav=nav,
            canonical=path,
            stylesheet="/static/app.css",
            script="/static/app.js",
        )
        _write(out_dir, f"{path}/index.html", page.encode())
        _write(out_dir, f"api/v1/compare/{a}-vs-{b}.json", comparison.model_dump_json().encode())
    return len(pairs)


def _write_pairs(
    site: Site,
    out_dir: Path,
    pairs: list[tuple[str, str]],
    jobs: int,
    meanwhile: Callable[[], int],
) -> int:
    """Write every pair's page and JSON file, and run ``meanwhile`` in this process.

    Return the number of files written, those of ``meanwhile`` included.
    """
    progress = Progress(
        TextColumn("comparison pages"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    )
    with progress:
        task = progress.add_task("pairs", total=len(pairs))
        if jobs == 1:
            files = meanwhile()
            _init_worker(site, out_dir)
            for chunk in _chunks(pairs):
                progress.advance(task, _render_chunk(chunk))
        else:
            # fork shares the loaded catalog with the workers instead of reloading it.
            context = multiprocessing.get_context("fork")
            with context.Pool(jobs, initializer=_init_worker, initargs=(site, out_dir)) as pool:
                results = pool.imap_unordered(_render_chunk, _chunks(pairs))
                files = meanwhile()
                for done in results:
                    progress.advance(task, done)
    return files + 2 * len(pairs)
