"""``modelvs models`` and ``modelvs benchmarks``: list and show catalog entries."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.table import Table

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import Model
from modelvs.compare.facts import NOT_PUBLISHED, billions, ranked, tokens
from modelvs.compare.size import active_count
from modelvs.errors import UsageError

SORT_KEYS = ("name", "release", "total-params", "context")


def find_organization(catalog: Catalog, name: str) -> str:
    """Return the slug of the organization named by slug, name or alias (case-insensitive)."""
    wanted = name.strip().casefold()
    for org in catalog.organizations.values():
        if wanted in {
            org.slug.casefold(),
            org.name.casefold(),
            *(a.casefold() for a in org.aliases),
        }:
            return org.slug
    known = ", ".join(sorted(catalog.organizations))
    raise UsageError(f"unknown organization {name!r}; use one of: {known}")


def model_row(catalog: Catalog, model: Model) -> dict[str, Any]:
    """Return the summary fields of one model; ``None`` marks an unknown value."""
    active, derived = active_count(model)
    return {
        "slug": model.slug,
        "name": model.name,
        "organization": catalog.organization_name(model.organization),
        "family": model.family,
        "release_date": model.release.date.isoformat() if model.release else None,
        "total_params_billions": model.parameters.total_billions.value,
        "active_params_billions": active,
        "active_params_derived_from_dense_total": derived,
        "context_tokens": model.context.input_tokens.value,
        "open_weights": model.open_weights.value,
        "scores": len(model.scores),
    }


def sort_rows(rows: list[dict[str, Any]], key: str, descending: bool) -> list[dict[str, Any]]:
    """Sort with unknown values last in both directions."""
    if key == "name":
        return sorted(rows, key=lambda r: str(r["name"]).casefold(), reverse=descending)
    field = {
        "release": "release_date",
        "total-params": "total_params_billions",
        "context": "context_tokens",
    }[key]
    if key == "release":
        ordinal = {
            r["slug"]: index
            for index, r in enumerate(sorted((r for r in rows if r[field]), key=lambda r: r[field]))
        }
        return ranked(rows, lambda r: ordinal.get(r["slug"]), descending=descending)
    return ranked(rows, lambda r: r[field], descending=descending)


def print_models(rows: list[dict[str, Any]], output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(box=box.SIMPLE_HEAD)
    for header in (
        "slug",
        "name",
        "organization",
        "released",
        "total",
        "active",
        "context",
        "open weights",
    ):
        table.add_column(
            header,
            justify="right" if header in ("total", "active", "context") else "left",
            overflow="fold",
        )
    for row in rows:
        table.add_row(
            row["slug"],
            row["name"],
            row["organization"],
            row["release_date"] or NOT_PUBLISHED,
            _billions(row["total_params_billions"]),
            _billions(row["active_params_billions"]),
            tokens(row["context_tokens"]) if row["context_tokens"] else NOT_PUBLISHED,
            {True: "yes", False: "no", None: NOT_PUBLISHED}[row["open_weights"]],
        )
    _console(160).print(table)


def _console(width_when_piped: int) -> Console:
    """Create a console: a terminal keeps its own width, pipes and files get a fixed one."""
    width = None if sys.stdout.isatty() else width_when_piped
    return Console(width=width, highlight=False, markup=False, emoji=False)


def _billions(value: float | None) -> str:
    return billions(value) if value is not None else NOT_PUBLISHED


def print_model(catalog: Catalog, model: Model, output_format: str) -> None:
    if output_format == "json":
        data = model.model_dump(mode="json", exclude_none=True)
        data["file"] = str(catalog.model_files[model.slug])
        click.echo(json.dumps(data, indent=2))
        return
    console = _console(120)
    console.print(f"{model.name} ({model.slug})", style="bold")
    row = model_row(catalog, model)
    for key, value in row.items():
        console.print(f"  {key}: {NOT_PUBLISHED if value is None else value}")
    table = Table(box=box.SIMPLE_HEAD, title="Scores")
    for header in ("variant", "value", "setting", "source"):
        table.add_column(header, overflow="fold")
    from modelvs.compare.benchmarks import describe_setting

    for score in model.scores:
        source = model.sources.get(score.source)
        table.add_row(
            score.variant,
            f"{score.value:g}",
            describe_setting(score.setting),
            str(source.url) if source else score.source,
        )
    console.print(table)
    console.print(f"  file: {catalog.model_files[model.slug]}")


def benchmark_rows(catalog: Catalog) -> list[dict[str, Any]]:
    return [
        {
            "variant": ref.variant.id,
            "benchmark": ref.benchmark.name,
            "category": ref.benchmark.category,
            "metric": ref.variant.metric,
            "scale_max": ref.variant.scale_max,
            "direction": ref.variant.direction.value,
            "items": ref.variant.items,
            "scores": sum(
                1 for m in catalog.models.values() for s in m.scores if s.variant == ref.variant.id
            ),
        }
        for ref in catalog.variants.values()
    ]


def print_benchmarks(rows: list[dict[str, Any]], output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(box=box.SIMPLE_HEAD)
    for header in ("variant", "benchmark", "category", "metric", "scale", "items", "scores"):
        table.add_column(
            header, justify="right" if header in ("scale", "items", "scores") else "left"
        )
    for row in rows:
        table.add_row(
            row["variant"],
            row["benchmark"],
            row["category"],
            row["metric"],
            f"{row['scale_max']:g}",
            str(row["items"] or NOT_PUBLISHED),
            str(row["scores"]),
        )
    _console(160).print(table)
