"""Site state shared by pages, the API and the static export: catalog, caches, URLs."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import Model
from modelvs.compare.build import compare
from modelvs.compare.model import Comparison, OutputsSection
from modelvs.errors import UsageError
from modelvs.web.site_data import SiteData

K = TypeVar("K")
V = TypeVar("V")

PAIR_SEPARATOR = "-vs-"


class LruCache(Generic[K, V]):
    """A small thread-safe LRU cache for rendered pages and comparisons."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_create(self, key: K, create: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = create()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return value


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered response body with its entity tag."""

    body: bytes
    etag: str
    media_type: str


def rendered(body: str | bytes, media_type: str) -> Rendered:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Rendered(data, f'"{hashlib.blake2b(data, digest_size=12).hexdigest()}"', media_type)


def pair_path(slugs: Sequence[str]) -> str:
    """Return the canonical compare URL of a pair, with the slugs in alphabetical order."""
    a, b = sorted(slugs)
    return f"/compare/{a}{PAIR_SEPARATOR}{b}"


# Suggested pairs are at most this far apart in total parameters (or both unknown).
MAX_SIZE_RATIO = 3.0


def _similar_size(a: Model, b: Model) -> bool:
    total_a = a.parameters.total_billions.value
    total_b = b.parameters.total_billions.value
    if total_a is None or total_b is None:
        return total_a is None and total_b is None
    return max(total_a, total_b) / min(total_a, total_b) <= MAX_SIZE_RATIO


class Site:
    """Everything a request needs; one instance per process."""

    def __init__(
        self, catalog: Catalog, as_of: dt.date | None = None, data: SiteData | None = None
    ) -> None:
        self.catalog = catalog
        self.fixed_as_of = as_of
        # Without a database (the static export), arena and outputs sections stay empty.
        self.data = data
        # A static export has no server for forms, so pages leave out "report" links.
        self.static = False
        self.pages: LruCache[tuple[str, ...], Rendered] = LruCache(4096)
        self.comparisons: LruCache[tuple[str, ...], Comparison] = LruCache(4096)
        self._suggested: list[tuple[str, str]] | None = None

    def as_of(self) -> dt.date:
        """Return the date that ages are computed from: fixed for exports and tests, else today."""
        return self.fixed_as_of or dt.date.today()

    def resolve(self, names: Sequence[str]) -> list[Model]:
        models = [self.catalog.find_model(name) for name in names]
        if len({m.slug for m in models}) != len(models):
            raise UsageError("a comparison needs different models; a model is listed twice")
        return models

    def version(self) -> str:
        """Changes whenever a page may change: the date, a new vote or a new output."""
        data_version = self.data.version() if self.data else "-"
        return f"{self.as_of().isoformat()}/{data_version}"

    def comparison(self, slugs: Sequence[str]) -> Comparison:
        as_of = self.as_of()
        key = (self.version(), *slugs)
        models = [self.catalog.models[slug] for slug in slugs]

        def build() -> Comparison:
            if self.data is None:
                return compare(self.catalog, models, as_of)
            return compare(
                self.catalog,
                models,
                as_of,
                arena=self.data.arena_section(slugs),
                outputs=self.data.outputs_section(slugs),
            )

        return self.comparisons.get_or_create(key, build)

    def outputs(self, slugs: Sequence[str], page: int) -> OutputsSection:
        """Return one page of the models' recorded outputs (see ``SiteData.outputs_section``)."""
        if self.data is None:
            raise UsageError("this site has no database, so it has no recorded outputs")
        return self.data.outputs_section(slugs, page)

    def split_pair(self, pair: str) -> list[str]:
        """``"a-vs-b"`` -> ``["a", "b"]``; slugs never contain the separator."""
        parts = pair.split(PAIR_SEPARATOR)
        if len(parts) != 2 or not all(parts):
            raise UsageError(
                f"{pair!r} is not a model pair; use /compare/MODEL-A-vs-MODEL-B or"
                " /compare?models=A,B,C"
            )
        return parts

    def recent_models(self, count: int = 10) -> list[Model]:
        dated = [m for m in self.catalog.models.values() if m.release]
        dated.sort(
            key=lambda m: (m.release.date if m.release else dt.date.min, m.slug), reverse=True
        )
        return dated[:count]

    def suggested_pairs(self, count: int = 8) -> list[tuple[str, str]]:
        """Pairs from different organizations and of similar size with the most evidence.

        Each model appears in at most one suggested pair, so the list covers more models.
        """
        if self._suggested is None:
            self._suggested = self._rank_pairs(count)
        return self._suggested

    def _rank_pairs(self, count: int) -> list[tuple[str, str]]:
        from modelvs.compare.build import compare_pair

        scored = []
        models = sorted(self.catalog.models.values(), key=lambda m: m.slug)
        for a, b in itertools.combinations(models, 2):
            if a.organization == b.organization or not _similar_size(a, b):
                continue
            verdict = compare_pair(self.catalog, a, b).verdict
            if verdict.tested:
                scored.append((verdict.tested, a.slug, b.slug))
        scored.sort(key=lambda item: (-item[0], item[1], item[2]))

        chosen: list[tuple[str, str]] = []
        used: set[str] = set()
        for _, a_slug, b_slug in scored:
            if a_slug in used or b_slug in used:
                continue
            chosen.append((a_slug, b_slug))
            used.update((a_slug, b_slug))
            if len(chosen) == count:
                break
        return chosen

    def siblings(self, model: Model) -> list[Model]:
        if not model.family:
            return []
        return sorted(
            (
                m
                for m in self.catalog.models.values()
                if m.family == model.family and m.slug != model.slug
            ),
            key=lambda m: (m.parameters.total_billions.value or 0, m.slug),
        )

    def competitors(self, model: Model, count: int = 6) -> list[Model]:
        """Models of other organizations closest in total parameters (log scale)."""
        import math

        total = model.parameters.total_billions.value
        others = [
            m
            for m in self.catalog.models.values()
            if m.organization != model.organization
            and m.parameters.total_billions.value is not None
        ]
        if total is None:
            return sorted(others, key=lambda m: m.slug)[:count]
        others.sort(
            key=lambda m: (abs(math.log((m.parameters.total_billions.value or 1) / total)), m.slug)
        )
        return others[:count]
