"""Read and validate a catalog directory, collecting every problem in one pass."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from modelvs.catalog.cache import REGISTRY_FILES, model_file_candidates
from modelvs.catalog.catalog import Catalog, VariantRef
from modelvs.catalog.checks import RegistryState, check_catalog, duplicate_ids
from modelvs.catalog.lines import FieldPath
from modelvs.catalog.problems import Problem, Severity, problems_from_validation
from modelvs.catalog.schema import BenchmarksFile, Model, OrganizationsFile, ProvidersFile
from modelvs.catalog.yaml_file import read_yaml
from modelvs.errors import CatalogError

log = logging.getLogger(__name__)

FileModel = TypeVar("FileModel", bound=BaseModel)


class _SlugEntry(Protocol):
    @property
    def slug(self) -> str: ...


SlugEntry = TypeVar("SlugEntry", bound=_SlugEntry)


@dataclass(frozen=True, slots=True)
class RegistryFile(Generic[FileModel]):
    """A registry file: its validated content (None when it has errors) and its text."""

    path: Path
    content: FileModel | None
    text: str


def default_data_dir() -> Path:
    """Return ``$MODELVS_DATA``, else the ``data/`` folder of a source checkout, else ./data."""
    env = os.environ.get("MODELVS_DATA")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[3] / "data"
    if (checkout / "benchmarks.yaml").exists():
        return checkout
    return Path("data")


def read_catalog(root: Path, *, use_cache: bool = True) -> tuple[Catalog, list[Problem]]:
    """Load ``root`` and return the catalog with every problem found (errors and reviews).

    An unchanged catalog comes from the pickle cache (see ``modelvs.catalog.cache``).
    """
    if not root.is_dir():
        return Catalog(root=root), [_missing_folder_problem(root)]
    if not use_cache or os.environ.get("MODELVS_NO_CACHE") == "1":
        return _read_yaml(root)
    from modelvs.catalog.cache import fingerprint, load_cached, store_cached

    started = time.perf_counter()
    print_ = fingerprint(root, _version())
    cached = load_cached(root, print_)
    if cached is not None:
        catalog, problems = cached
        catalog.root = root
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info(
            "loaded %d models from the cache of %s in %.0f ms",
            len(catalog.models),
            root,
            elapsed_ms,
        )
        return catalog, problems
    catalog, problems = _read_yaml(root)
    store_cached(root, print_, (catalog, problems))
    return catalog, problems


def _missing_folder_problem(root: Path) -> Problem:
    state = "is not a folder" if root.exists() else "does not exist"
    return Problem(
        root,
        1,
        "(folder)",
        f"the catalog folder {root} {state}; pass --data PATH or set MODELVS_DATA to the"
        " folder that contains benchmarks.yaml and models/",
    )


def _version() -> str:
    from modelvs.render.html import package_version

    return package_version()


def _read_yaml(root: Path) -> tuple[Catalog, list[Problem]]:
    started = time.perf_counter()
    catalog = Catalog(root=root)
    problems: list[Problem] = []

    orgs_name, providers_name, benchmarks_name = REGISTRY_FILES
    orgs = _read_registry(root / orgs_name, OrganizationsFile, problems)
    providers = _read_registry(root / providers_name, ProvidersFile, problems)
    benchmarks = _read_registry(root / benchmarks_name, BenchmarksFile, problems)
    if orgs.content is not None:
        org_list = orgs.content.organizations
        _index_slugs(
            orgs, "organizations", "organization", org_list, catalog.organizations, problems
        )
    if providers.content is not None:
        provider_list = providers.content.providers
        _index_slugs(providers, "providers", "provider", provider_list, catalog.providers, problems)
    _index_benchmarks(catalog, benchmarks, problems)

    texts: dict[str, str] = {}
    for path in model_file_candidates(root):
        if path.suffix != ".yaml":
            message = (
                "model files must end in .yaml, so this file is not read;"
                f" rename it to {path.stem}.yaml"
            )
            problems.append(Problem(path, 1, "(file)", message))
            continue
        model, text = _read_model(path, problems)
        if model is None:
            continue
        if model.slug in catalog.models:
            first = catalog.model_files[model.slug]
            problems.append(Problem(path, 1, "slug", f"{model.slug!r} is also used by {first}"))
            continue
        catalog.models[model.slug] = model
        catalog.model_files[model.slug] = path
        texts[model.slug] = text

    catalog.index_names()
    registries = RegistryState(
        organizations=orgs.content is not None,
        providers=providers.content is not None,
        benchmarks=benchmarks.content is not None,
    )
    problems.extend(check_catalog(catalog, texts, registries))
    elapsed_ms = (time.perf_counter() - started) * 1000
    log.info("loaded %d models from %s in %.0f ms", len(catalog.models), root, elapsed_ms)
    return catalog, problems


def _index_slugs(
    registry: RegistryFile[FileModel],
    section: str,
    kind: str,
    entries: Sequence[SlugEntry],
    index: dict[str, SlugEntry],
    problems: list[Problem],
) -> None:
    """Report repeated slugs in a registry's ``section`` list and index its entries by slug.

    The first definition wins, matching the line the duplicate problems point to.
    """
    slugs: list[tuple[FieldPath, str]] = [
        ([section, i, "slug"], entry.slug) for i, entry in enumerate(entries)
    ]
    problems.extend(duplicate_ids(registry.path, registry.text, slugs, f"{kind} slug"))
    for entry in entries:
        index.setdefault(entry.slug, entry)


def _index_benchmarks(
    catalog: Catalog, benchmarks: RegistryFile[BenchmarksFile], problems: list[Problem]
) -> None:
    if benchmarks.content is None:
        return
    entries = benchmarks.content.benchmarks
    _index_slugs(benchmarks, "benchmarks", "benchmark", entries, catalog.benchmarks, problems)
    variant_ids: list[tuple[FieldPath, str]] = [
        (["benchmarks", i, "variants", j, "id"], variant.id)
        for i, bench in enumerate(entries)
        for j, variant in enumerate(bench.variants)
    ]
    problems.extend(duplicate_ids(benchmarks.path, benchmarks.text, variant_ids, "variant id"))

    # The first definition wins, matching the line the duplicate problems point to.
    for bench in entries:
        for variant in bench.variants:
            catalog.variants.setdefault(variant.id, VariantRef(bench, variant))


def load_catalog(root: Path | None = None) -> Catalog:
    """Load a catalog, raising ``CatalogError`` when it has errors (reviews are allowed)."""
    root = root or default_data_dir()
    catalog, problems = read_catalog(root)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise CatalogError(errors, str(root))
    return catalog


def _read_registry(
    path: Path, schema: type[FileModel], problems: list[Problem]
) -> RegistryFile[FileModel]:
    if not path.exists():
        misnamed = path.with_suffix(".yml")
        if misnamed.exists():
            message = f"missing; found {misnamed.name}, rename it to {path.name}"
            problems.append(Problem(path, 1, "(file)", message))
        else:
            problems.append(Problem(path, 1, "(file)", "missing; every catalog needs this file"))
        return RegistryFile(path, None, "")
    parsed = read_yaml(path, problems)
    if parsed is None:
        return RegistryFile(path, None, "")
    try:
        return RegistryFile(path, schema.model_validate(parsed.data), parsed.text)
    except ValidationError as exc:
        problems.extend(problems_from_validation(path, parsed.text, exc))
        return RegistryFile(path, None, parsed.text)


def _read_model(path: Path, problems: list[Problem]) -> tuple[Model | None, str]:
    parsed = read_yaml(path, problems)
    if parsed is None:
        return None, ""
    if not isinstance(parsed.data, dict):
        problems.append(
            Problem(path, 1, "(file)", "must be a mapping of model fields (slug: ..., name: ...)")
        )
        return None, parsed.text
    try:
        return Model.model_validate(parsed.data), parsed.text
    except ValidationError as exc:
        problems.extend(problems_from_validation(path, parsed.text, exc))
        return None, parsed.text
