"""Small helpers shared by the comparison sections: sources, cells and number formats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from modelvs.catalog.schema import Model
from modelvs.compare.model import Cell, SourceRef
from modelvs.identity_cache import IdentityCache

T = TypeVar("T")

NOT_PUBLISHED = "not published"


def source_ref(model: Model, key: str | None) -> SourceRef | None:
    """Resolve a source key of ``model`` to a citation."""
    if key is None or key not in model.sources:
        return None
    source = model.sources[key]
    cached = _citations.get(source)
    if cached is not None:
        return cached
    citation = SourceRef(
        url=str(source.url), title=source.title, kind=source.kind.value, retrieved=source.retrieved
    )
    return _citations.put(source, citation)


_citations: IdentityCache[SourceRef] = IdentityCache()


def cell(model: Model, text: str | None, source_key: str | None) -> Cell:
    """Build a display cell; ``text=None`` means the fact is unknown."""
    if text is None:
        return UNKNOWN_CELL
    # Cells are frozen, so all comparisons of a model share its cells; the export builds each
    # of them hundreds of times.
    cached = _cells.get(model, text, source_key)
    if cached is not None:
        return cached
    built = Cell(text=text, known=True, source=source_ref(model, source_key))
    return _cells.put(model, built, text, source_key)


UNKNOWN_CELL = Cell(text=NOT_PUBLISHED, known=False)
_cells: IdentityCache[Cell] = IdentityCache()


def tokens(count: int) -> str:
    """``262144`` -> ``"262,144 (256K)"``, ``128000`` -> ``"128,000 (128K)"``.

    Vendors write both decimal (128,000) and binary (131,072) sizes as "128K", so the short
    form follows whichever base divides the count exactly.
    """
    for base in (1000, 1024):
        if count >= base and count % base == 0:
            kilo = count // base
            short = f"{kilo // base}M" if kilo >= base and kilo % base == 0 else f"{kilo}K"
            return f"{count:,} ({short})"
    return f"{count:,}"


def billions(value: float) -> str:
    return f"{value:.3g} B" if value < 10 else f"{value:,.1f} B".replace(".0 B", " B")


def usd(value: float) -> str:
    """``2.5`` -> ``"$2.50"``, ``0.075`` -> ``"$0.075"``: cents always, more digits when set."""
    if value >= 1:
        return f"${value:,.2f}"
    text = f"{value:.4f}".rstrip("0")
    decimals = max(2, len(text.partition(".")[2]))
    return f"${value:.{decimals}f}"


def gib(value: float) -> str:
    return f"{value:,.1f} GiB"


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return months


def ranked(items: Iterable[T], key: Callable[[T], float | None], *, descending: bool) -> list[T]:
    """Sort by ``key`` with unknown (``None``) values last in both directions."""
    items = list(items)
    known = [item for item in items if key(item) is not None]
    unknown = [item for item in items if key(item) is None]
    known.sort(key=lambda item: key(item) or 0.0, reverse=descending)
    return known + unknown


def join_names(names: Sequence[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + f" and {names[-1]}"


def ratio_text(larger: float, smaller: float) -> str:
    """``"3.6x"``; callers pass the larger value first so the ratio reads naturally."""
    ratio = larger / smaller
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def variant_label(benchmark: str, variant_id: str) -> str:
    """``"MMBench (mmbench-v1.1/en/dev)"``; just the name when the variant is the benchmark."""
    if variant_id.replace("-", "") == benchmark.lower().replace("-", ""):
        return benchmark
    return f"{benchmark} ({variant_id})"
