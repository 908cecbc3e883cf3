"""The fact rows of a model page: value, source and the field path for corrections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import Fact, Model
from modelvs.compare.facts import NOT_PUBLISHED, billions, source_ref, tokens
from modelvs.compare.model import SourceRef
from modelvs.compare.pricing import latest_prices
from modelvs.compare.sections import license_text


@dataclass(frozen=True, slots=True)
class FactRow:
    label: str
    field: str
    text: str
    known: bool
    source: SourceRef | None
    note: str | None = None


def _fact(model: Model, label: str, field: str, fact: Fact[Any], text: str | None) -> FactRow:
    return FactRow(
        label,
        field,
        text or NOT_PUBLISHED,
        text is not None,
        source_ref(model, fact.source),
        fact.note,
    )


def model_facts(catalog: Catalog, model: Model) -> list[FactRow]:
    """Every fact of ``model`` in page order; unknown facts say "not published"."""
    params, context = model.parameters, model.context
    rows = [
        FactRow(
            "Organization",
            "organization",
            catalog.organization_name(model.organization),
            True,
            None,
        ),
    ]
    if model.release:
        rows.append(
            FactRow(
                "Release",
                "release",
                f"{model.release.date} ({model.release.marks.value})",
                True,
                source_ref(model, model.release.source),
                model.release.note,
            )
        )
    else:
        rows.append(FactRow("Release", "release", NOT_PUBLISHED, False, None))
    arch = model.architecture.value
    rows += [
        _fact(
            model, "Architecture", "architecture", model.architecture, arch.value if arch else None
        ),
        _fact(
            model,
            "Total parameters",
            "parameters.total_billions",
            params.total_billions,
            billions(params.total_billions.value) if params.total_billions.value else None,
        ),
        _fact(
            model,
            "Active parameters",
            "parameters.active_billions",
            params.active_billions,
            billions(params.active_billions.value) if params.active_billions.value else None,
        ),
        _fact(
            model,
            "Input context (tokens)",
            "context.input_tokens",
            context.input_tokens,
            tokens(context.input_tokens.value) if context.input_tokens.value else None,
        ),
        _fact(
            model,
            "Max output (tokens)",
            "context.max_output_tokens",
            context.max_output_tokens,
            tokens(context.max_output_tokens.value) if context.max_output_tokens.value else None,
        ),
        _fact(
            model,
            "Input modalities",
            "modalities.input",
            model.modalities.input,
            ", ".join(m.value for m in model.modalities.input.value or []) or None,
        ),
        _fact(
            model,
            "Output modalities",
            "modalities.output",
            model.modalities.output,
            ", ".join(m.value for m in model.modalities.output.value or []) or None,
        ),
        _fact(
            model,
            "Open weights",
            "open_weights",
            model.open_weights,
            None
            if model.open_weights.value is None
            else ("yes" if model.open_weights.value else "no"),
        ),
        _fact(
            model,
            "Knowledge cutoff",
            "knowledge_cutoff",
            model.knowledge_cutoff,
            model.knowledge_cutoff.value,
        ),
    ]
    for which in ("weights", "code"):
        license_ = getattr(model.license, which)
        rows.append(
            FactRow(
                f"{which.capitalize()} license",
                f"license.{which}",
                license_text(license_) if license_ else NOT_PUBLISHED,
                license_ is not None,
                source_ref(model, license_.source) if license_ else None,
                license_.note if license_ else None,
            )
        )
    for conflict in context.conflicts:
        rows.append(
            FactRow(
                f"Conflicting {conflict.field}",
                f"context.{conflict.field}",
                f"{conflict.value} (not used)",
                True,
                source_ref(model, conflict.source),
                conflict.note,
            )
        )
    for price in latest_prices(model):
        amounts = (
            f"${price.input_usd_per_mtok} in / ${price.output_usd_per_mtok} out per 1M tokens"
            if price.state.value == "paid"
            else price.state.value
        )
        rows.append(
            FactRow(
                f"Price on {catalog.provider_name(price.provider)}",
                "prices",
                f"{amounts} ({price.date})",
                True,
                source_ref(model, price.source),
                price.note,
            )
        )
    return rows
