"""Command-line interface: a thin layer over the catalog, engine and renderers."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sys
from pathlib import Path

import click

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.load import default_data_dir, load_catalog, read_catalog
from modelvs.catalog.problems import Severity
from modelvs.cli_catalog import (
    SORT_KEYS,
    benchmark_rows,
    find_organization,
    model_row,
    print_benchmarks,
    print_model,
    print_models,
    sort_rows,
)
from modelvs.cli_options import INTERRUPTED_EXIT_CODE, format_option
from modelvs.errors import CatalogError, ModelvsError, UnknownModelError

log = logging.getLogger(__name__)

FORMATS = ("text", "markdown", "json", "html")


class CliState:
    """Options shared by every command."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._catalog: Catalog | None = None

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = load_catalog(self.data_dir)
        return self._catalog


@click.group()
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Catalog directory (default: $MODELVS_DATA, else the checkout's data/).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="WARNING",
    show_default=True,
    help="Level of the log messages written to stderr.",
)
@click.version_option(package_name="modelvs")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, log_level: str) -> None:
    """Compare AI models from a catalog of sourced facts."""
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = CliState(data_dir or default_data_dir())


@cli.group()
def data() -> None:
    """Check and export the catalog."""


@data.command("check")
@click.pass_obj
def data_check(state: CliState) -> None:
    """Validate the whole catalog and list every problem as file:line: field: message."""
    catalog, problems = read_catalog(state.data_dir)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    for problem in problems:
        click.echo(problem.format(Path.cwd()), err=True)
    summary = (
        f"{len(catalog.models)} models, {len(catalog.variants)} benchmark variants:"
        f" {len(errors)} error{'s' * (len(errors) != 1)}, {len(problems) - len(errors)} to review"
    )
    click.echo(summary, err=True)
    if errors:
        sys.exit(1)


@data.command("schema")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON Schema to this file instead of stdout.",
)
def data_schema(output: Path | None) -> None:
    """Print the JSON Schema of a model file, for editors."""
    from modelvs.catalog.schema import Model

    text = json.dumps(Model.model_json_schema(), indent=2) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@cli.command("compare")
@click.argument("models", nargs=-1, required=True)
@format_option(FORMATS)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to this file instead of stdout.",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    help="Date (YYYY-MM-DD) that ages are computed from; default today. Fix it for"
    " reproducible output.",
)
@click.pass_obj
def compare_command(
    state: CliState,
    models: tuple[str, ...],
    output_format: str,
    output: Path | None,
    as_of: str | None,
) -> None:
    """Compare two or more models by slug, name or alias (case-insensitive)."""
    from modelvs.compare.build import compare
    from modelvs.render import render

    if len(models) < 2:
        raise click.UsageError("name at least two models, for example: modelvs compare A B")
    date = parse_date(as_of)
    catalog = state.catalog
    chosen = [catalog.find_model(name) for name in models]
    comparison = compare(catalog, chosen, date)
    terminal = output is None and output_format == "text" and sys.stdout.isatty()
    # A terminal gets its own width and colour; files and pipes get a fixed width, so the
    # same --as-of always gives the same bytes.
    width = shutil.get_terminal_size().columns if terminal else None
    text = render(comparison, output_format, color=terminal, width=width)
    write_output(text, output)


def write_output(text: str, output: Path | None) -> None:
    """Write data to ``output`` (atomically) or stdout."""
    if output is None:
        click.echo(text, nl=False)
        return
    if not output.parent.is_dir():
        raise ModelvsError(
            f"cannot write {output}: the folder {output.parent} does not exist; create it first"
        )
    partial = output.with_name(output.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ModelvsError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output}", err=True)


@cli.group()
def models() -> None:
    """List and show models."""


@models.command("list")
@format_option()
@click.option(
    "--sort",
    "sort_key",
    type=click.Choice(SORT_KEYS),
    default="name",
    show_default=True,
    help="Sort key; unknown values sort last either way.",
)
@click.option("--desc", is_flag=True, help="Sort in descending order.")
@click.option("--organization", default=None, help="Only models of this organization slug.")
@click.option(
    "--open-weights/--any-weights", default=False, help="Only models whose weights are published."
)
@click.pass_obj
def models_list(
    state: CliState,
    output_format: str,
    sort_key: str,
    desc: bool,
    organization: str | None,
    open_weights: bool,
) -> None:
    """List every model in the catalog."""
    catalog = state.catalog
    if organization is not None:
        organization = find_organization(catalog, organization)
    rows = [
        model_row(catalog, m)
        for m in catalog.models.values()
        if organization in (None, m.organization)
        and (not open_weights or m.open_weights.value is True)
    ]
    print_models(sort_rows(rows, sort_key, desc), output_format)


@models.command("show")
@click.argument("name")
@format_option()
@click.pass_obj
def models_show(state: CliState, name: str, output_format: str) -> None:
    """Show every fact of one model, with sources."""
    catalog = state.catalog
    print_model(catalog, catalog.find_model(name), output_format)


@cli.group()
def benchmarks() -> None:
    """List benchmarks and their variants."""


@benchmarks.command("list")
@format_option()
@click.pass_obj
def benchmarks_list(state: CliState, output_format: str) -> None:
    """List every benchmark variant with its metric, scale and item count."""
    print_benchmarks(benchmark_rows(state.catalog), output_format)


def parse_date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date such as 2026-12-04", param_hint="--as-of"
        ) from None


def main() -> None:
    """Entry point: map modelvs errors to messages and exit codes."""
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort as exc:
        # Click turns Ctrl-C into Abort; exit as the shell does for SIGINT.
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            click.echo("interrupted", err=True)
            sys.exit(INTERRUPTED_EXIT_CODE)
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CatalogError as exc:
        for problem in exc.problems[:20]:
            click.echo(problem.format(Path.cwd()), err=True)
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except UnknownModelError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except ModelvsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        # The reader of stdout went away (``modelvs ... | head``); that is not an error.
        sys.stderr.close()
        sys.exit(0)
    except OSError as exc:
        target = f" ({exc.filename})" if exc.filename else ""
        click.echo(f"error: input/output failed{target}: {exc.strerror or exc}", err=True)
        sys.exit(1)


# Command groups that live in their own modules; each line registers one group.
from modelvs.cli_web import export, serve  # noqa: E402

cli.add_command(serve)
cli.add_command(export)
from modelvs.cli_runs import add_run_commands  # noqa: E402

add_run_commands(cli)
from modelvs.cli_arena import arena  # noqa: E402

cli.add_command(arena)

from modelvs.cli_import import import_group  # noqa: E402

cli.add_command(import_group)
