"""Context window, modalities, license and knowledge cutoff sections."""

from __future__ import annotations

from collections.abc import Sequence

from modelvs.catalog.schema import License, LicenseCategory, Model
from modelvs.compare.facts import cell, ratio_text, tokens
from modelvs.compare.model import Cell, DetailRow, FactSection

# Most to least open; used to say which license is more permissive.
LICENSE_OPENNESS = {
    LicenseCategory.PERMISSIVE: 3,
    LicenseCategory.COPYLEFT: 2,
    LicenseCategory.RESTRICTED: 1,
    LicenseCategory.PROPRIETARY: 0,
}


def context_section(models: Sequence[Model]) -> FactSection:
    rows = [
        DetailRow(
            label="Input context (tokens)",
            field="context.input_tokens",
            cells=[_tokens_cell(m, "input") for m in models],
        ),
        DetailRow(
            label="Max output (tokens)",
            field="context.max_output_tokens",
            cells=[_tokens_cell(m, "output") for m in models],
        ),
    ]
    sentences = []
    for model in models:
        for conflict in model.context.conflicts:
            sentences.append(
                f"{model.name}: another source gives {conflict.field} = {conflict.value}"
                f"{f' ({conflict.note})' if conflict.note else ''}; the documented value is used."
            )
    if len(models) == 2:
        sentences.insert(0, _compare_context(models[0], models[1]))
    return FactSection(rows=rows, sentences=sentences)


def _tokens_cell(model: Model, which: str) -> Cell:
    fact = model.context.input_tokens if which == "input" else model.context.max_output_tokens
    return cell(model, tokens(fact.value) if fact.value else None, fact.source)


def _compare_context(a: Model, b: Model) -> str:
    value_a, value_b = a.context.input_tokens.value, b.context.input_tokens.value
    if value_a is None or value_b is None:
        missing = a.name if value_a is None else b.name
        return f"Context windows cannot be compared: {missing}'s is not published."
    if value_a == value_b:
        return f"Both accept {tokens(value_a)} input tokens."
    longer, shorter = (a, b) if value_a > value_b else (b, a)
    high, low = max(value_a, value_b), min(value_a, value_b)
    return (
        f"{longer.name} accepts {tokens(high)} input tokens, {ratio_text(high, low)}"
        f" {shorter.name}'s {tokens(low)}."
    )


def modalities_section(models: Sequence[Model]) -> FactSection:
    rows = [
        DetailRow(
            label="Input modalities",
            field="modalities.input",
            cells=[_modal_cell(m, "input") for m in models],
        ),
        DetailRow(
            label="Output modalities",
            field="modalities.output",
            cells=[_modal_cell(m, "output") for m in models],
        ),
    ]
    sentences = []
    known = {m.slug: set(m.modalities.input.value or []) for m in models}
    for model in models:
        if model.modalities.input.value is None:
            sentences.append(f"{model.name}: input modalities not published.")
            continue
        others = [known[m.slug] for m in models if m.slug != model.slug and known[m.slug]]
        extra = sorted(set(model.modalities.input.value) - set().union(*others)) if others else []
        if extra and len(others) == len(models) - 1:
            sentences.append(
                f"Only {model.name} accepts {', '.join(e.value for e in extra)} input."
            )
    if not sentences:
        sentences.append("The models accept the same input modalities.")
    return FactSection(rows=rows, sentences=sentences)


def _modal_cell(model: Model, which: str) -> Cell:
    fact = model.modalities.input if which == "input" else model.modalities.output
    text = ", ".join(m.value for m in fact.value) if fact.value else None
    return cell(model, text, fact.source)


def license_text(license_: License) -> str:
    name = license_.spdx or license_.name
    use = {
        True: "commercial use allowed",
        False: "no commercial use",
        None: "commercial use unclear",
    }
    return f"{name} ({license_.category.value}, {use[license_.commercial_use]})"


def license_section(models: Sequence[Model]) -> FactSection:
    rows = [
        DetailRow(
            label="Weights license",
            field="license.weights",
            cells=[_license_cell(m, "weights") for m in models],
        ),
        DetailRow(
            label="Code license",
            field="license.code",
            cells=[_license_cell(m, "code") for m in models],
        ),
        DetailRow(
            label="Open weights", field="open_weights", cells=[_open_cell(m) for m in models]
        ),
    ]
    sentences = []
    for model in models:
        weights = model.license.weights
        if weights is None:
            sentences.append(f"{model.name}: weights license not published.")
        elif weights.commercial_use is None:
            sentences.append(
                f"{model.name}: the {weights.name} terms leave commercial use unclear; read them."
            )
    ranked = [m for m in models if m.license.weights is not None]
    if len(ranked) == len(models) == 2:
        sentences.insert(0, _compare_licenses(models[0], models[1]))
    return FactSection(rows=rows, sentences=sentences)


def openness(model: Model) -> int | None:
    weights = model.license.weights
    return LICENSE_OPENNESS[weights.category] if weights else None


def _compare_licenses(a: Model, b: Model) -> str:
    rank_a, rank_b = openness(a), openness(b)
    assert a.license.weights is not None and b.license.weights is not None
    if rank_a == rank_b:
        return (
            f"Both weights licenses are {a.license.weights.category.value}:"
            f" {license_text(a.license.weights)} and {license_text(b.license.weights)}."
        )
    more, less = (a, b) if (rank_a or 0) > (rank_b or 0) else (b, a)
    assert more.license.weights is not None and less.license.weights is not None
    return (
        f"{more.name}'s weights license is more permissive: {license_text(more.license.weights)}"
        f" vs {license_text(less.license.weights)} for {less.name}."
    )


def _license_cell(model: Model, which: str) -> Cell:
    license_ = model.license.weights if which == "weights" else model.license.code
    if license_ is None:
        return cell(model, None, None)
    return cell(model, license_text(license_), license_.source)


def _open_cell(model: Model) -> Cell:
    value = model.open_weights.value
    text = None
    if value is not None:
        text = "yes" if value else "no"
    return cell(model, text, model.open_weights.source)


def cutoff_section(models: Sequence[Model]) -> FactSection:
    cells = [cell(m, m.knowledge_cutoff.value, m.knowledge_cutoff.source) for m in models]
    rows = [DetailRow(label="Knowledge cutoff", field="knowledge_cutoff", cells=cells)]
    known = [(m, m.knowledge_cutoff.value) for m in models if m.knowledge_cutoff.value]
    sentences = [
        f"{m.name}: knowledge cutoff not published." for m in models if not m.knowledge_cutoff.value
    ]
    if len(known) >= 2:
        # ISO prefixes ("2024", "2024-06", "2024-06-30") sort correctly as strings.
        latest = max(known, key=lambda item: item[1])
        if sum(1 for _, value in known if value == latest[1]) == 1:
            sentences.insert(0, f"{latest[0].name} has the latest knowledge cutoff ({latest[1]}).")
    return FactSection(rows=rows, sentences=sentences)
