"""``modelvs arena``: ratings of the stored votes, and battle file import and export."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from modelvs.cli_options import format_option
from modelvs.errors import UnknownModelError, UsageError
from modelvs.stats.ratings import (
    DEFAULT_MIN_VOTES,
    Anchor,
    IntervalMethod,
    RatingOptions,
    Ratings,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from modelvs.catalog.catalog import Catalog
    from modelvs.cli import CliState


@contextmanager
def _database() -> Iterator[Engine]:
    """Open the configured database, migrate it to the newest schema, and close it at the end."""
    from modelvs.store.db import make_engine, upgrade

    engine = make_engine()
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


@click.group()
def arena() -> None:
    """Rate models from arena votes; import and export battle files."""


@arena.command("ratings")
@click.option(
    "--category", default=None, help="Only votes of this category, such as text or image."
)
@click.option(
    "--bootstrap",
    "bootstrap_rounds",
    type=click.IntRange(min=2),
    default=None,
    help="Bootstrap rounds (battles resampled per round) for the 95% intervals, such as 100;"
    " default: closed-form sandwich intervals.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Seed of the bootstrap draws (default: a random seed, printed with the result).",
)
@click.option(
    "--anchor",
    default=None,
    metavar="MODEL=RATING",
    help="Fix MODEL's rating at RATING Elo points; default: the mean rating is 1000.",
)
@click.option(
    "--min-votes",
    type=click.IntRange(min=0),
    default=DEFAULT_MIN_VOTES,
    show_default=True,
    help="Models with fewer votes are marked provisional.",
)
@click.option(
    "--prior-sd",
    "prior_sd_elo",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="SD in Elo points of a Normal prior on each rating (such as 400), which keeps a"
    " model that won or lost every battle finite; default: no prior, such a model is an error.",
)
@format_option()
@click.pass_obj
def ratings_command(
    state: CliState,
    category: str | None,
    bootstrap_rounds: int | None,
    seed: int | None,
    anchor: str | None,
    min_votes: int,
    prior_sd_elo: float | None,
    output_format: str,
) -> None:
    """Bradley-Terry ratings of the stored votes with 95% intervals and ranks."""
    from modelvs.arena.leaderboard import arena_ratings, excluded_votes

    if seed is not None and bootstrap_rounds is None:
        raise UsageError("--seed sets the bootstrap draws; add --bootstrap 100 or drop --seed")
    interval: IntervalMethod = "bootstrap" if bootstrap_rounds else "sandwich"
    options = RatingOptions(
        interval=interval,
        bootstrap_rounds=bootstrap_rounds or 0,
        seed=seed,
        anchor=_parse_anchor(anchor, state.catalog) if anchor else None,
        min_votes=min_votes,
        prior_sd_elo=prior_sd_elo,
    )
    with _database() as engine:
        result = arena_ratings(engine, category, options)
        excluded = excluded_votes(engine, category)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output_format == "json":
        document = {"category": category, "excluded_votes": excluded, **result.to_dict()}
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(_ratings_text(result, category, excluded), nl=False)


def _parse_anchor(value: str, catalog: Catalog) -> Anchor:
    model, separator, rating_text = value.rpartition("=")
    try:
        rating = float(rating_text)
    except ValueError:
        rating = math.nan
    if not separator or not model.strip() or not math.isfinite(rating):
        raise click.BadParameter(
            f"{value!r} is not MODEL=RATING, such as gpt-4.1=1200", param_hint="--anchor"
        )
    try:
        name = catalog.find_model(model).slug
    except UnknownModelError:
        # Imported battles keep the names of uncatalogued models.
        name = model.strip()
    return Anchor(model=name, rating=rating)


def _ratings_text(result: Ratings, category: str | None, excluded: int) -> str:
    width = max([len("model"), *(len(rating.model) for rating in result.models)])
    lines = [f"{'rank':>4}  {'model':<{width}}  {'rating':>7}  {'95% interval':>17}  {'votes':>7}"]
    for rating in result.models:
        interval = f"{rating.lower:7.1f} - {rating.upper:7.1f}"
        mark = "  provisional" if rating.provisional else ""
        lines.append(
            f"{rating.rank:>4}  {rating.model:<{width}}  {rating.rating:7.1f}  {interval:>17}"
            f"  {rating.votes:>7}{mark}"
        )

    lines.append("")
    scope = f"category {category}" if category else "all categories"
    lines.append(
        f"Bradley-Terry maximum likelihood on {result.battles} votes ({scope});"
        f" {excluded} excluded votes not counted."
    )
    if result.bootstrap is not None:
        info = result.bootstrap
        method = f"bootstrap percentiles of {info.rounds} rounds, seed {info.seed}"
        if info.dropped_rounds:
            method += f", {info.dropped_rounds} rounds dropped"
    else:
        method = "sandwich (robust) standard errors"
    lines.append(f"95% intervals: {method}.")
    lines.append("Rank: 1 + the number of models whose interval lies entirely above.")
    if result.anchor is not None:
        lines.append(f"Anchor: {result.anchor.model} fixed at {result.anchor.rating:g}.")
    else:
        lines.append("Scale: Elo points (400 = 10:1 odds), mean rating 1000.")
    if result.prior_sd_elo is not None:
        lines.append(f"Prior: Normal with SD {result.prior_sd_elo:g} Elo around the mean rating.")
    lines.append(f"Provisional: fewer than {result.min_votes} votes.")
    return "\n".join(lines) + "\n"


@arena.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option()
@click.pass_obj
def import_command(state: CliState, file: Path, output_format: str) -> None:
    """Import a battle file (JSON list or JSON Lines, public Chatbot Arena format)."""
    from modelvs.arena.transfer import import_battles

    with _database() as engine:
        summary = import_battles(engine, state.catalog, file)
    if output_format == "json":
        click.echo(json.dumps(dataclasses.asdict(summary), indent=2))
        return
    click.echo(
        f"imported {summary.imported} of {summary.rows} battles from {file}"
        f" ({summary.skipped_known} already stored, {summary.excluded} excluded)"
    )
    if summary.uncatalogued:
        names = ", ".join(summary.uncatalogued)
        click.echo(f"uncatalogued models, imported under their own names: {names}")


@arena.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--include-excluded",
    is_flag=True,
    help="Also write excluded votes, each with its exclusion_reason.",
)
@format_option()
def export_command(file: Path, include_excluded: bool, output_format: str) -> None:
    """Write the stored votes as a battle file: JSON Lines for .jsonl or .ndjson, else a list."""
    from modelvs.arena.transfer import export_battles

    with _database() as engine:
        summary = export_battles(engine, file, include_excluded)
    if output_format == "json":
        click.echo(json.dumps(dataclasses.asdict(summary), indent=2))
        return
    click.echo(f"exported {summary.battles} battles ({summary.excluded} excluded) to {file}")
