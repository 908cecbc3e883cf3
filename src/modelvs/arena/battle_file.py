"""Read and write battle files in the public Chatbot Arena format.

A file is a JSON list of objects, or JSON Lines (one object per line). Each object has
``model_a``, ``model_b`` and ``winner`` (model_a, model_b, tie, "tie (bothbad)" or both_bad).
Optional fields that map to storage are kept: ``question_id``, ``tstamp`` (Unix seconds),
``language``, ``judge`` (stored only as its SHA-256 hex digest), ``anony`` (false: the voter
saw the model names, so the vote is excluded), ``category`` and ``exclusion_reason`` (written
by modelvs), and the first user message and first answers of ``conversation_a`` and
``conversation_b``. Every other field (turn, conv_metadata, is_code, ...) is ignored, and so
are the later turns of a multi-turn conversation.

Rows are numbered from 1 in file order. In JSON Lines a row is a line, so the row number is the
line number (blank lines are skipped but counted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelvs.arena.errors import BattleFileError
from modelvs.stats.battle_counts import InvalidBattleError, Outcome, parse_outcome
from modelvs.store.arena_tables import MODEL_NAME_LENGTH

NOT_ANONYMOUS_REASON = "not anonymous: the voter saw the model names before voting"
# The public files write both_bad with this label.
BOTH_BAD_LABEL = "tie (bothbad)"
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class FileBattle:
    """One validated row of a battle file."""

    row: int
    model_a: str
    model_b: str
    outcome: Outcome
    question_id: str | None = None
    created_at: dt.datetime | None = None
    language: str | None = None
    judge_hash: str | None = None
    category: str | None = None
    exclusion_reason: str | None = None
    prompt: str | None = None
    answer_a: str | None = None
    answer_b: str | None = None


def read_battle_file(path: Path) -> list[FileBattle]:
    """Parse and validate every row; raise BattleFileError at the first invalid one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BattleFileError(path, f"cannot be read ({exc})") from None
    return [_battle(path, row, value) for row, value in _rows(path, text)]


def _rows(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    if text.lstrip().startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BattleFileError(path, f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        yield from enumerate(values, start=1)
        return
    for row, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield row, json.loads(line)
        except json.JSONDecodeError as exc:
            raise BattleFileError(path, f"invalid JSON: {exc.msg}", row) from None


def _battle(path: Path, row: int, value: Any) -> FileBattle:
    if not isinstance(value, dict):
        raise BattleFileError(path, f"expected an object, got {type(value).__name__}", row)
    try:
        outcome = parse_outcome(value.get("winner"), row)
    except InvalidBattleError as exc:
        raise BattleFileError(path, exc.detail, row) from None
    model_a = _model_name(path, row, value, "model_a")
    model_b = _model_name(path, row, value, "model_b")
    if model_a == model_b:
        raise BattleFileError(path, f"model_a and model_b are both {model_a!r}", row)

    reason = _optional_text(value.get("exclusion_reason"), 300)
    if reason is None and value.get("anony") is False:
        reason = NOT_ANONYMOUS_REASON
    judge = value.get("judge")
    prompt, answer_a = _first_exchange(value.get("conversation_a"))
    _, answer_b = _first_exchange(value.get("conversation_b"))
    return FileBattle(
        row=row,
        model_a=model_a,
        model_b=model_b,
        outcome=outcome,
        question_id=_optional_text(value.get("question_id"), 200),
        created_at=_timestamp(path, row, value.get("tstamp")),
        language=_optional_text(value.get("language"), 40),
        judge_hash=_judge_hash(judge),
        category=_optional_text(value.get("category"), 40),
        exclusion_reason=reason,
        prompt=prompt,
        answer_a=answer_a,
        answer_b=answer_b,
    )


def _model_name(path: Path, row: int, value: dict[str, Any], field: str) -> str:
    name = value.get(field)
    if not isinstance(name, str) or not name.strip():
        raise BattleFileError(path, f"{field} is {name!r}; name a model", row)
    if len(name) > MODEL_NAME_LENGTH:
        raise BattleFileError(
            path, f"{field} is {len(name)} characters long; the limit is {MODEL_NAME_LENGTH}", row
        )
    return name.strip()


def _judge_hash(judge: Any) -> str | None:
    """SHA-256 (hex) of the voter id; a 64-digit hex id, as modelvs exports, is already one."""
    if judge is None or judge == "":
        return None
    text = str(judge)
    if SHA256_HEX.fullmatch(text):
        return text
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _optional_text(value: Any, max_length: int) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:max_length]


def _timestamp(path: Path, row: int, value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BattleFileError(path, f"tstamp is {value!r}; use Unix seconds", row)
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise BattleFileError(path, f"tstamp {value!r} is out of range", row) from None


def _first_exchange(conversation: Any) -> tuple[str | None, str | None]:
    """The first user message and the first answer of a list of {role, content} messages."""
    if not isinstance(conversation, list):
        return None, None
    question = answer = None
    for message in conversation:
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            continue
        if message.get("role") == "user" and question is None:
            question = message["content"]
        elif message.get("role") == "assistant" and answer is None:
            answer = message["content"]
    return question, answer


def write_battle_file(path: Path, records: Iterator[dict[str, Any]]) -> int:
    """Write records as JSON Lines (.jsonl, .ndjson) or else a JSON list; return the count.

    The file is written next to its target and renamed into place, so a failed export never
    leaves a truncated file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    lines = path.suffix.lower() in JSON_LINES_SUFFIXES
    count = 0
    with partial.open("w", encoding="utf-8") as handle:
        handle.write("" if lines else "[")
        for record in records:
            text = json.dumps(record, ensure_ascii=False)
            if lines:
                handle.write(text + "\n")
            else:
                handle.write(("\n  " if count == 0 else ",\n  ") + text)
            count += 1
        handle.write("" if lines else "\n]\n")
    partial.replace(path)
    return count
