"""``modelvs endpoints``, ``modelvs run`` and ``modelvs runs``: outputs comparison runs."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from pydantic import ValidationError

from modelvs.cli_options import INTERRUPTED_EXIT_CODE, FiniteFloatRange, format_option
from modelvs.errors import ModelvsError, UsageError

if TYPE_CHECKING:
    from modelvs.cli import CliState
    from modelvs.runs.plan import RunPlan
    from modelvs.runs.store import RunStore

F = TypeVar("F", bound=Callable[..., Any])


class RunFailuresError(ModelvsError):
    """A run finished with failed items."""


def _endpoints_file_option(function: F) -> F:
    return click.option(
        "--endpoints-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Endpoint registry YAML file (default: $MODELVS_ENDPOINTS, else ./endpoints.yaml).",
    )(function)


def add_run_commands(group: click.Group) -> None:
    """Register the endpoints and runs commands on the top-level ``modelvs`` group."""
    group.add_command(endpoints)
    group.add_command(run_command)
    group.add_command(runs)


@click.group()
def endpoints() -> None:
    """Register the OpenAI-compatible endpoints that runs send prompts to."""


@endpoints.command("add")
@click.argument("name")
@click.option(
    "--base-url",
    required=True,
    help="API root of the server, such as http://127.0.0.1:8000/v1; requests go to"
    " BASE_URL/chat/completions.",
)
@click.option("--model", "model_name", required=True, help="Model name the server expects.")
@click.option(
    "--catalog-model",
    required=True,
    help="The catalog model that the endpoint serves (slug, name or alias).",
)
@click.option(
    "--api-key-env",
    default=None,
    help="NAME of the environment variable that contains the API key (the key is never"
    " stored); leave out for servers without keys.",
)
@click.option(
    "--input-usd-per-mtok",
    type=FiniteFloatRange(min=0),
    default=None,
    help="Price override in USD per 1M input tokens; give both prices or neither.",
)
@click.option(
    "--output-usd-per-mtok",
    type=FiniteFloatRange(min=0),
    default=None,
    help="Price override in USD per 1M output tokens; give both prices or neither.",
)
@click.option("--replace", is_flag=True, help="Overwrite an endpoint with the same name.")
@_endpoints_file_option
@click.pass_obj
def endpoints_add(
    state: CliState,
    name: str,
    base_url: str,
    model_name: str,
    catalog_model: str,
    api_key_env: str | None,
    input_usd_per_mtok: float | None,
    output_usd_per_mtok: float | None,
    replace: bool,
    endpoints_file: Path | None,
) -> None:
    """Add an endpoint, checking its catalog model against the catalog."""
    from modelvs.runs.endpoints import (
        Endpoint,
        add_endpoint,
        describe_validation_error,
        endpoints_path,
    )

    prices = (input_usd_per_mtok, output_usd_per_mtok)
    if (prices[0] is None) != (prices[1] is None):
        raise UsageError(
            "give both --input-usd-per-mtok and --output-usd-per-mtok, or neither to use the"
            " catalog's list price"
        )
    price = None
    if prices[0] is not None:
        price = {"input_usd_per_mtok": prices[0], "output_usd_per_mtok": prices[1]}
    try:
        endpoint = Endpoint.model_validate(
            {
                "name": name,
                "base_url": base_url,
                "model": model_name,
                "api_key_env": api_key_env,
                "catalog_model": state.catalog.find_model(catalog_model).slug,
                "price": price,
            }
        )
    except ValidationError as exc:
        raise UsageError(f"invalid endpoint: {describe_validation_error(exc)}") from None
    path = endpoints_path(endpoints_file)
    stored = add_endpoint(path, endpoint, state.catalog, replace)
    click.echo(f"stored endpoint {stored.name} ({stored.catalog_model}) in {path}", err=True)


@endpoints.command("list")
@_endpoints_file_option
@format_option()
def endpoints_list(endpoints_file: Path | None, output_format: str) -> None:
    """List the registered endpoints and whether each API key variable is set."""
    from modelvs.runs.endpoints import endpoints_path, load_endpoints
    from modelvs.runs.report import print_endpoints

    print_endpoints(load_endpoints(endpoints_path(endpoints_file)), output_format)


@endpoints.command("remove")
@click.argument("name")
@_endpoints_file_option
def endpoints_remove(name: str, endpoints_file: Path | None) -> None:
    """Remove an endpoint from the registry; stored runs keep their copy of it."""
    from modelvs.runs.endpoints import endpoints_path, remove_endpoint

    path = endpoints_path(endpoints_file)
    remove_endpoint(path, name)
    click.echo(f"removed endpoint {name} from {path}", err=True)


@click.command("run")
@click.argument("suite")
@click.option(
    "--endpoints",
    "endpoint_names",
    default=None,
    metavar="NAMES",
    help="Comma-separated endpoint names to send every prompt to; required unless --resume.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Maximum requests in flight per endpoint (default 4).",
)
@click.option(
    "--timeout-s",
    type=FiniteFloatRange(min=0, min_open=True),
    default=None,
    help="Read timeout in seconds: the longest wait for the next bytes of a response, the"
    " first bytes included (default 120).",
)
@click.option(
    "--connect-timeout-s",
    type=FiniteFloatRange(min=0, min_open=True),
    default=None,
    help="Connect timeout in seconds (default 10).",
)
@click.option(
    "--total-timeout-s",
    type=FiniteFloatRange(min=0, min_open=True),
    default=None,
    help="Total timeout in seconds per request attempt, from connecting to the end of the"
    " response, however steadily the server sends bytes; a retry starts a new one"
    " (default 600).",
)
@click.option(
    "--max-output-bytes",
    type=click.IntRange(min=1),
    default=None,
    help="Maximum output size in bytes of UTF-8 text; longer output fails its item"
    " without retries (default 4194304, 4 MiB).",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=None,
    help="Retries per item after the first attempt (default 2), with exponential backoff,"
    " full jitter and the server's Retry-After.",
)
@click.option(
    "--max-tokens",
    type=click.IntRange(min=1),
    default=None,
    help="max_tokens sent with each request, in tokens (default 2048).",
)
@click.option(
    "--temperature",
    type=FiniteFloatRange(min=0),
    default=None,
    help="Sampling temperature sent with each request (default: none sent, the server's own).",
)
@click.option(
    "--seed",
    # A 64-bit signed integer, the widest that SQLite and PostgreSQL columns store.
    type=click.IntRange(min=-(2**63), max=2**63 - 1),
    default=None,
    help="Sampling seed sent with each request and stored with the run, a 64-bit integer"
    " (default: none).",
)
@click.option(
    "--resume",
    "resume_run_id",
    type=int,
    default=None,
    metavar="RUN_ID",
    help="Resume this run: send only its missing and failed items.",
)
@click.option("--no-progress", is_flag=True, help="Hide the progress bar on stderr.")
@_endpoints_file_option
@format_option()
@click.pass_obj
def run_command(
    state: CliState,
    suite: str,
    endpoint_names: str | None,
    concurrency: int | None,
    timeout_s: float | None,
    connect_timeout_s: float | None,
    total_timeout_s: float | None,
    max_output_bytes: int | None,
    retries: int | None,
    max_tokens: int | None,
    temperature: float | None,
    seed: int | None,
    resume_run_id: int | None,
    no_progress: bool,
    endpoints_file: Path | None,
    output_format: str,
) -> None:
    """Send every prompt of SUITE (a suite file, or "default") to every endpoint.

    Each finished item is stored at once, so an interrupted run loses no finished item and
    --resume sends only what is missing or failed.
    """
    from modelvs.runs.endpoints import (
        endpoints_path,
        load_endpoints,
        read_api_keys,
        select_endpoints,
    )
    from modelvs.runs.execute import run_plan
    from modelvs.runs.plan import RunOptions, plan_new_run, plan_resume
    from modelvs.runs.report import print_run_report
    from modelvs.runs.suite import resolve_suite

    names = _split_names(endpoint_names)
    if names is None and resume_run_id is None:
        raise UsageError("name the endpoints with --endpoints a,b (or resume a run with --resume)")
    options = RunOptions(
        concurrency=concurrency,
        timeout_s=timeout_s,
        connect_timeout_s=connect_timeout_s,
        total_timeout_s=total_timeout_s,
        max_output_bytes=max_output_bytes,
        retries=retries,
        max_tokens=max_tokens,
        temperature=temperature,
        seed=seed,
    )
    loaded = resolve_suite(suite)
    with _open_store() as store:
        if resume_run_id is not None:
            registry = load_endpoints(endpoints_path(endpoints_file))
            plan = plan_resume(store, loaded, resume_run_id, names, options, registry)
            api_keys = read_api_keys(plan.endpoints)
        else:
            registry = load_endpoints(endpoints_path(endpoints_file))
            chosen = select_endpoints(registry, names or [])
            api_keys = read_api_keys(chosen)  # checked before the run is stored
            plan = plan_new_run(store, state.catalog, loaded, chosen, options)

        try:
            report = run_plan(plan, store, api_keys, show_progress=not no_progress)
        except KeyboardInterrupt:
            click.echo(
                f"interrupted: every finished item of run {plan.run_id} is stored; continue"
                f" with 'modelvs run {suite} --resume {plan.run_id}'",
                err=True,
            )
            sys.exit(INTERRUPTED_EXIT_CODE)
    print_run_report(report, output_format)
    _explain_outcome(plan, report.failed, report.endpoints_without_usage, suite)


def _split_names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise UsageError(f"--endpoints {value!r} names no endpoint; give names such as a,b")
    return names


def _explain_outcome(plan: RunPlan, failed: int, without_usage: list[str], suite: str) -> None:
    if without_usage:
        click.echo(
            f"note: {', '.join(without_usage)} sent no token usage, so their token counts and"
            " costs are unknown",
            err=True,
        )
    if failed:
        raise RunFailuresError(
            f"{failed} {'item' if failed == 1 else 'items'} of run {plan.run_id} failed; see"
            f" the errors with 'modelvs runs show"
            f" {plan.run_id}' and send them again with 'modelvs run {suite} --resume"
            f" {plan.run_id}'"
        )
    click.echo(f"see the results with 'modelvs runs show {plan.run_id}'", err=True)


@contextlib.contextmanager
def _open_store() -> Iterator[RunStore]:
    """Open the database of $MODELVS_DATABASE_URL, migrated, and close it afterwards."""
    from modelvs.runs.store import RunStore
    from modelvs.store.db import make_engine, upgrade

    engine = make_engine()
    try:
        upgrade(engine)
        yield RunStore(engine)
    finally:
        engine.dispose()


@click.group()
def runs() -> None:
    """List and show stored runs."""


@runs.command("list")
@format_option()
def runs_list(output_format: str) -> None:
    """List every stored run, newest first, with its item counts."""
    from modelvs.runs.report import print_runs

    with _open_store() as store:
        print_runs(store.list_runs(), output_format)


@runs.command("show")
@click.argument("run_id", type=int)
@click.option("--outputs", "show_outputs", is_flag=True, help="Also print every output text.")
@format_option()
def runs_show(run_id: int, show_outputs: bool, output_format: str) -> None:
    """Show one run: settings, every item, totals per endpoint; JSON includes the outputs."""
    from modelvs.runs.report import print_run

    with _open_store() as store:
        print_run(store.details(run_id), output_format, show_outputs)
