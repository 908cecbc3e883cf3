"""Geometry of the inline SVG charts: benchmark bars with interval whiskers and size bars.

Charts are written as SVG text with precomputed coordinates instead of by a plotting library,
because rendering a page must stay under 2 ms, which matplotlib or Vega cannot do. The page
must also work with no script and nothing fetched from the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from modelvs.compare.facts import billions, variant_label
from modelvs.compare.leaderboard import Leaderboard
from modelvs.compare.model import Comparison, ScoreValue

WIDTH = 720
LABEL_WIDTH = 230
PLOT_WIDTH = WIDTH - LABEL_WIDTH - 60
BAR_HEIGHT = 12
BAR_GAP = 3
GROUP_GAP = 14
TOP = 28
# Up to eight models are distinguishable by these colours (Okabe-Ito, colour-blind safe).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True, slots=True)
class Bar:
    y: float
    width: float
    color: str
    label: str
    whisker: tuple[float, float] | None
    title: str


@dataclass(frozen=True, slots=True)
class BarGroup:
    label: str
    y: float
    bars: list[Bar]


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    label_width: int
    plot_width: int
    groups: list[BarGroup]
    ticks: list[tuple[float, str]]
    legend: list[tuple[str, str]]
    caption: str


def _x(value: float, maximum: float) -> float:
    return round(LABEL_WIDTH + value / maximum * PLOT_WIDTH, 1)


def benchmark_chart(comparison: Comparison) -> Chart | None:
    """Grouped bars on the 0-100 display scale for variants at least two models report."""
    names = [m.name for m in comparison.models]
    rows = [row for row in comparison.table if sum(c is not None for c in row.cells) >= 2]
    if not rows:
        return None

    groups, y = [], float(TOP)
    for row in rows:
        bars = []
        for index, score in enumerate(row.cells):
            if score is None:
                continue
            bars.append(_score_bar(score, y, PALETTE[index], names[index]))
            y += BAR_HEIGHT + BAR_GAP
        label = variant_label(row.benchmark, row.variant)
        groups.append(BarGroup(label=label, y=bars[0].y, bars=bars))
        y += GROUP_GAP

    ticks = [(_x(v, 100), str(v)) for v in range(0, 101, 20)]
    legend = [(PALETTE[i], name) for i, name in enumerate(names)]
    caption = (
        "Scores on a 0-100 scale (OCRBench v1 divided by 10, MME by 28); whiskers show 95%"
        " binomial intervals where the item count is known."
    )
    return Chart(WIDTH, int(y + 10), LABEL_WIDTH, PLOT_WIDTH, groups, ticks, legend, caption)


def _score_bar(score: ScoreValue, y: float, color: str, name: str) -> Bar:
    whisker = None
    if score.low is not None and score.high is not None:
        whisker = (_x(score.low, 100), _x(score.high, 100))
    width = round(score.display / 100 * PLOT_WIDTH, 1)
    title = f"{name}: {score.text} ({score.setting})"
    return Bar(y=y, width=width, color=color, label=score.text, whisker=whisker, title=title)


def leaderboard_chart(board: Leaderboard) -> Chart | None:
    """Lay out one bar per model on the 0-100 display scale, with 95% interval whiskers."""
    if not board.rows:
        return None
    groups, y = [], float(TOP)
    for row in board.rows:
        bar = _score_bar(row.score, y, PALETTE[0], row.name)
        groups.append(BarGroup(label=f"{row.rank}. {row.name}", y=y, bars=[bar]))
        y += BAR_HEIGHT + BAR_GAP + 4
    ticks = [(_x(v, 100), str(v)) for v in range(0, 101, 20)]
    caption = (
        f"{board.benchmark} ({board.variant}) on a 0-100 scale; whiskers show 95% binomial"
        " intervals where the item count is known."
    )
    return Chart(WIDTH, int(y + 10), LABEL_WIDTH, PLOT_WIDTH, groups, ticks, [], caption)


def size_chart(comparison: Comparison) -> Chart | None:
    """Total (light) and active (dark) parameters per model, in billions, on one linear axis."""
    lines = comparison.size.lines
    known = [line.total_billions for line in lines if line.total_billions is not None]
    if not known:
        return None
    maximum = max(known)

    groups, y = [], float(TOP)
    for index, (model, line) in enumerate(zip(comparison.models, lines, strict=True)):
        bars = []
        for kind, value in (("total", line.total_billions), ("active", line.active_billions)):
            if value is None:
                continue
            bars.append(
                Bar(
                    y=y,
                    width=round(value / maximum * PLOT_WIDTH, 1),
                    color=PALETTE[index] if kind == "active" else "#b8c4d0",
                    label=f"{billions(value)} {kind}",
                    whisker=None,
                    title=f"{model.name}: {billions(value)} {kind} parameters",
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        if not bars:
            bars.append(Bar(y, 0, "#b8c4d0", "not published", None, f"{model.name}: not published"))
            y += BAR_HEIGHT + BAR_GAP
        groups.append(BarGroup(label=model.name, y=bars[0].y, bars=bars))
        y += GROUP_GAP

    step = _nice_step(maximum)
    ticks = []
    value = 0.0
    while value <= maximum + 1e-9:
        ticks.append((_x(value, maximum), f"{value:g}"))
        value += step
    legend = [("#b8c4d0", "total parameters"), (PALETTE[0], "active per token")]
    caption = "Parameters in billions; a dense model's active count equals its total."
    return Chart(WIDTH, int(y + 10), LABEL_WIDTH, PLOT_WIDTH, groups, ticks, legend, caption)


def _nice_step(maximum: float) -> float:
    raw = maximum / 5
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    for factor in (1, 2, 2.5, 5, 10):
        if magnitude * factor >= raw:
            return magnitude * factor
    return magnitude * 10


def chart_svg(chart: Chart | None, title: str) -> Markup:
    """Write the chart as an inline ``<figure>`` with an SVG, escaping every label."""
    if chart is None:
        return Markup("")
    parts = [
        f'<figure class="chart"><svg role="img" aria-label="{escape(title)}"'
        f' viewBox="0 0 {chart.width} {chart.height}" width="100%"'
        ' preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    ]
    bottom = chart.height - 8
    for x, label in chart.ticks:
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="18" y2="{bottom}" class="grid"/>'
            f'<text x="{x}" y="12" class="tick">{escape(label)}</text>'
        )
    for group in chart.groups:
        parts.append(
            f'<text x="{chart.label_width - 8}" y="{group.y + 10}" class="label">'
            f"{escape(group.label)}</text>"
        )
        parts.extend(_bar_svg(bar, chart.label_width) for bar in group.bars)
    parts.append("</svg><figcaption>")
    for color, name in chart.legend:
        parts.append(f'<span class="key"><i style="background:{color}"></i>{escape(name)}</span>')
    parts.append(f"<br>{escape(chart.caption)}</figcaption></figure>")
    return Markup("".join(parts))


def _bar_svg(bar: Bar, left: int) -> str:
    y = bar.y
    end = left + bar.width
    svg = (
        f"<g><title>{escape(bar.title)}</title>"
        f'<rect x="{left}" y="{y}" width="{bar.width}" height="{BAR_HEIGHT}" fill="{bar.color}"/>'
    )
    if bar.whisker:
        low, high = bar.whisker
        svg += (
            f'<line x1="{low}" x2="{high}" y1="{y + 6}" y2="{y + 6}" class="whisker"/>'
            f'<line x1="{low}" x2="{low}" y1="{y + 2}" y2="{y + 10}" class="whisker"/>'
            f'<line x1="{high}" x2="{high}" y1="{y + 2}" y2="{y + 10}" class="whisker"/>'
        )
        end = max(end, high)
    return (
        svg
        + f'<text x="{round(end + 6, 1)}" y="{y + 10}" class="value">{escape(bar.label)}</text></g>'
    )
