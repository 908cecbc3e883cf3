"""Outputs comparison runs: the runs, run_prompts and run_items tables.

Revision ID: 0002_runs
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_runs"
down_revision = "0001_base"
branch_labels = ("runs",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("suite_id", sa.String(200), nullable=False),
        sa.Column("suite_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endpoints", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "run_prompts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("prompt_id", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prompt_hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("image_names", sa.JSON(), nullable=False),
        sa.UniqueConstraint("run_id", "prompt_id"),
    )
    op.create_index("ix_run_prompts_prompt_hash", "run_prompts", ["prompt_hash"])
    op.create_table(
        "run_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("prompt_id", sa.String(200), nullable=False),
        sa.Column("endpoint_name", sa.String(100), nullable=False),
        sa.Column("model_slug", sa.String(80), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("finish_reason", sa.String(64), nullable=True),
        sa.Column("latency_s", sa.Float(), nullable=True),
        sa.Column("ttft_s", sa.Float(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("tokens_per_s", sa.Float(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("run_id", "prompt_id", "endpoint_name"),
    )
    op.create_index("ix_run_items_model_finished", "run_items", ["model_slug", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_run_items_model_finished", table_name="run_items")
    op.drop_table("run_items")
    op.drop_index("ix_run_prompts_prompt_hash", table_name="run_prompts")
    op.drop_table("run_prompts")
    op.drop_table("runs")
