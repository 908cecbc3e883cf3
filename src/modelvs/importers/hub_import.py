"""``modelvs import hf``: facts from Hugging Face Hub repositories into model files.

Catalog values win. A Hub value is written only where the catalog has none, and a different
value is listed as a conflict. A config.json context that differs from the catalog's is also
recorded under ``context.conflicts``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from modelvs.catalog.catalog import Catalog
from modelvs.catalog.schema import Model, SourceKind
from modelvs.errors import UnknownModelError
from modelvs.importers.changes import CatalogEdit, Conflict, ImportReport, ModelFile, SourceSpec
from modelvs.importers.errors import ImportUsageError
from modelvs.importers.hub import HubRecord, fetch_record
from modelvs.importers.hub_facts import (
    read_context,
    read_created,
    read_experts,
    read_license,
    read_total_parameters,
)

# Two parameter counts within 0.5% are the same count rounded differently.
SAME_COUNT_TOLERANCE = 0.005


def import_hub(
    catalog: Catalog,
    repo_ids: Sequence[str],
    target: str | None,
    endpoint: str,
    timeout_s: float,
    retrieved: dt.date,
) -> tuple[CatalogEdit, ImportReport]:
    """Read each repository and stage its facts as edits of the catalog."""
    if target is not None and len(repo_ids) > 1:
        raise ImportUsageError(
            f"--model names one catalog model but {len(repo_ids)} repositories were given;"
            " import one repository per --model"
        )
    edit = CatalogEdit(catalog)
    report = ImportReport("import hf")
    for repo_id in repo_ids:
        record = fetch_record(repo_id, endpoint, timeout_s)
        model, self_reported = _target(edit, catalog, record, target)
        kind = SourceKind.SELF_REPORTED if self_reported else SourceKind.THIRD_PARTY
        commit = f"commit {record.sha[:12]}" if record.sha else "an unnamed commit"
        spec = SourceSpec(
            url=record.url,
            title=f"{record.repo_id} on the Hugging Face Hub: model info and config.json at"
            f" {commit}",
            kind=kind,
            retrieved=retrieved,
            key="hub",
        )
        apply_record(model, record, spec, report)
    return edit, report


def _target(
    edit: CatalogEdit, catalog: Catalog, record: HubRecord, target: str | None
) -> tuple[ModelFile, bool]:
    """Return the model file to edit and whether the repository is the model authors'."""
    owner = record.repo_id.split("/")[0]
    if target is not None:
        model = catalog.find_model(target)
        return edit.model(model.slug), _authors_repo(catalog, model, record.repo_id)
    try:
        model = catalog.find_model(record.repo_id)
    except UnknownModelError:
        pass
    else:
        return edit.model(model.slug), _authors_repo(catalog, model, record.repo_id)

    organization = _organization_of(catalog, owner)
    if organization is None:
        raise ImportUsageError(
            f"no catalog model has the alias {record.repo_id!r} and no organization matches"
            f" the Hub owner {owner!r}; pass --model SLUG, or add {owner!r} to an"
            " organization's aliases in organizations.yaml"
        )
    name = record.repo_id.split("/")[-1]
    slug = name.casefold().replace("_", "-")
    header = {"slug": slug, "name": name, "aliases": [record.repo_id], "organization": organization}
    return edit.new_model(organization, slug, header), True


def _organization_of(catalog: Catalog, owner: str) -> str | None:
    for organization in catalog.organizations.values():
        names = [organization.slug, organization.name, *organization.aliases]
        if owner.casefold() in (name.casefold() for name in names):
            return organization.slug
    return None


def _authors_repo(catalog: Catalog, model: Model, repo_id: str) -> bool:
    """Return whether ``repo_id`` belongs to the model's authors: it is one of the model's
    aliases, or its owner is the model's organization."""
    if repo_id.casefold() in (alias.casefold() for alias in model.aliases):
        return True
    return _organization_of(catalog, repo_id.split("/")[0]) == model.organization


def apply_record(
    model: ModelFile, record: HubRecord, spec: SourceSpec, report: ImportReport
) -> None:
    """Stage every fact of ``record`` on ``model``."""
    if record.config_problem:
        report.notes.append(f"{model.relative}: {record.repo_id}: {record.config_problem}")
    _apply_parameters(model, record, spec, report)
    _apply_context(model, record, spec, report)
    if spec.kind is not SourceKind.SELF_REPORTED:
        # The license, creation date and files of a copy by someone else (a quantization, a
        # mirror) describe that copy, not the authors' release.
        for name in ("license.weights", "release", "open_weights"):
            report.skip(f"{model.relative}: {name}", "not read: the repository is not the authors'")
        return
    _apply_license(model, record, spec, report)
    _apply_release(model, record, spec, report)
    _apply_open_weights(model, record, spec, report)


def _same_count(a: Any, b: Any) -> bool:
    return abs(float(a) - float(b)) <= SAME_COUNT_TOLERANCE * max(float(a), float(b))


def _apply_parameters(
    model: ModelFile, record: HubRecord, spec: SourceSpec, report: ImportReport
) -> None:
    total = read_total_parameters(record)
    if total.value is None:
        report.skip(f"{model.relative}: parameters.total_billions", f"not read: {total.note}")
    else:
        path = ["parameters", "total_billions"]
        model.offer_fact(path, total.value, total.note, spec, report, _same_count)

    experts = read_experts(record.config)
    if experts is None:
        reason = record.config_problem or "config.json names no more than one expert"
        report.skip(f"{model.relative}: architecture", f"not read: {reason}")
        return
    model.offer_fact(["architecture"], "mixture-of-experts", experts.describe(), spec, report)
    # The safetensors count is the total. The active count needs the size of each expert,
    # which the Hub does not give, so the catalog's value (or its absence) stays.
    if model.doc.get(["parameters", "active_billions", "value"]) is None:
        report.notes.append(
            f"{model.relative}: parameters.active_billions stays unknown: the Hub's count is"
            f" the total, and the expert counts ({experts.describe()}) do not give the"
            " active size"
        )


def _apply_context(
    model: ModelFile, record: HubRecord, spec: SourceSpec, report: ImportReport
) -> None:
    context = read_context(record.config)
    name = f"{model.relative}: context.input_tokens"
    if context.value is None:
        report.skip(name, f"not read: {record.config_problem or context.note}")
        return
    existing = model.doc.get(["context", "input_tokens"])
    current = existing.get("value") if isinstance(existing, dict) else None
    if current is None:
        model.offer_fact(["context", "input_tokens"], context.value, context.note, spec, report)
        return
    if current == context.value:
        report.skip(name, f"the catalog already has {current!r}")
        return

    documented = model.source_kind(existing.get("source")) == SourceKind.SELF_REPORTED.value
    kept = "documented value kept" if documented else "catalog value kept"
    recorded = model.doc.get(["context", "conflicts"]) or []
    if any(c.get("field") == "input_tokens" and c.get("value") == context.value for c in recorded):
        resolution = f"{kept}; the config value is already under context.conflicts"
    else:
        conflict = {
            "field": "input_tokens",
            "value": context.value,
            "source": model.cite(spec),
            "note": context.note,
        }
        model.doc.append(["context", "conflicts"], conflict)
        resolution = f"{kept}; config value recorded under context.conflicts"
    report.conflicts.append(
        Conflict(
            model.relative,
            "context.input_tokens",
            current,
            model.describe_source(existing.get("source")),
            context.value,
            f"{spec.describe()}, {context.note}",
            resolution,
        )
    )


def _apply_license(
    model: ModelFile, record: HubRecord, spec: SourceSpec, report: ImportReport
) -> None:
    terms = read_license(record)
    name = f"{model.relative}: license.weights"
    if terms.value is None:
        report.skip(name, f"not read: {terms.note}")
        return

    license_terms = terms.value
    existing = model.doc.get(["license", "weights"])
    if isinstance(existing, dict):
        same_spdx = license_terms.spdx is not None and existing.get("spdx") == license_terms.spdx
        if same_spdx or existing.get("name") == license_terms.name:
            report.skip(name, f"the catalog already has {existing.get('name')!r}")
            return
        report.conflicts.append(
            Conflict(
                model.relative,
                "license.weights",
                existing.get("name"),
                model.describe_source(existing.get("source")),
                license_terms.name,
                spec.describe(),
                "catalog value kept",
            )
        )
        return

    written: dict[str, Any] = {"name": license_terms.name}
    if license_terms.spdx:
        written["spdx"] = license_terms.spdx
    written["category"] = license_terms.category
    written["commercial_use"] = license_terms.commercial_use
    written["source"] = model.cite(spec)
    written["note"] = terms.note
    model.doc.set(["license", "weights"], written)
    report.added += 1


def _apply_release(
    model: ModelFile, record: HubRecord, spec: SourceSpec, report: ImportReport
) -> None:
    created = read_created(record)
    name = f"{model.relative}: release"
    if created.value is None:
        report.skip(name, f"not read: {created.note}")
        return
    existing = model.doc.get(["release"])
    if isinstance(existing, dict):
        if existing.get("date") == created.value:
            report.skip(name, f"the catalog already has {created.value}")
            return
        report.conflicts.append(
            Conflict(
                model.relative,
                "release.date",
                existing.get("date"),
                model.describe_source(existing.get("source")),
                created.value,
                f"{spec.describe()}, {created.note}",
                "catalog value kept",
            )
        )
        return
    release = {"date": created.value, "marks": "weights", "source": model.cite(spec)}
    model.doc.set(["release"], {**release, "note": created.note})
    report.added += 1


def _apply_open_weights(
    model: ModelFile, record: HubRecord, spec: SourceSpec, report: ImportReport
) -> None:
    weights = record.weight_files
    if not weights:
        report.skip(
            f"{model.relative}: open_weights", "not read: no weight files in the repository"
        )
        return
    gated = f"; downloads are gated ({record.gated})" if record.gated else ""
    note = f"{len(weights)} weight files in the Hub repository{gated}"
    model.offer_fact(["open_weights"], True, note, spec, report)
    if model.doc.get(["links", "weights"]) is None:
        model.doc.set(["links", "weights"], record.url)
        report.added += 1
