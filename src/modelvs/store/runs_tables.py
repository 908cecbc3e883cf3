"""Tables of outputs comparison runs: runs, the prompts each run sent, and one row per item.

An item is one prompt sent to one endpoint. Its row is written when the item finishes (with
status ``ok`` or ``failed``), so a missing row means the item was never finished and a resumed
run sends it again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from modelvs.store.db import Base

ITEM_OK = "ok"
ITEM_FAILED = "failed"


class RunRow(Base):
    """One prompt suite sent to one or more endpoints."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    suite_id: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the suite's prompts and image bytes: a resume must send the same suite.
    suite_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Endpoint snapshots (name, URL, model, key variable NAME, catalog model, price used);
    # never a key value.
    endpoints: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Sampling seed sent to the endpoints, when the run was given one.
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RunPromptRow(Base):
    """A prompt as a run sent it, so outputs stay readable after the suite file changes."""

    __tablename__ = "run_prompts"
    __table_args__ = (UniqueConstraint("run_id", "prompt_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    prompt_id: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the text and image bytes: equal hashes mean the same question.
    prompt_hash: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(100))
    reference: Mapped[str | None] = mapped_column(Text, nullable=True)
    image_names: Mapped[list[str]] = mapped_column(JSON)


class RunItemRow(Base):
    """The finished result of one prompt sent to one endpoint in one run."""

    __tablename__ = "run_items"
    __table_args__ = (
        UniqueConstraint("run_id", "prompt_id", "endpoint_name"),
        Index("ix_run_items_model_finished", "model_slug", "finished_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    prompt_id: Mapped[str] = mapped_column(String(200))
    endpoint_name: Mapped[str] = mapped_column(String(100))
    model_slug: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16))
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    finish_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttft_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Token counts come only from the server's usage report; NULL when it sent none.
    input_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_per_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    # NULL when the price or the token counts are unknown; never 0 for unknown.
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer)
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
