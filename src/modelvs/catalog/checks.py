"""Checks that span files: references, uniqueness and sibling sanity."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.lines import FieldPath, line_of
from modelvs.catalog.problems import Problem, Severity, problem_at
from modelvs.catalog.schema import ConflictingValue, Fact, License, Model, Price, Release, Score

SOURCED = (Fact, License, Release, Score, Price, ConflictingValue)

# A family member whose context differs from the family median by this factor or more
# is flagged for review: siblings usually share a context window.
CONTEXT_RATIO_FOR_REVIEW = 4.0
# Tolerance between a size written in the slug ("8b", "30b-a3b") and the catalog's count.
SIZE_TAG_TOLERANCE = 0.35
# "17b-16e" (Llama 4) names the active count and the number of experts, not the total.
SIZE_TAG = re.compile(r"(?:^|-)(\d+(?:\.\d+)?)b(?:-a(\d+(?:\.\d+)?)b)?(?!-\d+e(?:-|$))(?:-|$)")
# A score of 100 or less on a variant out of 1000 or more was probably copied as a
# percentage (OCRBench v1 is out of 1000, MME out of 2800).
LARGE_SCALE_MAX = 1000
PERCENT_LIKE_MAX = 100
# Announced models get release dates a few weeks ahead; further than this is likely a typo.
FUTURE_RELEASE_DAYS = 60


@dataclass(frozen=True, slots=True)
class RegistryState:
    """Which registry files loaded; references into a failed one are not checked."""

    organizations: bool = True
    providers: bool = True
    benchmarks: bool = True


def check_catalog(
    catalog: Catalog,
    texts: dict[str, str],
    registries: RegistryState | None = None,
    today: dt.date | None = None,
) -> list[Problem]:
    """Return every cross-file problem of a loaded catalog."""
    registries = registries or RegistryState()
    today = today or dt.date.today()
    problems: list[Problem] = []
    for slug, model in catalog.models.items():
        problems.extend(_check_model(catalog, model, texts[slug], registries, today))
    problems.extend(_check_unique_names(catalog, texts))
    problems.extend(_check_families(catalog, texts))
    if catalog.models:
        problems.extend(_unchecked_references(catalog.root, registries))
    return problems


def duplicate_ids(
    path: Path, text: str, ids: Sequence[tuple[FieldPath, str]], kind: str
) -> Iterator[Problem]:
    """Report each id of a registry file that an earlier entry already uses."""
    first: dict[str, FieldPath] = {}
    for loc, value in ids:
        if value not in first:
            first[value] = loc
            continue
        yield problem_at(
            path,
            text,
            loc,
            f"{kind} {value!r} is already used on line {line_of(text, first[value])};"
            f" every {kind} must be unique, so rename or remove one",
        )


def _unchecked_references(root: Path, registries: RegistryState) -> Iterator[Problem]:
    """Say once per failed registry file which checks of the model files were skipped."""
    skipped = [
        (registries.organizations, "organizations.yaml", "the organizations of models"),
        (registries.providers, "providers.yaml", "the providers of prices"),
        (registries.benchmarks, "benchmarks.yaml", "the variants of scores"),
    ]
    for loaded, name, checked in skipped:
        if not loaded:
            yield Problem(
                root / name,
                1,
                "(file)",
                f"{checked} were not checked because {name} has errors; fix it and run again",
                Severity.REVIEW,
            )


def _check_model(
    catalog: Catalog, model: Model, text: str, registries: RegistryState, today: dt.date
) -> Iterator[Problem]:
    path = catalog.model_files[model.slug]

    expected = f"{model.organization}/{model.slug}.yaml"
    if path.as_posix().endswith(f"models/{expected}") is False:
        yield problem_at(path, text, ["slug"], f"file should be data/models/{expected}; move it")
    if registries.organizations and model.organization not in catalog.organizations:
        yield problem_at(
            path,
            text,
            ["organization"],
            f"unknown organization {model.organization!r}; add it to organizations.yaml",
        )

    used = set()
    for loc, key in _source_refs(model):
        used.add(key)
        if key not in model.sources:
            yield problem_at(path, text, loc, f"source {key!r} is not defined under sources")
    for key in model.sources:
        if key not in used:
            yield Problem(
                path,
                line_of(text, ["sources", key]),
                f"sources.{key}",
                "source is never used; remove it or cite it",
                Severity.REVIEW,
            )

    if registries.benchmarks:
        yield from _check_scores(catalog, model, path, text)
    if registries.providers:
        yield from _check_prices(catalog, model.prices, path, text)
    yield from _check_release(model, path, text, today)


def _check_release(model: Model, path: Path, text: str, today: dt.date) -> Iterator[Problem]:
    if model.release is None:
        return
    latest = today + dt.timedelta(days=FUTURE_RELEASE_DAYS)
    if model.release.date > latest:
        yield Problem(
            path,
            line_of(text, ["release", "date"]),
            "release.date",
            f"{model.release.date} is more than {FUTURE_RELEASE_DAYS} days after today"
            f" ({today}); check the year and the source",
            Severity.REVIEW,
        )


def _source_refs(model: Model) -> list[tuple[list[str | int], str]]:
    """Return (field path, source key) for every source reference in a model."""
    found: list[tuple[list[str | int], str]] = []

    def walk(node: BaseModel, loc: list[str | int]) -> None:
        if isinstance(node, SOURCED) and node.source:
            found.append(([*loc, "source"], node.source))
        for name in type(node).model_fields:
            value = getattr(node, name)
            if isinstance(value, BaseModel):
                walk(value, [*loc, name])
            elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
                for index, item in enumerate(value):
                    walk(item, [*loc, name, index])

    walk(model, [])
    return found


def _check_scores(catalog: Catalog, model: Model, path: Path, text: str) -> Iterator[Problem]:
    seen: set[tuple[str, str, str]] = set()
    for index, score in enumerate(model.scores):
        ref = catalog.variants.get(score.variant)
        loc: list[str | int] = ["scores", index, "variant"]
        if ref is None:
            yield problem_at(
                path,
                text,
                loc,
                f"unknown variant {score.variant!r}; use an id from 'modelvs benchmarks list'"
                " or add the variant to benchmarks.yaml",
            )
            continue
        if score.value > ref.variant.scale_max:
            yield problem_at(
                path,
                text,
                ["scores", index, "value"],
                f"{score.value} is above the variant's maximum {ref.variant.scale_max:g};"
                " store the raw value on the variant's scale",
            )
        if ref.variant.scale_max >= LARGE_SCALE_MAX and score.value <= PERCENT_LIKE_MAX:
            yield Problem(
                path,
                line_of(text, ["scores", index, "value"]),
                f"scores[{index}].value",
                f"{score.value:g} on {score.variant!r} (out of {ref.variant.scale_max:g})"
                " looks like a 0-100 value; store the raw value on the variant's"
                f" 0-{ref.variant.scale_max:g} scale",
                Severity.REVIEW,
            )
        if ref.variant.items and score.items and score.items > ref.variant.items:
            yield problem_at(
                path,
                text,
                ["scores", index, "items"],
                f"{score.items} items is more than the variant's {ref.variant.items}",
            )
        key = (score.variant, score.setting.model_dump_json(), score.source)
        if key in seen:
            yield problem_at(
                path, text, loc, "duplicate score: same variant, setting and source; keep one"
            )
        seen.add(key)


def _check_prices(
    catalog: Catalog, prices: list[Price], path: Path, text: str
) -> Iterator[Problem]:
    for index, price in enumerate(prices):
        if price.provider not in catalog.providers:
            yield problem_at(
                path,
                text,
                ["prices", index, "provider"],
                f"unknown provider {price.provider!r}; add it to providers.yaml",
            )


def _check_unique_names(catalog: Catalog, texts: dict[str, str]) -> Iterator[Problem]:
    owners: dict[str, str] = {}
    for slug, model in catalog.models.items():
        for index, name in enumerate([model.slug, model.name, *model.aliases]):
            key = name.casefold()
            owner = owners.setdefault(key, slug)
            if owner != slug:
                loc: list[str | int] = ["aliases", index - 2] if index >= 2 else ["name"]
                yield problem_at(
                    catalog.model_files[slug],
                    texts[slug],
                    loc,
                    f"{name!r} already names model {owner!r}; names and aliases must be unique",
                )


def _check_families(catalog: Catalog, texts: dict[str, str]) -> Iterator[Problem]:
    families: dict[str, list[Model]] = defaultdict(list)
    for model in catalog.models.values():
        yield from _check_size_tag(catalog, model, texts[model.slug])
        if model.family:
            families[model.family].append(model)

    for members in families.values():
        contexts = [m.context.input_tokens.value for m in members]
        known = [c for c in contexts if c is not None]
        if len(known) < 3:
            continue
        median = statistics.median(known)
        for model, context in zip(members, contexts, strict=True):
            if context is None:
                continue
            ratio = max(context / median, median / context)
            if ratio >= CONTEXT_RATIO_FOR_REVIEW:
                yield Problem(
                    catalog.model_files[model.slug],
                    line_of(texts[model.slug], ["context", "input_tokens"]),
                    "context.input_tokens",
                    f"{context:,} tokens is {ratio:.0f}x the {model.family} family median"
                    f" ({median:,.0f}); confirm it against the source",
                    Severity.REVIEW,
                )


def _check_size_tag(catalog: Catalog, model: Model, text: str) -> Iterator[Problem]:
    """Flag a model whose slug says "8b" (or "30b-a3b") but whose counts disagree."""
    match = SIZE_TAG.search(model.slug)
    if match is None:
        return
    pairs = [("total_billions", match.group(1)), ("active_billions", match.group(2))]
    for field_name, tag in pairs:
        fact: Fact[float] = getattr(model.parameters, field_name)
        if tag is None or fact.value is None:
            continue
        tagged = float(tag)
        if tagged == 0:
            continue
        if abs(fact.value - tagged) / tagged > SIZE_TAG_TOLERANCE:
            yield Problem(
                catalog.model_files[model.slug],
                line_of(text, ["parameters", field_name]),
                f"parameters.{field_name}",
                f"{fact.value:g} B differs from the {tag} B in the slug; confirm it",
                Severity.REVIEW,
            )
