"""Read VLMEvalKit result files.

VLMEvalKit writes ``{model}_{dataset}[_{judge}]_{acc|score}.{csv|json}`` into the model's
output folder. Older versions write straight into ``{work_dir}/{model}/``; newer ones write
into a run folder ``{work_dir}/{model}/T{YYYYMMDD}_G{commit}/`` (and link the newest files
from the model folder). The files carry no item counts or standard errors, except the
``tot`` column of MathVista's score file.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from modelvs.importers.changes import Skipped
from modelvs.importers.errors import ImportInputError
from modelvs.importers.harness_map import VLMEVALKIT, Combine, TaskMap
from modelvs.importers.scores import HarnessRun, MetricResult

RESULT_FILE = re.compile(r"^(?P<stem>.+)_(?P<kind>acc|score)\.(?P<ext>csv|json)$")
RUN_FOLDER = re.compile(r"^T(?P<date>\d{8})_G(?P<commit>[0-9a-fA-F]+)$")


def find_result_files(path: Path) -> tuple[list[Path], list[Skipped]]:
    """Return the result files of a model folder, run folder or single file, and the files
    left out because a newer run folder has a file of the same name."""
    if path.is_file():
        return [path], []
    by_name: dict[str, Path] = {}
    replaced = []
    folders = [path, *sorted(p for p in path.iterdir() if p.is_dir() and RUN_FOLDER.match(p.name))]
    for folder in folders:
        for file in sorted(folder.iterdir()):
            if file.is_file() and RESULT_FILE.match(file.name):
                if file.name in by_name:
                    older = by_name[file.name]
                    replaced.append(Skipped(str(older), f"replaced by the newer {file}"))
                by_name[file.name] = file
    if not by_name:
        raise ImportInputError(
            f"no VLMEvalKit result files ({{model}}_{{dataset}}_acc.csv, _score.csv or"
            f" _score.json) in {path}; pass the model's output folder or one run folder"
        )
    files = sorted(by_name.values(), key=lambda file: (file.parent.name, file.name))
    return files, replaced


def read_vlmevalkit(path: Path) -> list[HarnessRun]:
    files, replaced = find_result_files(path)
    runs = [read_result_file(file) for file in files]
    if runs:
        runs[0].unmapped.extend(replaced)
    return runs


def read_result_file(path: Path) -> HarnessRun:
    """Read one result file into metric results (one per mapped registry variant)."""
    run = HarnessRun(_harness_name(path), path)
    parts = RESULT_FILE.match(path.name)
    found = VLMEVALKIT.within(parts.group("stem")) if parts else None
    if parts is None or found is None:
        run.unmapped.append(
            Skipped(path.name, "not imported: no registry variant is mapped to its dataset")
        )
        return run

    _, judge, entries = found
    table = _load_table(path)
    for entry in entries:
        if entry.variant is None:
            run.unmapped.append(Skipped(path.name, f"not imported: {entry.reason}"))
            continue
        result = _read_entry(table, entry, path, judge or None)
        if isinstance(result, str):
            run.unmapped.append(Skipped(path.name, f"not imported: {result}"))
        else:
            run.results.append(result)
    return run


def _harness_name(path: Path) -> str:
    match = RUN_FOLDER.match(path.parent.name)
    return f"VLMEvalKit commit {match.group('commit')}" if match else "VLMEvalKit"


def _load_table(path: Path) -> list[dict[str, str]]:
    """Return the rows of a CSV file, or a JSON object as one row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".json":
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ImportInputError(f"{path} is not a JSON object; expected a score file")
            return [{str(key): str(value) for key, value in data.items()}]
        return list(csv.DictReader(text.splitlines()))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise ImportInputError(f"{path} cannot be read: {exc}") from exc


def _pick_row(rows: list[dict[str, str]], entry: TaskMap) -> dict[str, str] | str:
    if not rows:
        return "the file has no rows"
    if entry.row is None:
        return rows[0]
    wanted = entry.row.casefold()
    for row in rows:
        first = next(iter(row.values()), "")
        if wanted in (str(row.get("split", "")).casefold(), str(first).casefold()):
            return row
    return f"no row {entry.row!r} in the file"


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _read_entry(
    rows: list[dict[str, str]], entry: TaskMap, path: Path, judge: str | None
) -> MetricResult | str:
    """Return the metric result for ``entry`` or the reason it cannot be read."""
    row = _pick_row(rows, entry)
    if isinstance(row, str):
        return row
    values = []
    for spec in entry.metrics:
        column = next((name for name in spec.split("|") if name in row), None)
        value = _number(row.get(column)) if column else None
        if column is None or value is None:
            return f"column {spec!r} has no number"
        values.append((column, value))

    columns = " + ".join(column for column, _ in values)
    if entry.combine is Combine.SUM:
        value = sum(number for _, number in values)
    elif entry.combine is Combine.MEAN:
        value = sum(number for _, number in values) / len(values)
    else:
        value = values[0][1]
    items = _number(row.get(entry.items_column)) if entry.items_column else None
    row_name = f" (row {entry.row})" if entry.row else ""
    return MetricResult(
        task=path.name,
        metric=f"{columns}{row_name}",
        mapping=entry,
        value=value,
        unit=entry.unit,
        items=int(items) if items else None,
        judge=judge,
    )
