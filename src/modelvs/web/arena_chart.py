"""Interval plot of arena ratings: a dot per model with its 95% interval as a whisker."""

from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

from modelvs.stats.ratings import Ratings
from modelvs.web.site import Site

WIDTH = 720
LABEL_WIDTH = 230
ROW_HEIGHT = 18
MAX_ROWS = 60


def ratings_chart(ratings: Ratings, site: Site) -> Markup:
    rows = ratings.models[:MAX_ROWS]
    low = min(r.lower for r in rows)
    high = max(r.upper for r in rows)
    step = 10.0
    if high - low > 200:
        step = 50.0
    elif high - low > 80:
        step = 25.0
    axis_low = math.floor(low / step) * step
    axis_high = math.ceil(high / step) * step
    span = max(axis_high - axis_low, 1.0)
    plot = WIDTH - LABEL_WIDTH - 30
    height = 40 + ROW_HEIGHT * len(rows)

    def x_of(value: float) -> float:
        return round(LABEL_WIDTH + (value - axis_low) / span * plot, 1)

    parts = [
        f'<figure class="chart"><svg role="img" aria-label="Arena ratings with 95% intervals"'
        f' viewBox="0 0 {WIDTH} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        "<title>Arena ratings with 95% intervals</title>"
    ]
    value = axis_low
    while value <= axis_high + 1e-9:
        x = x_of(value)
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="18" y2="{height - 8}" class="grid"/>'
            f'<text x="{x}" y="12" class="tick">{value:.0f}</text>'
        )
        value += step
    for index, rating in enumerate(rows):
        y = 30 + ROW_HEIGHT * index
        model = site.catalog.models.get(rating.model)
        name = model.name if model else rating.model
        label = escape(f"{rating.rank}. {name}")
        detail = escape(
            f"{name}: {rating.rating:.0f} ({rating.lower:.0f} to {rating.upper:.0f}),"
            f" {rating.votes} votes"
        )
        parts.append(
            f"<g><title>{detail}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 4}" class="label">{label}</text>'
            f'<line x1="{x_of(rating.lower)}" x2="{x_of(rating.upper)}" y1="{y}" y2="{y}"'
            ' class="whisker"/>'
            f'<circle cx="{x_of(rating.rating)}" cy="{y}" r="4" fill="#0072B2"/></g>'
        )
    parts.append(
        "</svg><figcaption>Ratings on the Elo scale (mean 1000) with 95% intervals;"
        " ranks count only models whose interval lies entirely above.</figcaption>"
        "</figure>"
    )
    return Markup("".join(parts))
