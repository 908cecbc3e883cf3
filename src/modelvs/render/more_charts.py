"""Release timeline and price-vs-score charts, written as inline SVG text."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from modelvs.compare.facts import usd
from modelvs.compare.model import Comparison
from modelvs.render.charts import PALETTE

WIDTH = 720
LEFT = 60
RIGHT = 30


@dataclass(frozen=True, slots=True)
class Point:
    """One labelled point of a scatter plot."""

    label: str
    x: float
    y: float
    color: str = PALETTE[0]


def timeline_svg(comparison: Comparison) -> Markup:
    """Release dates on a time axis that ends at the comparison's ``as_of`` date."""
    names = {m.slug: m.name for m in comparison.models}
    dated = [line for line in comparison.timeline.lines if line.date is not None]
    if not dated:
        return Markup("")
    start = min(line.date for line in dated if line.date) - dt.timedelta(days=30)
    end = max(comparison.as_of, *(line.date for line in dated if line.date))
    span_days = max((end - start).days, 1)

    def x_of(day: dt.date) -> float:
        return round(LEFT + (day - start).days / span_days * (WIDTH - LEFT - RIGHT), 1)

    height = 50 + 24 * len(dated)
    parts = [_open_svg("Release timeline", height)]
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="30" y2="30" class="grid"/>')
    for year in range(start.year, end.year + 1):
        tick = dt.date(year, 1, 1)
        if start <= tick <= end:
            parts.append(_tick(x_of(tick), str(year), height))
    as_of_x = x_of(comparison.as_of)
    parts.append(
        f'<line x1="{as_of_x}" x2="{as_of_x}" y1="24" y2="{height - 6}" class="asof"/>'
        f'<text x="{as_of_x}" y="{height - 2}" class="tick">as of {comparison.as_of}</text>'
    )
    for index, line in enumerate(dated):
        assert line.date is not None
        x, y = x_of(line.date), 50 + 24 * index
        color = PALETTE[[m.slug for m in comparison.models].index(line.model) % len(PALETTE)]
        label = escape(f"{names[line.model]}: {line.date} ({line.marks})")
        parts.append(
            f'<g><title>{label}</title><circle cx="{x}" cy="{y}" r="6" fill="{color}"/>'
            f'<text x="{x + 10}" y="{y + 4}" class="value">{label}</text></g>'
        )
    parts.append(
        "</svg><figcaption>Release dates; the line marks the comparison date.</figcaption></figure>"
    )
    return Markup("".join(parts))


def scatter_svg(points: Sequence[Point], x_label: str, y_label: str, title: str) -> Markup:
    """Draw a scatter plot with a logarithmic x axis, because prices span orders of magnitude."""
    if not points:
        return Markup("")
    height = 360
    low = min(p.x for p in points)
    high = max(p.x for p in points)
    log_low, log_high = math.log10(low) - 0.2, math.log10(high) + 0.2
    y_low = min(p.y for p in points)
    y_high = max(p.y for p in points)
    y_pad = max((y_high - y_low) * 0.1, 1.0)
    y_low, y_high = max(0.0, y_low - y_pad), min(100.0, y_high + y_pad)

    def x_of(value: float) -> float:
        share = (math.log10(value) - log_low) / (log_high - log_low)
        return round(LEFT + share * (WIDTH - LEFT - RIGHT - 120), 1)

    def y_of(value: float) -> float:
        return round(height - 40 - (value - y_low) / (y_high - y_low) * (height - 70), 1)

    parts = [_open_svg(title, height)]
    for exponent in range(math.floor(log_low), math.ceil(log_high) + 1):
        value = 10.0**exponent
        if low / 2 <= value <= high * 2:
            parts.append(_tick(x_of(value), usd(value), height))
    for value in _nice_range(y_low, y_high):
        y = y_of(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT - 120}" y1="{y}" y2="{y}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4}" class="label">{value:g}</text>'
        )
    for point in points:
        x, y = x_of(point.x), y_of(point.y)
        label = escape(point.label)
        parts.append(
            f"<g><title>{label}: {escape(usd(point.x))}, {point.y:.1f}</title>"
            f'<circle cx="{x}" cy="{y}" r="5" fill="{point.color}"/>'
            f'<text x="{x + 8}" y="{y + 4}" class="value">{label}</text></g>'
        )
    parts.append(
        f'<text x="{(WIDTH - 120) / 2}" y="{height - 4}" class="tick">{escape(x_label)}</text>'
        f"</svg><figcaption>{escape(y_label)} against {escape(x_label)} (log scale)."
        "</figcaption></figure>"
    )
    return Markup("".join(parts))


def _open_svg(title: str, height: int) -> str:
    return (
        f'<figure class="chart"><svg role="img" aria-label="{escape(title)}"'
        f' viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    )


def _tick(x: float, label: str, height: int) -> str:
    return (
        f'<line x1="{x}" x2="{x}" y1="18" y2="{height - 30}" class="grid"/>'
        f'<text x="{x}" y="14" class="tick">{escape(label)}</text>'
    )


def _nice_range(low: float, high: float) -> list[float]:
    span = high - low
    step = 1.0
    if span > 30:
        step = 10.0
    elif span > 10:
        step = 5.0
    first = math.ceil(low / step) * step
    values = []
    value = first
    while value <= high:
        values.append(value)
        value += step
    return values
