"""The loaded catalog and lookups by slug, name or alias."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from modelvs.catalog.schema import Benchmark, Model, Organization, Provider, Variant
from modelvs.errors import UnknownModelError


@dataclass(frozen=True, slots=True)
class VariantRef:
    """A variant with the benchmark it belongs to."""

    benchmark: Benchmark
    variant: Variant


@dataclass
class Catalog:
    """Every model, benchmark, organization and provider of one data directory."""

    root: Path
    models: dict[str, Model] = field(default_factory=dict)
    model_files: dict[str, Path] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    benchmarks: dict[str, Benchmark] = field(default_factory=dict)
    variants: dict[str, VariantRef] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)

    def index_names(self) -> None:
        """Build the case-insensitive lookup of slugs, names and aliases."""
        self._names = {}
        for model in self.models.values():
            for key in (model.slug, model.name, *model.aliases):
                self._names.setdefault(key.casefold(), model.slug)

    def find_model(self, name: str) -> Model:
        """Return the model whose slug, name or alias matches ``name`` (case-insensitive)."""
        slug = self._names.get(name.strip().casefold())
        if slug is None:
            raise UnknownModelError(name, self.suggest(name))
        return self.models[slug]

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Return the slugs of the models whose names are closest to ``name``."""
        matches = difflib.get_close_matches(name.casefold(), self._names, n=limit * 3, cutoff=0.5)
        slugs: list[str] = []
        for match in matches:
            slug = self._names[match]
            if slug not in slugs:
                slugs.append(slug)
        return slugs[:limit]

    def organization_name(self, slug: str) -> str:
        org = self.organizations.get(slug)
        return org.name if org else slug

    def provider_name(self, slug: str) -> str:
        provider = self.providers.get(slug)
        return provider.name if provider else slug
