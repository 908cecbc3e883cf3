"""Release timeline: dates, ages relative to ``as_of`` and the gap between models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from modelvs.catalog.schema import Model
from modelvs.compare.facts import months_between, source_ref
from modelvs.compare.model import TimelineLine, TimelineSection


def timeline_section(models: Sequence[Model], as_of: dt.date) -> TimelineSection:
    lines = [_line(model, as_of) for model in models]
    sentences = [_describe(model, line, as_of) for model, line in zip(models, lines, strict=True)]
    if len(models) == 2:
        sentences.append(_gap(models[0], lines[0], models[1], lines[1]))
    return TimelineSection(lines=lines, sentences=sentences)


def _line(model: Model, as_of: dt.date) -> TimelineLine:
    release = model.release
    if release is None:
        return TimelineLine(model=model.slug, date=None, marks=None, age_months=None, source=None)
    return TimelineLine(
        model=model.slug,
        date=release.date,
        marks=release.marks.value,
        age_months=months_between(release.date, as_of),
        source=source_ref(model, release.source),
    )


def _describe(model: Model, line: TimelineLine, as_of: dt.date) -> str:
    if line.date is None or line.age_months is None:
        return f"{model.name}: release date not published."
    what = {"weights": "weights released", "api": "API released", "announcement": "announced"}
    event = what.get(line.marks or "", "released")
    if line.date > as_of:
        return f"{model.name}: {event} {line.date}, after {as_of}."
    if line.age_months == 0:
        age = f"less than a month before {as_of}"
    else:
        age = f"{_months(line.age_months)} before {as_of}"
    return f"{model.name}: {event} {line.date}, {age}."


def _gap(a: Model, line_a: TimelineLine, b: Model, line_b: TimelineLine) -> str:
    if line_a.date is None or line_b.date is None:
        return "The gap between the releases is unknown because a release date is not published."
    if line_a.date == line_b.date:
        return "Both were released on the same day."
    newer = a if line_a.date > line_b.date else b
    gap = abs(months_between(line_a.date, line_b.date))
    if gap == 0:
        return f"{newer.name} is newer, by less than a month."
    return f"{newer.name} is newer, by {_months(gap)}."


def _months(count: int) -> str:
    return f"{count} month{'s' if count != 1 else ''}"
