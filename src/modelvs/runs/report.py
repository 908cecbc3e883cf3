"""Printing endpoints, runs and run results as text tables or JSON on stdout.

Outputs, prompts and errors come from servers and files that modelvs does not control, so the
consoles here never interpret Rich markup, and text tables escape the control characters in
them (see ``modelvs.runs.control_chars``). JSON output keeps every text exact: JSON escapes
control characters itself.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Sequence
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.table import Table

from modelvs.runs.control_chars import escape_control_chars, escape_control_chars_in_line
from modelvs.runs.endpoints import EndpointsFile
from modelvs.runs.execute import RunReport
from modelvs.runs.records import ItemResult, RunDetails, RunSummary
from modelvs.store.runs_tables import ITEM_OK

UNKNOWN = "unknown"
NOT_REPORTED = "not reported"


def _console() -> Console:
    return Console(width=160, highlight=False, markup=False, emoji=False)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_endpoints(registry: EndpointsFile, output_format: str) -> None:
    """Print the registry; ``api_key_set`` tells whether the key variable is set, not its value."""
    rows = [
        {
            **endpoint.model_dump(mode="json"),
            "api_key_set": bool(endpoint.api_key_env and os.environ.get(endpoint.api_key_env)),
        }
        for endpoint in registry.endpoints
    ]
    if output_format == "json":
        _echo_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD)
    for header in ("name", "base URL", "model", "catalog model", "key variable", "price"):
        table.add_column(header, overflow="fold")
    for endpoint, row in zip(registry.endpoints, rows, strict=True):
        key = "none"
        if endpoint.api_key_env:
            key = f"{endpoint.api_key_env} ({'set' if row['api_key_set'] else 'not set'})"
        price = "catalog list price"
        if endpoint.price:
            override = endpoint.price
            price = (
                f"${override.input_usd_per_mtok:g} in, ${override.output_usd_per_mtok:g} out"
                " per 1M tokens"
            )
        table.add_row(
            endpoint.name, endpoint.base_url, endpoint.model, endpoint.catalog_model, key, price
        )
    _console().print(table)


def print_runs(runs: Sequence[RunSummary], output_format: str) -> None:
    if output_format == "json":
        _echo_json([_summary_json(run) for run in runs])
        return
    table = Table(box=box.SIMPLE_HEAD)
    for header in ("id", "created (UTC)", "suite", "endpoints", "ok", "failed", "missing"):
        table.add_column(
            header, justify="right" if header in ("id", "ok", "failed", "missing") else "left"
        )
    for run in runs:
        table.add_row(
            str(run.id),
            run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            run.suite_id,
            ", ".join(endpoint.name for endpoint in run.endpoints),
            str(run.items_ok),
            str(run.items_failed),
            str(run.items_missing),
        )
    _console().print(table)


def _summary_json(run: RunSummary) -> dict[str, Any]:
    return {**run.model_dump(mode="json"), "items_missing": run.items_missing}


def print_run(details: RunDetails, output_format: str, show_outputs: bool) -> None:
    """Print one run: its settings, a row per item, totals per endpoint and, if asked, outputs."""
    if output_format == "json":
        _echo_json(
            {
                "run": _summary_json(details.run),
                "prompts": [prompt.model_dump(mode="json") for prompt in details.prompts],
                "items": [item.model_dump(mode="json") for item in details.items],
            }
        )
        return
    console = _console()
    run = details.run
    console.print(f"run {run.id}: suite {run.suite_id} (content hash {run.suite_hash[:12]})")
    console.print(f"  created {run.created_at.isoformat(timespec='seconds')}")
    console.print(
        f"  items: {run.items_ok} ok, {run.items_failed} failed, {run.items_missing} missing"
        f" of {run.items_total}"
    )
    settings = ", ".join(f"{k}={v}" for k, v in run.settings.model_dump().items())
    console.print(f"  settings: {settings}; seed={run.seed}")
    for endpoint in run.endpoints:
        price = endpoint.price.source if endpoint.price else "unknown price: costs stay unknown"
        console.print(
            f"  endpoint {endpoint.name}: {endpoint.model} at {endpoint.base_url}; {price}"
        )
    console.print(_items_table(details.items))
    console.print(_totals_table(run, details.items))
    if show_outputs:
        _print_outputs(console, details)


def _items_table(items: Sequence[ItemResult]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Items")
    headers = ("prompt", "endpoint", "status", "latency", "TTFT", "in", "out", "tok/s", "cost")
    for header in (*headers, "finish reason or error"):
        numeric = header in ("latency", "TTFT", "in", "out", "tok/s", "cost")
        table.add_column(header, justify="right" if numeric else "left", overflow="fold")
    for item in items:
        reported = item.status != ITEM_OK or item.input_tokens is not None
        table.add_row(
            item.prompt_id,
            item.endpoint_name,
            item.status,
            _seconds(item.latency_s),
            _seconds(item.ttft_s),
            _count(item.input_tokens, reported),
            _count(item.output_tokens, reported),
            _rate(item),
            _usd(item.cost_usd) if item.status == ITEM_OK else "",
            escape_control_chars_in_line(item.error or item.finish_reason or ""),
        )
    return table


def _rate(item: ItemResult) -> str:
    if item.tokens_per_s is not None:
        return f"{item.tokens_per_s:.1f}"
    return UNKNOWN if item.status == ITEM_OK else ""


def _totals_table(run: RunSummary, items: Sequence[ItemResult]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Per endpoint")
    for header in ("endpoint", "ok", "failed", "median latency", "median TTFT", "cost"):
        table.add_column(header, justify="left" if header == "endpoint" else "right")
    for endpoint in run.endpoints:
        mine = [item for item in items if item.endpoint_name == endpoint.name]
        done = [item for item in mine if item.status == ITEM_OK]
        table.add_row(
            endpoint.name,
            str(len(done)),
            str(len(mine) - len(done)),
            _seconds(_median([i.latency_s for i in done])),
            _seconds(_median([i.ttft_s for i in done])),
            _total_cost(done),
        )
    return table


def _total_cost(items: Sequence[ItemResult]) -> str:
    """Sum the known costs and count the items without one, because unknown is not zero."""
    known = [item.cost_usd for item in items if item.cost_usd is not None]
    missing = len(items) - len(known)
    if not known:
        return UNKNOWN if items else ""
    text = _usd(sum(known))
    return f"{text} + {missing} unknown" if missing else text


def _print_outputs(console: Console, details: RunDetails) -> None:
    by_prompt: dict[str, list[ItemResult]] = {}
    for item in details.items:
        by_prompt.setdefault(item.prompt_id, []).append(item)
    for prompt in details.prompts:
        console.rule(f"{prompt.prompt_id} ({prompt.category})")
        console.print(escape_control_chars(prompt.text))
        if prompt.reference:
            console.print(f"reference: {escape_control_chars(prompt.reference)}")
        for item in by_prompt.get(prompt.prompt_id, []):
            console.print(f"\n[{item.endpoint_name}, {item.model_slug}]", style="bold")
            if item.status == ITEM_OK:
                console.print(escape_control_chars(item.output or ""))
            else:
                console.print(f"error: {escape_control_chars_in_line(item.error or '')}")
        console.print()


def print_run_report(report: RunReport, output_format: str) -> None:
    if output_format == "json":
        _echo_json(report.model_dump(mode="json"))
        return
    click.echo(
        f"run {report.run_id}: {report.ok} ok, {report.failed} failed of {report.sent} items"
        f" sent ({report.already_finished} already finished, {report.items_total} in the run)"
        f" in {report.elapsed_s:.1f} s"
    )


def _median(values: Sequence[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def _seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else ""


def _count(value: int | None, reported: bool) -> str:
    if value is not None:
        return f"{value:,}"
    return "" if reported else NOT_REPORTED


def _usd(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    return f"${value:.6f}" if value < 0.01 else f"${value:,.4f}"
