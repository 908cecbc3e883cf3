"""``modelvs data apply``: apply a change file, such as a "report incorrect data" submission.

A change file is a YAML list of changes::

    - file: models/acme/example-7b.yaml      # relative to the catalog directory
      field: context.input_tokens            # a dotted path of the model schema
      value: 32768
      source: {url: https://example.org/card, title: Example card, kind: self-reported,
               retrieved: 2026-12-04}
      note: The card states a 32K window.

A fact field gets ``{value, source, note}``; a record with a ``source`` key (``release``,
``license.weights``) gets the mapping in ``value`` plus the source; a list field (``scores``,
``prices``, ``context.conflicts``) gets ``value`` appended. Other fields (``description``,
``links.weights``) take the plain value, and their source is not stored because the schema
has no place for it.
"""

from __future__ import annotations

import typing
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import Fact, Source
from modelvs.importers.changes import CatalogEdit, ImportReport, ModelFile, SourceSpec
from modelvs.importers.errors import ImportInputError
from modelvs.importers.fields import field_type, is_model_type, unwrap

MAX_CHANGES = 1000


class Change(BaseModel):
    """One entry of a change file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(min_length=1, max_length=300)
    field: str = Field(pattern=r"^[a-z_]+(\.[A-Za-z0-9_\-]+)*$", max_length=200)
    value: Any
    source: Source
    note: str | None = Field(default=None, max_length=500)


def read_change_file(path: Path) -> list[Change]:
    """Parse and validate a change file; every problem names the entry and what to fix."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ImportInputError(f"{path} cannot be read as YAML: {exc}") from exc
    if not isinstance(data, list) or not data:
        raise ImportInputError(f"{path} must be a non-empty YAML list of changes")
    if len(data) > MAX_CHANGES:
        raise ImportInputError(
            f"{path} has {len(data)} changes; split it into files of {MAX_CHANGES}"
        )
    changes = []
    for index, entry in enumerate(data):
        try:
            changes.append(Change.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(step) for step in first["loc"]) or "(entry)"
            raise ImportInputError(
                f"{path}: change {index + 1}: {where}: {first['msg']}; fix the entry"
            ) from None
    return changes


def apply_changes(catalog: Catalog, changes: list[Change]) -> tuple[CatalogEdit, ImportReport]:
    """Stage every change on the model files it names."""
    edit = CatalogEdit(catalog)
    report = ImportReport("data apply")
    slugs = {path.resolve(): slug for slug, path in catalog.model_files.items()}
    for number, change in enumerate(changes, start=1):
        slug = slugs.get(_model_path(catalog, change, number).resolve())
        if slug is None:
            raise ImportInputError(
                f"change {number}: {change.file} is not a model file of the catalog;"
                " name a file under models/"
            )
        _apply(edit.model(slug), change, number, report)
    return edit, report


def _model_path(catalog: Catalog, change: Change, number: int) -> Path:
    """Resolve ``change.file`` inside the catalog's ``models/`` folder, rejecting anything
    that could point elsewhere (absolute paths, ``..``)."""
    relative = PurePosixPath(change.file.replace("\\", "/"))
    if relative.parts and relative.parts[0] == "data":
        relative = PurePosixPath(*relative.parts[1:])
    unsafe = relative.is_absolute() or ".." in relative.parts
    if unsafe or not relative.parts or relative.parts[0] != "models" or relative.suffix != ".yaml":
        raise ImportInputError(
            f"change {number}: file {change.file!r} must be a relative path such as"
            " models/<organization>/<slug>.yaml"
        )
    return catalog.root / Path(*relative.parts)


def _apply(model: ModelFile, change: Change, number: int, report: ImportReport) -> None:
    path = change.field.split(".")
    try:
        target = field_type(path)
    except KeyError:
        raise ImportInputError(
            f"change {number}: {change.field!r} is not a field of a model file; see"
            " 'modelvs data schema' for the field names"
        ) from None
    spec = SourceSpec(
        url=str(change.source.url),
        title=change.source.title,
        kind=change.source.kind,
        retrieved=change.source.retrieved,
        key=_key_hint(str(change.source.url)),
    )
    value = change.value
    existing = model.doc.get(path)
    item_type = unwrap(typing.get_args(target)[0]) if typing.get_origin(target) is list else None

    if is_model_type(target) and issubclass(target, Fact):
        if isinstance(existing, dict) and existing.get("value") == value:
            report.skip(f"{model.relative}: {change.field}", "the catalog already has this value")
            return
        written: Any = {"value": value, "source": model.cite(spec)}
        if change.note:
            written["note"] = change.note
    elif is_model_type(target) and "source" in target.model_fields and isinstance(value, dict):
        written = {**value, "source": model.cite(spec)}
        if change.note:
            written["note"] = change.note
    elif item_type is not None:
        if (
            is_model_type(item_type)
            and "source" in item_type.model_fields
            and isinstance(value, dict)
        ):
            value = {**value, "source": model.cite(spec)}
        model.doc.append(path, value)
        report.added += 1
        return
    else:
        written = value
        report.notes.append(
            f"{model.relative}: {change.field}: the field has no source entry, so"
            f" {spec.url} is not recorded"
        )

    model.doc.set(path, written)
    if existing is None:
        report.added += 1
    else:
        report.changed += 1


def _key_hint(url: str) -> str:
    """Name a new source after the site: ``arxiv`` for arxiv.org, ``huggingface`` for
    huggingface.co."""
    labels = (urlsplit(url).hostname or "source").split(".")
    return labels[-2] if len(labels) >= 2 else labels[0]
