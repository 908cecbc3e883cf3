"""A reviewable change to the catalog: edited files, their diff, validation and writing.

Importers edit ``YamlDocument``s through a ``CatalogEdit``. Nothing touches ``data/`` until
``write``. ``validate`` loads a copy of the catalog with the new files first, and rejects the
change when the copy has errors.
"""

from __future__ import annotations

import datetime as dt
import difflib
import operator
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.load import read_catalog
from modelvs.catalog.problems import Problem, Severity
from modelvs.catalog.schema import SLUG_PATTERN, SourceKind
from modelvs.importers.errors import ChangeRejectedError, ImportUsageError
from modelvs.importers.fields import model_key_order
from modelvs.importers.yaml_edit import YamlDocument

SOURCE_KEY = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source to cite for new facts; written under the model file's ``sources``."""

    url: str
    title: str
    kind: SourceKind
    retrieved: dt.date
    key: str = "source"  # preferred key under ``sources``; a number is added when taken

    def as_yaml(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "title": self.title,
            "kind": self.kind.value,
            "retrieved": self.retrieved,
        }

    def describe(self) -> str:
        return f"{self.title} <{self.url}> ({self.kind.value}, retrieved {self.retrieved})"


@dataclass(frozen=True, slots=True)
class Conflict:
    """A new value that disagrees with the catalog's; the catalog value is kept."""

    file: str
    field: str
    catalog_value: Any
    catalog_source: str
    new_value: Any
    new_source: str
    resolution: str

    def format(self) -> str:
        return (
            f"{self.file}: {self.field}: catalog has {_shown(self.catalog_value)} from"
            f" {self.catalog_source}; new value {_shown(self.new_value)} from"
            f" {self.new_source}; {self.resolution}"
        )


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input item that was not written, with the reason."""

    item: str
    reason: str

    def format(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass
class ImportReport:
    """Findings of one import: counts, conflicts, skipped items and notes for the reviewer."""

    importer: str
    added: int = 0
    changed: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, item: str, reason: str) -> None:
        self.skipped.append(Skipped(item, reason))

    def counts(self) -> str:
        return (
            f"{self.added} added, {self.changed} changed, {len(self.conflicts)} conflicts,"
            f" {len(self.skipped)} skipped"
        )


@dataclass(frozen=True, slots=True)
class FileChange:
    """The old and new text of one catalog file; ``old_text`` is empty for a new file."""

    path: Path
    relative: str
    old_text: str
    new_text: str

    def diff(self) -> str:
        """Return the unified diff, with paths relative to the working directory when the
        file is under it (so that ``git apply`` takes it) and to the catalog otherwise."""
        try:
            shown = self.path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            shown = self.relative
        before = "/dev/null" if not self.old_text else f"a/{shown}"
        lines = difflib.unified_diff(
            self.old_text.splitlines(keepends=True),
            self.new_text.splitlines(keepends=True),
            fromfile=before,
            tofile=f"b/{shown}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


class ModelFile:
    """One model file being edited, with helpers for citing sources."""

    def __init__(self, slug: str, path: Path, relative: str, document: YamlDocument) -> None:
        self.slug = slug
        self.path = path
        self.relative = relative
        self.doc = document

    def cite(self, spec: SourceSpec) -> str:
        """Return the key of ``spec`` under ``sources``, adding the source when it is new.

        A source with the same URL, title and kind is reused, and its ``retrieved`` date is
        moved to ``spec``'s because the facts being written were read on that date.
        """
        sources = self.doc.get(["sources"]) or {}
        for key, entry in sources.items():
            if isinstance(entry, dict) and _same_source(entry, spec):
                if entry.get("retrieved") != spec.retrieved:
                    self.doc.set(["sources", key, "retrieved"], spec.retrieved)
                return str(key)
        key = _unique_key(spec.key, sources)
        self.doc.set(["sources", key], spec.as_yaml())
        return key

    def offer_fact(
        self,
        path: list[str],
        value: Any,
        note: str | None,
        spec: SourceSpec,
        report: ImportReport,
        same: Callable[[Any, Any], bool] = operator.eq,
    ) -> None:
        """Write fact ``path`` when the catalog has no value; otherwise skip an equal value or
        list a conflict and keep the catalog's."""
        name = ".".join(path)
        existing = self.doc.get(path)
        current = existing.get("value") if isinstance(existing, dict) else None
        if current is None:
            fact: dict[str, Any] = {"value": value, "source": self.cite(spec)}
            if note:
                fact["note"] = note
            self.doc.set(path, fact)
            report.added += 1
        elif same(current, value):
            report.skip(f"{self.relative}: {name}", f"the catalog already has {current!r}")
        else:
            report.conflicts.append(
                Conflict(
                    self.relative,
                    name,
                    current,
                    self.describe_source(existing.get("source")),
                    value,
                    spec.describe(),
                    "catalog value kept",
                )
            )

    def cites(self, key: str | None, spec: SourceSpec) -> bool:
        """Return whether source ``key`` of this file is ``spec`` (same URL, title and kind)."""
        entry = (self.doc.get(["sources"]) or {}).get(key)
        return isinstance(entry, dict) and _same_source(entry, spec)

    def describe_source(self, key: str | None) -> str:
        entry = (self.doc.get(["sources"]) or {}).get(key)
        if not isinstance(entry, dict):
            return f"source {key!r}"
        kind = entry.get("kind", "unknown kind")
        return f"{entry.get('title')} <{entry.get('url')}> ({kind})"

    def source_kind(self, key: str | None) -> str | None:
        entry = (self.doc.get(["sources"]) or {}).get(key)
        return str(entry.get("kind")) if isinstance(entry, dict) else None


def _same_source(entry: dict[str, Any], spec: SourceSpec) -> bool:
    url = str(entry.get("url", "")).rstrip("/")
    return (
        url == spec.url.rstrip("/")
        and entry.get("title") == spec.title
        and entry.get("kind") == spec.kind.value
    )


def _unique_key(hint: str, taken: dict[str, Any]) -> str:
    base = SOURCE_KEY.sub("-", hint.casefold()).strip("-") or "source"
    key, number = base, 2
    while key in taken:
        key = f"{base}-{number}"
        number += 1
    return key


class CatalogEdit:
    """Edits to the files of one catalog, kept in memory until ``write``."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.root = catalog.root
        self._documents: dict[Path, YamlDocument] = {}
        self._models: dict[str, ModelFile] = {}

    def model(self, slug: str) -> ModelFile:
        """Return the file of catalog model ``slug`` for editing."""
        if slug in self._models:
            return self._models[slug]
        path = self.catalog.model_files[slug]
        document = self._document(path)
        edited = ModelFile(slug, path, self._relative(path), document)
        self._models[slug] = edited
        return edited

    def new_model(self, organization: str, slug: str, header: dict[str, Any]) -> ModelFile:
        """Start a new model file ``models/<organization>/<slug>.yaml`` with ``header``."""
        if not re.match(SLUG_PATTERN, slug):
            raise ImportUsageError(
                f"{slug!r} is not a valid model slug (lowercase letters, digits, dots and"
                " dashes); name an existing model with --model"
            )
        path = self.root / "models" / organization / f"{slug}.yaml"
        if path.exists() or slug in self.catalog.models:
            raise ImportUsageError(f"model {slug!r} already exists; name it with --model {slug}")
        document = YamlDocument("", model_key_order)
        self._documents[path] = document
        for key, value in header.items():
            document.set([key], value)
        edited = ModelFile(slug, path, self._relative(path), document)
        self._models[slug] = edited
        return edited

    def document(self, relative: str) -> YamlDocument:
        """Return a catalog file other than a model file (``providers.yaml``) for editing."""
        return self._document(self.root / relative)

    def changes(self) -> list[FileChange]:
        """Return the files whose text changed, sorted by path."""
        found = []
        for path, document in sorted(self._documents.items()):
            new_text = document.render()
            if new_text != document.original:
                found.append(FileChange(path, self._relative(path), document.original, new_text))
        return found

    def validate(self) -> list[Problem]:
        """Load a copy of the catalog with the changes; return the review notes on changed
        files, or raise ``ChangeRejectedError`` when the copy has errors."""
        changes = self.changes()
        with tempfile.TemporaryDirectory(prefix="modelvs-check-") as temporary:
            copy = Path(temporary) / "catalog"
            shutil.copytree(self.root, copy)
            for change in changes:
                target = copy / change.relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(change.new_text, encoding="utf-8")
            _, problems = read_catalog(copy, use_cache=False)
            located = [_relocate(problem, copy, self.root) for problem in problems]
        errors = [problem for problem in located if problem.severity is Severity.ERROR]
        if errors:
            raise ChangeRejectedError(errors)
        changed = {change.path for change in changes}
        return [problem for problem in located if problem.path in changed]

    def write(self) -> list[FileChange]:
        """Write every changed file atomically and return the changes."""
        changes = self.changes()
        for change in changes:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            partial = change.path.with_name(change.path.name + ".partial")
            partial.write_text(change.new_text, encoding="utf-8")
            partial.replace(change.path)
        return changes

    def _document(self, path: Path) -> YamlDocument:
        if path not in self._documents:
            text = path.read_text(encoding="utf-8")
            is_model = path.is_relative_to(self.root / "models")
            self._documents[path] = YamlDocument(text, model_key_order if is_model else None)
        return self._documents[path]

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def _relocate(problem: Problem, copy: Path, root: Path) -> Problem:
    try:
        relative = problem.path.relative_to(copy)
    except ValueError:
        return problem
    return Problem(root / relative, problem.line, problem.field, problem.message, problem.severity)
