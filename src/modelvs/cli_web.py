"""``modelvs serve`` and ``modelvs export``: the web site, live or as static files."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from modelvs.cli import CliState, parse_date

log = logging.getLogger(__name__)

SEED_MODELS = ("deepseek-vl2-small", "qwen3-vl-4b-instruct")
SEED_PAIR = f"/compare/{SEED_MODELS[0]}-vs-{SEED_MODELS[1]}"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="TCP port to listen on.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (use PostgreSQL for the arena with more than one).",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    help="Fix the date (YYYY-MM-DD) that ages are computed from; default today.",
)
@click.pass_obj
def serve(state: CliState, host: str, port: int, workers: int, as_of: str | None) -> None:
    """Start the web site and JSON API."""
    import os

    import uvicorn

    from modelvs.store.db import make_engine, upgrade

    state.catalog  # noqa: B018  (validate the catalog before starting)
    upgrade(make_engine())
    os.environ["MODELVS_DATA"] = str(state.data_dir.resolve())
    if as_of:
        os.environ["MODELVS_AS_OF"] = parse_date(as_of).isoformat()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"modelvs is serving http://{shown}:{port}/", err=True)
    if all(slug in state.catalog.models for slug in SEED_MODELS):
        click.echo(f"seed comparison: http://{shown}:{port}{SEED_PAIR}", err=True)
    uvicorn.run(
        "modelvs.web.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    help="Date (YYYY-MM-DD) that ages are computed from; default today.",
)
@click.option(
    "--jobs",
    default=0,
    type=click.IntRange(0, 64),
    help="Worker processes; 0 means one per CPU core.",
)
@click.pass_obj
def export(state: CliState, directory: Path, as_of: str | None, jobs: int) -> None:
    """Write the whole site (every pair, model pages, leaderboards, JSON) as static files."""
    from modelvs.web.export import export_site

    summary = export_site(state.data_dir, directory, parse_date(as_of), jobs=jobs)
    click.echo(
        f"wrote {summary.files:,} files ({summary.pairs:,} comparison pages) to"
        f" {directory} in {summary.seconds:.1f} s",
        err=True,
    )
