"""Size: total and active parameters and the memory needed to self-host."""

from __future__ import annotations

from collections.abc import Sequence

from modelvs.catalog.schema import Architecture, Model
from modelvs.compare.facts import billions, cell, gib, ratio_text
from modelvs.compare.model import Cell, MemoryEstimate, SizeLine, SizeSection

# Bytes per parameter for the weights at each precision.
PRECISIONS = (("bf16", 2.0), ("8-bit", 1.0), ("4-bit", 0.5))
GIB = 2**30

MEMORY_NOTE = (
    "Memory figures are estimates of the weights alone, from the total parameter count at 2, 1"
    " and 0.5 bytes per parameter (every expert of a mixture-of-experts model must be loaded)."
    " The KV cache, activations and runtime overhead come on top. 1 GiB = 2^30 bytes."
)


def weights_gib(total_billions: float, bytes_per_parameter: float) -> float:
    return total_billions * 1e9 * bytes_per_parameter / GIB


def active_count(model: Model) -> tuple[float | None, bool]:
    """Active parameters per token and whether the value is derived from a dense total."""
    params = model.parameters
    if params.active_billions.value is not None:
        return params.active_billions.value, False
    if model.architecture.value is Architecture.DENSE and params.total_billions.value is not None:
        return params.total_billions.value, True
    return None, False


def size_line(model: Model) -> SizeLine:
    total = model.parameters.total_billions
    active, derived = active_count(model)
    memory = []
    if total.value is not None:
        memory = [
            MemoryEstimate(
                precision=name,
                bytes_per_parameter=size,
                gib=round(weights_gib(total.value, size), 2),
            )
            for name, size in PRECISIONS
        ]
    active_cell: Cell
    if derived and active is not None:
        active_cell = cell(model, f"{billions(active)} (dense: all parameters)", total.source)
    else:
        active_text = billions(active) if active is not None else None
        active_cell = cell(model, active_text, model.parameters.active_billions.source)
    architecture = model.architecture.value
    return SizeLine(
        model=model.slug,
        architecture=architecture.value if architecture else None,
        total_billions=total.value,
        active_billions=active,
        active_is_derived=derived,
        memory=memory,
        total=cell(model, billions(total.value) if total.value else None, total.source),
        active=active_cell,
    )


def size_section(models: Sequence[Model]) -> SizeSection:
    lines = [size_line(model) for model in models]
    sentences = [_describe(model, line) for model, line in zip(models, lines, strict=True)]
    if len(models) == 2:
        sentences.append(compare_sizes(models[0], lines[0], models[1], lines[1]))
    return SizeSection(lines=lines, sentences=sentences, note=MEMORY_NOTE)


def _describe(model: Model, line: SizeLine) -> str:
    if line.total_billions is None:
        return f"{model.name}: total parameter count not published."
    total = billions(line.total_billions)
    if line.architecture == Architecture.MOE.value:
        active = (
            f"{billions(line.active_billions)} active per token"
            if line.active_billions is not None
            else "active count per token not published"
        )
        text = f"{model.name}: mixture-of-experts, {total} total parameters, {active}"
    elif line.active_is_derived:
        text = f"{model.name}: dense, {total} total parameters, all active per token"
    else:
        text = f"{model.name}: {total} total parameters (architecture not published)"
    four_bit = line.memory[-1].gib
    return f"{text}; about {gib(four_bit)} of weights at 4-bit (estimate)."


def compare_sizes(a: Model, line_a: SizeLine, b: Model, line_b: SizeLine) -> str:
    """One sentence that names both counts whenever a mixture-of-experts model is involved."""
    if line_a.total_billions is None or line_b.total_billions is None:
        missing = a.name if line_a.total_billions is None else b.name
        return f"Sizes cannot be compared: {missing}'s total parameter count is not published."

    big, small = (
        (line_a, line_b) if line_a.total_billions >= line_b.total_billions else (line_b, line_a)
    )
    big_name, small_name = (a.name, b.name) if big is line_a else (b.name, a.name)
    total_part = (
        f"by total parameters, {big_name} has {billions(big.total_billions or 0)} and"
        f" {small_name} {billions(small.total_billions or 0)}"
        f" ({ratio_text(big.total_billions or 0, small.total_billions or 1)} as many)"
    )
    both_dense = line_a.active_is_derived and line_b.active_is_derived
    if both_dense:
        return f"Both are dense, so every parameter is active per token: {total_part}."

    active_a = _active_phrase(a, line_a)
    active_b = _active_phrase(b, line_b)
    return (
        f"{total_part[0].upper()}{total_part[1:]}; by active parameters per token,"
        f" {active_a} and {active_b}."
    )


def _active_phrase(model: Model, line: SizeLine) -> str:
    if line.active_billions is None:
        return f"{model.name}'s active count is not published"
    suffix = " (dense)" if line.active_is_derived else ""
    return f"{model.name} uses {billions(line.active_billions)}{suffix}"
