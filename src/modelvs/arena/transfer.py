"""Import and export battle files (the public Chatbot Arena format) to and from the database."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from modelvs.arena.battle_file import (
    BOTH_BAD_LABEL,
    NOT_ANONYMOUS_REASON,
    FileBattle,
    read_battle_file,
    write_battle_file,
)
from modelvs.arena.errors import BattleFileError
from modelvs.arena.identity import IdentityMatcher
from modelvs.arena.service import CATEGORY_PATTERN, CATEGORY_TEXT, utc_now
from modelvs.catalog.catalog import Catalog
from modelvs.errors import UnknownModelError
from modelvs.stats.battle_counts import Outcome
from modelvs.store.arena_tables import ORIGIN_IMPORT, STATE_VOTED, BattleRow, VoteRow
from modelvs.store.db import as_utc

log = logging.getLogger(__name__)

# Rows per INSERT batch, and question ids per lookup of already imported battles.
BATCH_ROWS = 5_000


@dataclass(frozen=True)
class ImportSummary:
    """Counts and uncatalogued model names of one import."""

    path: str
    rows: int
    imported: int
    # Rows whose question_id is already stored (or repeated in the file): not imported again.
    skipped_known: int
    excluded: int
    # Model names missing from the catalog, imported under their own names.
    uncatalogued: tuple[str, ...]
    elapsed_s: float


@dataclass(frozen=True)
class ExportSummary:
    """Counts of one export."""

    path: str
    battles: int
    excluded: int
    elapsed_s: float


def import_battles(engine: Engine, catalog: Catalog, path: Path) -> ImportSummary:
    """Validate every row of ``path``, then store all of its battles in one transaction.

    Any invalid row (such as an unknown winner label) raises BattleFileError with its row
    number and nothing is stored. Model names are matched to catalog slugs by slug, name or
    alias (case-insensitive); the others keep their own names and are listed as uncatalogued.
    """
    started = time.perf_counter()
    battles = read_battle_file(path)
    stored_names, uncatalogued = _resolve_names(catalog, battles)
    for battle in battles:
        _check_battle(path, battle, stored_names)

    matcher = IdentityMatcher.from_catalog(catalog)
    imported_at = utc_now()
    with Session(engine) as session, session.begin():
        known = _stored_external_ids(session, [b.question_id for b in battles if b.question_id])
        battle_rows: list[dict[str, Any]] = []
        vote_rows: list[dict[str, Any]] = []
        for battle in battles:
            if battle.question_id is not None:
                if battle.question_id in known:
                    continue
                known.add(battle.question_id)
            rows = _rows(battle, stored_names, matcher, imported_at)
            battle_rows.append(rows[0])
            vote_rows.append(rows[1])
        for start in range(0, len(battle_rows), BATCH_ROWS):
            session.execute(insert(BattleRow), battle_rows[start : start + BATCH_ROWS])
            session.execute(insert(VoteRow), vote_rows[start : start + BATCH_ROWS])

    summary = ImportSummary(
        path=str(path),
        rows=len(battles),
        imported=len(battle_rows),
        skipped_known=len(battles) - len(battle_rows),
        excluded=sum(1 for vote in vote_rows if vote["excluded"]),
        uncatalogued=uncatalogued,
        elapsed_s=time.perf_counter() - started,
    )
    log.info(
        "imported %d of %d battles from %s in %.2f s (%d already stored, %d excluded,"
        " %d uncatalogued models)",
        summary.imported,
        summary.rows,
        path,
        summary.elapsed_s,
        summary.skipped_known,
        summary.excluded,
        len(uncatalogued),
    )
    return summary


def _resolve_names(
    catalog: Catalog, battles: Iterable[FileBattle]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Map each name in the file to its catalog slug, or to itself when uncatalogued."""
    stored: dict[str, str] = {}
    uncatalogued: list[str] = []
    for battle in battles:
        for name in (battle.model_a, battle.model_b):
            if name in stored:
                continue
            try:
                stored[name] = catalog.find_model(name).slug
            except UnknownModelError:
                stored[name] = name
                uncatalogued.append(name)
    return stored, tuple(sorted(uncatalogued))


def _check_battle(path: Path, battle: FileBattle, stored_names: dict[str, str]) -> None:
    model_a, model_b = stored_names[battle.model_a], stored_names[battle.model_b]
    if model_a == model_b:
        raise BattleFileError(
            path,
            f"model_a {battle.model_a!r} and model_b {battle.model_b!r} are the same catalog"
            f" model {model_a!r}",
            battle.row,
        )
    if battle.category is not None and not CATEGORY_PATTERN.match(battle.category):
        raise BattleFileError(
            path,
            f"invalid category {battle.category!r}; use lowercase letters, digits and dashes",
            battle.row,
        )


def _stored_external_ids(session: Session, question_ids: list[str]) -> set[str]:
    found: set[str] = set()
    unique = sorted(set(question_ids))
    for start in range(0, len(unique), BATCH_ROWS):
        chunk = unique[start : start + BATCH_ROWS]
        query = select(BattleRow.external_id).where(BattleRow.external_id.in_(chunk))
        found.update(str(value) for value in session.scalars(query))
    return found


def _rows(
    battle: FileBattle,
    stored_names: dict[str, str],
    matcher: IdentityMatcher,
    imported_at: dt.datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Build the battle row and the vote row of one imported battle."""
    model_a, model_b = stored_names[battle.model_a], stored_names[battle.model_b]
    reason = battle.exclusion_reason
    if reason is None:
        match = matcher.find_in_battle(
            battle.prompt, battle.answer_a, battle.answer_b, (battle.model_a, battle.model_b)
        )
        reason = match.reason() if match else None
    battle_id = uuid.uuid4().hex
    created_at = battle.created_at or imported_at
    battle_row = {
        "id": battle_id,
        "prompt": battle.prompt,
        "image_ref": None,
        "category": battle.category or CATEGORY_TEXT,
        "model_a": model_a,
        "model_b": model_b,
        "answer_a": battle.answer_a,
        "answer_b": battle.answer_b,
        "created_at": created_at,
        "client_id_hash": battle.judge_hash,
        "state": STATE_VOTED,
        "origin": ORIGIN_IMPORT,
        "language": battle.language,
        "external_id": battle.question_id,
        "seed": None,
    }
    vote_row = {
        "battle_id": battle_id,
        "outcome": battle.outcome.value,
        "created_at": created_at,
        "excluded": reason is not None,
        "exclusion_reason": reason,
    }
    return battle_row, vote_row


def export_battles(engine: Engine, path: Path, include_excluded: bool = False) -> ExportSummary:
    """Write every voted battle (and, if asked, the excluded ones) to ``path``.

    Prompts and answers are never exported, only what the ratings use.
    """
    started = time.perf_counter()
    excluded = 0

    def counted(records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal excluded
        for record in records:
            excluded += "exclusion_reason" in record
            yield record

    with Session(engine) as session:
        written = write_battle_file(path, counted(_records(session, include_excluded)))
    summary = ExportSummary(str(path), written, excluded, time.perf_counter() - started)
    log.info(
        "exported %d battles (%d excluded) to %s in %.2f s",
        written,
        excluded,
        path,
        summary.elapsed_s,
    )
    return summary


def _records(session: Session, include_excluded: bool) -> Iterator[dict[str, Any]]:
    query = (
        select(BattleRow, VoteRow)
        .join(VoteRow, VoteRow.battle_id == BattleRow.id)
        .order_by(BattleRow.created_at, BattleRow.id)
    )
    if not include_excluded:
        query = query.where(VoteRow.excluded.is_(False))
    for battle, vote in session.execute(query.execution_options(yield_per=BATCH_ROWS)):
        yield _record(battle, vote)


def _record(battle: BattleRow, vote: VoteRow) -> dict[str, Any]:
    winner = BOTH_BAD_LABEL if vote.outcome == Outcome.BOTH_BAD.value else vote.outcome
    record: dict[str, Any] = {
        "question_id": battle.external_id or battle.id,
        "model_a": battle.model_a,
        "model_b": battle.model_b,
        "winner": winner,
        "tstamp": as_utc(battle.created_at).timestamp(),
        "anony": vote.exclusion_reason != NOT_ANONYMOUS_REASON,
        "category": battle.category,
    }
    if battle.language:
        record["language"] = battle.language
    if battle.client_id_hash:
        record["judge"] = battle.client_id_hash
    if vote.excluded:
        record["exclusion_reason"] = vote.exclusion_reason or "excluded"
    return record
