"""``modelvs import ...`` and ``modelvs data apply``: outside data as reviewable catalog edits.

Every command prints the change as a unified diff and writes it only with ``--apply``
(``data apply`` writes unless ``--dry-run``). The new files are validated with the catalog
loader first, and an invalid result is never written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from pydantic import HttpUrl, TypeAdapter, ValidationError

from modelvs.catalog.problems import Problem
from modelvs.catalog.schema import SourceKind
from modelvs.importers.changes import CatalogEdit, FileChange, ImportReport, SourceSpec
from modelvs.importers.errors import ChangeRejectedError

if TYPE_CHECKING:
    from modelvs.cli import CliState

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
# Source titles hold at most 300 characters; the local path gets most of them.
TITLE_PATH_CHARS = 250


def _date(value: str | None, option: str) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date such as 2026-12-04", param_hint=option
        ) from None


def _http_url(value: str, option: str) -> str:
    try:
        TypeAdapter(HttpUrl).validate_python(value)
    except ValidationError:
        raise click.BadParameter(
            f"{value!r} is not an http(s) URL; give the page where the results are published",
            param_hint=option,
        ) from None
    return value


def common_options(function: F) -> F:
    """Add --retrieved, --apply and --format to an import command."""
    function = click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Output format: a unified diff with messages, or one JSON object.",
    )(function)
    function = click.option(
        "--apply",
        "apply_change",
        is_flag=True,
        help="Write the change to the catalog files; without it nothing is written.",
    )(function)
    return click.option(
        "--retrieved",
        metavar="DATE",
        default=None,
        help="Date (YYYY-MM-DD) recorded as the sources' retrieved date; default today.",
    )(function)


def finish(
    edit: CatalogEdit,
    report: ImportReport,
    write: bool,
    output_format: str,
    started: float,
    write_hint: str = "rerun with --apply to write them",
) -> None:
    """Validate the change, print it, write it when asked and log one line of counts."""
    changes = edit.changes()
    try:
        reviews = edit.validate() if changes else []
    except ChangeRejectedError as exc:
        _print_rejected(changes, exc.problems)
        raise
    written = write and bool(changes)
    if written:
        edit.write()

    elapsed_ms = (time.perf_counter() - started) * 1000
    log.info(
        "%s: %d added, %d changed, %d conflicts, %d skipped; %d files %s in %.0f ms",
        report.importer,
        report.added,
        report.changed,
        len(report.conflicts),
        len(report.skipped),
        len(changes),
        "written" if written else "not written",
        elapsed_ms,
    )
    if output_format == "json":
        click.echo(json.dumps(_as_json(report, changes, reviews, written), indent=2, default=str))
        return
    for change in changes:
        click.echo(change.diff(), nl=False)
    _print_messages(report, reviews)
    if not changes:
        click.echo("no change to the catalog", err=True)
    elif written:
        click.echo(f"wrote {_files(len(changes))}", err=True)
    else:
        click.echo(f"{_files(len(changes))} would change; {write_hint}", err=True)


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


def _print_rejected(changes: list[FileChange], problems: list[Problem]) -> None:
    for change in changes:
        click.echo(change.diff(), nl=False)
    for problem in problems:
        click.echo(problem.format(Path.cwd()), err=True)


def _print_messages(report: ImportReport, reviews: list[Problem]) -> None:
    sections: list[tuple[str, list[str]]] = [
        ("conflicts", [c.format() for c in report.conflicts]),
        ("skipped", [s.format() for s in report.skipped]),
        ("notes", report.notes),
        ("review", [p.format(Path.cwd()) for p in reviews]),
    ]
    for title, lines in sections:
        if lines:
            click.echo(f"{title}:", err=True)
            for line in lines:
                click.echo(f"  {line}", err=True)
    click.echo(f"{report.importer}: {report.counts()}", err=True)


def _as_json(
    report: ImportReport, changes: list[FileChange], reviews: list[Problem], written: bool
) -> dict[str, Any]:
    return {
        "importer": report.importer,
        "written": written,
        "added": report.added,
        "changed": report.changed,
        "conflicts": [dataclasses.asdict(conflict) for conflict in report.conflicts],
        "skipped": [dataclasses.asdict(skipped) for skipped in report.skipped],
        "notes": report.notes,
        "review": [problem.format(Path.cwd()) for problem in reviews],
        "files": [
            {"path": change.relative, "new": not change.old_text, "diff": change.diff()}
            for change in changes
        ],
    }


@click.group("import")
def import_group() -> None:
    """Import facts from the Hub, harness results and price lists as a reviewable change."""


@import_group.command("hf")
@click.argument("repo_ids", nargs=-1, required=True, metavar="REPO_ID...")
@click.option(
    "--model",
    "target",
    metavar="SLUG",
    default=None,
    help="Catalog model to update (slug, name or alias); default: the model with the"
    " repository id as an alias, else a new model file.",
)
@click.option(
    "--timeout-s",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Timeout of each Hub request, in seconds.",
)
@common_options
@click.pass_obj
def import_hf(
    state: CliState,
    repo_ids: tuple[str, ...],
    target: str | None,
    timeout_s: float,
    retrieved: str | None,
    apply_change: bool,
    output_format: str,
) -> None:
    """Read Hugging Face Hub repositories: parameters, context, experts, license, date.

    The Hub address comes from $HF_ENDPOINT (default https://huggingface.co).
    """
    from modelvs.importers.hub import DEFAULT_ENDPOINT
    from modelvs.importers.hub_import import import_hub

    started = time.perf_counter()
    date = _date(retrieved, "--retrieved")
    endpoint = os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    edit, report = import_hub(state.catalog, repo_ids, target, endpoint, timeout_s, date)
    finish(edit, report, apply_change, output_format, started)


def _harness_command(name: str, summary: str) -> click.Command:
    """Build the import command of one harness; they share arguments and options."""

    @click.argument("path", type=click.Path(exists=True, path_type=Path))
    @click.option(
        "--model",
        "target",
        metavar="SLUG",
        required=True,
        help="Catalog model the results belong to (slug, name or alias).",
    )
    @click.option(
        "--source-url",
        metavar="URL",
        required=True,
        help="http(s) URL where the results are published; the source title records the"
        " local path.",
    )
    @common_options
    @click.pass_obj
    def command(
        state: CliState,
        path: Path,
        target: str,
        source_url: str,
        retrieved: str | None,
        apply_change: bool,
        output_format: str,
    ) -> None:
        from modelvs.importers.harness_map import TABLES
        from modelvs.importers.lm_eval import read_results
        from modelvs.importers.scores import apply_results
        from modelvs.importers.vlmevalkit import read_vlmevalkit

        started = time.perf_counter()
        date = _date(retrieved, "--retrieved")
        url = _http_url(source_url, "--source-url")
        catalog = state.catalog
        model = catalog.find_model(target)
        table = TABLES[name]
        runs = read_vlmevalkit(path) if name == "VLMEvalKit" else read_results(path, table)
        location = str(path.resolve())
        if len(location) > TITLE_PATH_CHARS:
            location = "..." + location[-TITLE_PATH_CHARS:]
        title = f"{name} results in {location}"
        spec = SourceSpec(url, title, SourceKind.MEASURED, date, key="run")
        edit = CatalogEdit(catalog)
        report = ImportReport(f"import {command_name(name)}")
        apply_results(edit, model.slug, runs, spec, report)
        finish(edit, report, apply_change, output_format, started)

    return click.command(command_name(name), help=summary)(command)


def command_name(harness: str) -> str:
    return harness.lower()


import_group.add_command(
    _harness_command(
        "lm-eval", "Import scores from lm-evaluation-harness results (results_*.json)."
    )
)
import_group.add_command(
    _harness_command(
        "lmms-eval", "Import scores from lmms-eval results (*_results.json, results.json)."
    )
)
import_group.add_command(
    _harness_command(
        "VLMEvalKit",
        "Import scores from a VLMEvalKit model or run folder (*_acc.csv, *_score.csv/json).",
    )
)


@import_group.command("prices")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "mappings",
    metavar="ID=SLUG",
    multiple=True,
    help="Map an OpenRouter model id to a catalog model; repeat for several ids.",
)
@click.option(
    "--source-url",
    metavar="URL",
    default=None,
    help="http(s) URL the list was saved from; default the OpenRouter models API.",
)
@common_options
@click.pass_obj
def import_prices_command(
    state: CliState,
    file: Path,
    mappings: tuple[str, ...],
    source_url: str | None,
    retrieved: str | None,
    apply_change: bool,
    output_format: str,
) -> None:
    """Import OpenRouter prices (USD per token) as USD per 1M tokens, provider openrouter."""
    from modelvs.importers.prices import OPENROUTER_MODELS_URL, import_prices

    started = time.perf_counter()
    date = _date(retrieved, "--retrieved")
    url = _http_url(source_url or OPENROUTER_MODELS_URL, "--source-url")
    explicit = {}
    for mapping in mappings:
        model_id, sep, slug = mapping.partition("=")
        if not sep or not model_id or not slug:
            raise click.BadParameter(
                f"{mapping!r} is not ID=SLUG, for example openai/gpt-4o=gpt-4o", param_hint="--map"
            )
        explicit[model_id.strip()] = slug.strip()
    edit, report = import_prices(state.catalog, file, explicit, url, date)
    finish(edit, report, apply_change, output_format, started)


@click.command("apply")
@click.argument("change_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the diff and write nothing.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format: a unified diff with messages, or one JSON object.",
)
@click.pass_obj
def data_apply(state: CliState, change_file: Path, dry_run: bool, output_format: str) -> None:
    """Apply a change file (YAML list of file, field, value, source, note) after validation."""
    from modelvs.importers.change_file import apply_changes, read_change_file

    started = time.perf_counter()
    changes = read_change_file(change_file)
    edit, report = apply_changes(state.catalog, changes)
    finish(
        edit,
        report,
        not dry_run,
        output_format,
        started,
        write_hint="rerun without --dry-run to write them",
    )


def _register_data_apply() -> None:
    # Imported here, not at the top: modelvs.cli imports this module at its end, after
    # defining ``data``, and either module may be imported first.
    from modelvs.cli import data

    data.add_command(data_apply)


_register_data_apply()
