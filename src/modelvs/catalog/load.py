"""Read and validate a catalog directory, collecting every problem in one pass."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from modelvs.catalog.catalog import Catalog, VariantRef
from modelvs.catalog.checks import check_catalog
from modelvs.catalog.problems import Problem, Severity, problems_from_validation
from modelvs.catalog.schema import BenchmarksFile, Model, OrganizationsFile, ProvidersFile
from modelvs.errors import CatalogError

log = logging.getLogger(__name__)

FileModel = TypeVar("FileModel", bound=BaseModel)

try:  # The C loader is about ten times faster; fall back where libyaml is missing.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


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


def _version() -> str:
    from modelvs.render.html import package_version

    return package_version()


def _read_yaml(root: Path) -> tuple[Catalog, list[Problem]]:
    started = time.perf_counter()
    catalog = Catalog(root=root)
    problems: list[Problem] = []

    orgs = _read_file(root / "organizations.yaml", OrganizationsFile, problems)
    providers = _read_file(root / "providers.yaml", ProvidersFile, problems)
    benchmarks = _read_file(root / "benchmarks.yaml", BenchmarksFile, problems)
    if orgs:
        catalog.organizations = {org.slug: org for org in orgs.organizations}
    if providers:
        catalog.providers = {p.slug: p for p in providers.providers}
    if benchmarks:
        catalog.benchmarks = {b.slug: b for b in benchmarks.benchmarks}
        catalog.variants = {
            v.id: VariantRef(b, v) for b in benchmarks.benchmarks for v in b.variants
        }

    texts: dict[str, str] = {}
    for path in sorted((root / "models").rglob("*.yaml")):
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
    problems.extend(check_catalog(catalog, texts))
    elapsed_ms = (time.perf_counter() - started) * 1000
    log.info("loaded %d models from %s in %.0f ms", len(catalog.models), root, elapsed_ms)
    return catalog, problems


def load_catalog(root: Path | None = None) -> Catalog:
    """Load a catalog, raising ``CatalogError`` when it has errors (reviews are allowed)."""
    root = root or default_data_dir()
    catalog, problems = read_catalog(root)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise CatalogError(errors, str(root))
    return catalog


def _parse(path: Path, problems: list[Problem]) -> tuple[Any, str] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, 1, "(file)", f"cannot be read: {exc}"))
        return None
    try:
        return yaml.load(text, Loader=_Loader), text
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(path, line, "(file)", f"invalid YAML: {reason}; fix the syntax"))
        return None


def _read_file(path: Path, schema: type[FileModel], problems: list[Problem]) -> FileModel | None:
    if not path.exists():
        problems.append(Problem(path, 1, "(file)", "missing; every catalog needs this file"))
        return None
    parsed = _parse(path, problems)
    if parsed is None:
        return None
    data, text = parsed
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from_validation(path, text, exc))
        return None


def _read_model(path: Path, problems: list[Problem]) -> tuple[Model | None, str]:
    parsed = _parse(path, problems)
    if parsed is None:
        return None, ""
    data, text = parsed
    if not isinstance(data, dict):
        problems.append(Problem(path, 1, "(file)", "a model file must be a YAML mapping"))
        return None, text
    try:
        return Model.model_validate(data), text
    except ValidationError as exc:
        problems.extend(problems_from_validation(path, text, exc))
        return None, text
