"""Tables of the arena: battles (two anonymous answers to one prompt) and their votes.

A live battle is created ``pending`` when a person submits a prompt, gets both answers, and
becomes ``voted`` when the vote is stored. An imported battle arrives ``voted``, usually with no
prompt. Each battle has at most one vote, enforced by a unique constraint on
``arena_votes.battle_id``. Excluded votes (the prompt or an answer names a model or vendor, or
the voter saw the model names) are kept but never rated.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from modelvs.store.db import Base

STATE_PENDING = "pending"
STATE_VOTED = "voted"
STATE_ABANDONED = "abandoned"
BATTLE_STATES = (STATE_PENDING, STATE_VOTED, STATE_ABANDONED)

ORIGIN_LIVE = "live"
ORIGIN_IMPORT = "import"

VOTE_OUTCOMES = ("model_a", "model_b", "tie", "both_bad")

MODEL_NAME_LENGTH = 200


def _in(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


class BattleRow(Base):
    """Two models' answers to one prompt, shown as sides A and B in a random order."""

    __tablename__ = "arena_battles"
    __table_args__ = (
        CheckConstraint("model_a <> model_b", name="ck_arena_battles_two_models"),
        CheckConstraint(_in("state", BATTLE_STATES), name="ck_arena_battles_state"),
    )

    # 32 hex digits of a random UUID: battle ids reach the browser and must not be guessable.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # None for imported battles, whose public files carry no prompt.
    prompt: Mapped[str | None] = mapped_column(Text, nullable=True)
    image_ref: Mapped[str | None] = mapped_column(String(500), nullable=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    # Catalog slugs; a model missing from the catalog keeps the name it was imported under.
    model_a: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    model_b: Mapped[str] = mapped_column(String(MODEL_NAME_LENGTH))
    answer_a: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer_b: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # HMAC-SHA-256 (hex) of the client id, never the id itself; imports store the file's
    # judge field hashed the same way.
    client_id_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # question_id of an imported battle, so that importing a file twice adds nothing.
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    # Seed of the draw that picked the two models and their sides (live battles).
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class VoteRow(Base):
    """The one vote on a battle."""

    __tablename__ = "arena_votes"
    __table_args__ = (
        CheckConstraint(_in("outcome", VOTE_OUTCOMES), name="ck_arena_votes_outcome"),
        UniqueConstraint("battle_id", name="uq_arena_votes_battle_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    battle_id: Mapped[str] = mapped_column(ForeignKey("arena_battles.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    exclusion_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
