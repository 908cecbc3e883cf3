"""The arena's service API for the web layer: create battles, store answers, record votes.

Every method runs in its own transaction and returns only after the commit, so a vote that a
caller acknowledges is stored. A web request typically calls ``create_battle`` with the models
that can answer the prompt, sends the prompt to both, calls ``save_answers``, shows both answers
without model names, and calls ``record_vote`` with the person's choice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Label,
    Select,
    bindparam,
    func,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from modelvs.arena.errors import (
    BattleClosedError,
    BattleNotFoundError,
    DuplicateVoteError,
    VoteClientMismatchError,
)
from modelvs.arena.group_commit import GroupCommit
from modelvs.arena.identity import IdentityMatcher
from modelvs.arena.sampling import pick_pair
from modelvs.catalog.catalog import Catalog
from modelvs.errors import ModelvsError, UsageError
from modelvs.stats.battle_counts import OUTCOME_LABELS, Outcome
from modelvs.store.arena_tables import (
    ORIGIN_LIVE,
    STATE_ABANDONED,
    STATE_PENDING,
    STATE_VOTED,
    BattleRow,
    VoteRow,
)
from modelvs.store.db import as_utc

log = logging.getLogger(__name__)

CATEGORY_TEXT = "text"
CATEGORY_IMAGE = "image"
CATEGORY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_PROMPT_CHARS = 32_000
# Maximum votes stored in one transaction; waiting votes beyond it go in the next one.
VOTES_PER_COMMIT = 64
# Maximum age in seconds of the vote counts that a draw uses to favour models with few votes.
DRAW_COUNTS_TTL_S = 5.0


@dataclass(frozen=True, slots=True)
class Battle:
    """A stored battle. The web layer must not show the model names before the vote."""

    id: str
    model_a: str
    model_b: str
    category: str
    state: str
    created_at: dt.datetime
    seed: int | None


@dataclass(frozen=True, slots=True)
class VoteReceipt:
    """A stored vote, with the model names that may now be revealed."""

    battle_id: str
    outcome: Outcome
    model_a: str
    model_b: str
    excluded: bool
    exclusion_reason: str | None


def hash_client_id(client_id: str, key: bytes) -> str:
    """HMAC-SHA-256 (hex) of a client id, so that raw ids (IP addresses) are never stored."""
    return hmac.new(key, client_id.encode("utf-8"), hashlib.sha256).hexdigest()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ArenaService:
    """Battles and votes on one database, checked against one catalog."""

    def __init__(self, engine: Engine, catalog: Catalog, client_hash_key: bytes) -> None:
        if not client_hash_key:
            raise ValueError("client_hash_key is empty; pass a secret key of at least 16 bytes")
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._catalog = catalog
        self._key = client_hash_key
        self._matcher = IdentityMatcher.from_catalog(catalog)
        # SQLite lets one writer in at a time and makes the others sleep and retry; queueing
        # this process's writers on a lock instead avoids those sleeps. PostgreSQL needs none.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._votes = GroupCommit(self._store_votes, max_batch=VOTES_PER_COMMIT)
        # (time.monotonic() of the count, counted votes per model) for drawing pairs.
        self._counts: tuple[float, dict[str, int]] | None = None
        self._counts_lock = threading.Lock()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        if self._write_lock is None:
            yield
            return
        with self._write_lock:
            yield

    def create_battle(
        self,
        prompt: str,
        eligible_models: Sequence[str],
        client_id: str | None,
        image_ref: str | None = None,
        category: str | None = None,
        seed: int | None = None,
    ) -> Battle:
        """Store a pending battle between two different models drawn from ``eligible_models``.

        Models are named by catalog slug, name or alias; the draw favours models with few
        counted votes (``modelvs.arena.sampling``). ``category`` defaults to "image" when an
        image is attached, else "text". ``seed`` (default: a fresh random one) is stored.
        """
        if not prompt.strip():
            raise UsageError("the prompt is empty; type a question for the two models")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise UsageError(
                f"the prompt has {len(prompt)} characters; shorten it to {MAX_PROMPT_CHARS}"
            )
        category = category or (CATEGORY_IMAGE if image_ref else CATEGORY_TEXT)
        check_category(category)
        slugs = [self._catalog.find_model(name).slug for name in eligible_models]
        seed = seed if seed is not None else secrets.randbits(63)
        pairing = pick_pair(slugs, self._draw_counts(sorted(set(slugs))), seed)

        row = BattleRow(
            id=uuid.uuid4().hex,
            prompt=prompt,
            image_ref=image_ref,
            category=category,
            model_a=pairing.model_a,
            model_b=pairing.model_b,
            created_at=utc_now(),
            client_id_hash=hash_client_id(client_id, self._key) if client_id else None,
            state=STATE_PENDING,
            origin=ORIGIN_LIVE,
            seed=seed,
        )
        with self._writing(), self._sessions.begin() as session:
            session.add(row)
        log.info("battle %s created: %s vs %s, seed %d", row.id, row.model_a, row.model_b, seed)
        return _battle(row)

    def _draw_counts(self, slugs: Sequence[str]) -> dict[str, int]:
        """Return counted votes per model for drawing a pair, at most DRAW_COUNTS_TTL_S old.

        Counting scans every vote (16 ms at 10,000 votes on SQLite), and the draw only needs
        to know roughly which models have few votes.
        """
        now = time.monotonic()
        with self._counts_lock:
            if self._counts is None or now - self._counts[0] > DRAW_COUNTS_TTL_S:
                self._counts = (now, self.vote_counts())
            counts = self._counts[1]
        return {slug: counts.get(slug, 0) for slug in slugs}

    def get_battle(self, battle_id: str) -> Battle:
        with self._sessions() as session:
            return _battle(_load(session, battle_id))

    def save_answers(self, battle_id: str, answer_a: str, answer_b: str) -> None:
        """Store both models' answers on a pending battle."""
        with self._writing(), self._sessions.begin() as session:
            battle = _load(session, battle_id, for_update=True)
            if battle.state != STATE_PENDING:
                raise BattleClosedError(
                    f"battle {battle_id!r} is {battle.state}; answers go to a pending battle"
                )
            battle.answer_a = answer_a
            battle.answer_b = answer_b

    def abandon_battle(self, battle_id: str) -> None:
        """Close a pending battle that will get no vote (an answer failed)."""
        with self._writing(), self._sessions.begin() as session:
            battle = _load(session, battle_id, for_update=True)
            if battle.state == STATE_PENDING:
                battle.state = STATE_ABANDONED

    def record_vote(
        self, battle_id: str, outcome: str, client_id: str | None = None
    ) -> VoteReceipt:
        """Store the one vote of a battle and commit it before returning.

        ``outcome`` is model_a, model_b, tie, both_bad or "tie (bothbad)". When ``client_id``
        is given it must be the client the battle was created for. A vote whose prompt or
        answers name a model or vendor is stored as excluded. Raises DuplicateVoteError for a
        second vote, also when two votes race (the unique constraint on battle_id decides).
        Votes that arrive together share one transaction (``GroupCommit``).
        """
        parsed = OUTCOME_LABELS.get(outcome)
        if parsed is None:
            accepted = ", ".join(OUTCOME_LABELS)
            raise UsageError(f"unknown vote outcome {outcome!r}; use one of {accepted}")
        receipt = self._votes.submit(_VoteRequest(battle_id, parsed, client_id))
        log.info(
            "vote on battle %s: %s%s",
            battle_id,
            parsed.value,
            " (excluded)" if receipt.excluded else "",
        )
        return receipt

    def _store_votes(self, requests: Sequence[_VoteRequest]) -> list[VoteReceipt | Exception]:
        """Store votes in one transaction; a vote that cannot be stored gets its error."""
        try:
            with self._writing(), self._engine.begin() as connection:
                return self._store_vote_batch(connection, requests)
        except IntegrityError:
            if len(requests) == 1:
                return [DuplicateVoteError(requests[0].battle_id)]
            # Another process voted on one of these battles after the read. Storing each vote
            # on its own fails only the late one.
            return [outcome for request in requests for outcome in self._store_votes([request])]

    def _store_vote_batch(
        self, connection: Connection, requests: Sequence[_VoteRequest]
    ) -> list[VoteReceipt | Exception]:
        # Core statements rather than the ORM, and one statement of each kind for the whole
        # batch: a vote is the arena's hot write path (see bench/arena_votes.py).
        ids = sorted({request.battle_id for request in requests})
        # Rows of _VOTE_BATTLES by battle id.
        battles: dict[str, Any] = {
            row.id: row for row in connection.execute(_VOTE_BATTLES, {"ids": ids})
        }
        outcomes: list[VoteReceipt | Exception] = []
        rows: list[dict[str, object]] = []
        # Battles voted on earlier in this batch.
        voted: set[str] = set()
        for request in requests:
            try:
                if request.battle_id in voted:
                    raise DuplicateVoteError(request.battle_id)
                receipt = self._checked_vote(battles.get(request.battle_id), request)
            except ModelvsError as exc:
                outcomes.append(exc)
                continue
            voted.add(request.battle_id)
            rows.append(_vote_row(receipt))
            outcomes.append(receipt)
        if rows:
            connection.execute(_INSERT_VOTE, rows)
            connection.execute(_MARK_VOTED, {"ids": [row["battle_id"] for row in rows]})
        return outcomes

    def _checked_vote(self, battle: Any, request: _VoteRequest) -> VoteReceipt:
        """Check that the battle (a row of _VOTE_BATTLES, or None) takes this vote."""
        battle_id = request.battle_id
        if battle is None:
            raise BattleNotFoundError(battle_id)
        client_id = request.client_id
        if client_id is not None and battle.client_id_hash != hash_client_id(client_id, self._key):
            raise VoteClientMismatchError(
                f"battle {battle_id!r} belongs to another client; vote on your own battle"
            )
        # A stored vote sets the state to voted in the same transaction. Two votes that race
        # past this check are stopped by the unique constraint on battle_id.
        if battle.state == STATE_VOTED:
            raise DuplicateVoteError(battle_id)
        if battle.state == STATE_ABANDONED:
            raise BattleClosedError(f"battle {battle_id!r} was abandoned; start a new battle")

        match = self._matcher.find_in_battle(
            battle.prompt, battle.answer_a, battle.answer_b, (battle.model_a, battle.model_b)
        )
        reason = match.reason() if match else None
        return VoteReceipt(
            battle_id=battle_id,
            outcome=request.outcome,
            model_a=battle.model_a,
            model_b=battle.model_b,
            excluded=reason is not None,
            exclusion_reason=reason,
        )

    def vote_counts(self, models: Sequence[str] | None = None) -> dict[str, int]:
        """Counted (not excluded) votes per model, over both sides; models without votes get 0."""
        # NOTE: this scans every vote; at millions of votes, cache it or keep running counts.
        sides = union_all(
            _counted_votes(BattleRow.model_a.label("model")),
            _counted_votes(BattleRow.model_b.label("model")),
        ).subquery()
        query = select(sides.c.model, func.count()).group_by(sides.c.model)
        if models is not None:
            query = query.where(sides.c.model.in_(list(models)))
        with self._sessions() as session:
            found = {str(model): int(count) for model, count in session.execute(query)}
        names = models if models is not None else list(found)
        return {name: found.get(name, 0) for name in names}


@dataclass(frozen=True, slots=True)
class _VoteRequest:
    battle_id: str
    outcome: Outcome
    client_id: str | None


def _vote_row(receipt: VoteReceipt) -> dict[str, object]:
    return {
        "battle_id": receipt.battle_id,
        "outcome": receipt.outcome.value,
        "created_at": utc_now(),
        "excluded": receipt.excluded,
        "exclusion_reason": receipt.exclusion_reason,
    }


_VOTE_BATTLES = (
    select(
        BattleRow.id,
        BattleRow.client_id_hash,
        BattleRow.state,
        BattleRow.prompt,
        BattleRow.answer_a,
        BattleRow.answer_b,
        BattleRow.model_a,
        BattleRow.model_b,
    )
    .where(BattleRow.id.in_(bindparam("ids", expanding=True)))
    # FOR UPDATE serializes votes on one battle in PostgreSQL, and ids in sorted order keep
    # two batches from locking each other's rows crosswise. SQLite locks the whole database.
    .order_by(BattleRow.id)
    .with_for_update()
)
_INSERT_VOTE = insert(VoteRow)
_MARK_VOTED = (
    update(BattleRow)
    .where(BattleRow.id.in_(bindparam("ids", expanding=True)))
    .values(state=STATE_VOTED)
)


def _counted_votes(column: Label[str]) -> Select[str]:
    """Select one side's model of every vote that counts toward ratings."""
    query = select(column).join(VoteRow, VoteRow.battle_id == BattleRow.id)
    return query.where(VoteRow.excluded.is_(False))


def check_category(category: str) -> None:
    if not CATEGORY_PATTERN.match(category):
        raise UsageError(
            f"invalid category {category!r}: use lowercase letters, digits and dashes, at most"
            " 40 characters, such as 'text' or 'image'"
        )


def _load(session: Session, battle_id: str, for_update: bool = False) -> BattleRow:
    # FOR UPDATE serializes votes on one battle in PostgreSQL; SQLite locks the whole database.
    battle = session.get(BattleRow, battle_id, with_for_update=for_update)
    if battle is None:
        raise BattleNotFoundError(battle_id)
    return battle


def _battle(row: BattleRow) -> Battle:
    return Battle(
        id=row.id,
        model_a=row.model_a,
        model_b=row.model_b,
        category=row.category,
        state=row.state,
        created_at=as_utc(row.created_at),
        seed=row.seed,
    )
