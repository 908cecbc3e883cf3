"""Arena battles and votes: the arena_battles and arena_votes tables.

Revision ID: 0002_arena
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_arena"
down_revision = "0001_base"
branch_labels = ("arena",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "arena_battles",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("image_ref", sa.String(500), nullable=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("model_a", sa.String(200), nullable=False),
        sa.Column("model_b", sa.String(200), nullable=False),
        sa.Column("answer_a", sa.Text(), nullable=True),
        sa.Column("answer_b", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id_hash", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("language", sa.String(40), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("model_a <> model_b", name="ck_arena_battles_two_models"),
        sa.CheckConstraint(
            "state IN ('pending', 'voted', 'abandoned')", name="ck_arena_battles_state"
        ),
    )
    op.create_index("ix_arena_battles_category", "arena_battles", ["category"])
    op.create_index("ix_arena_battles_client_id_hash", "arena_battles", ["client_id_hash"])
    op.create_index("ix_arena_battles_external_id", "arena_battles", ["external_id"])
    op.create_table(
        "arena_votes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "battle_id",
            sa.String(32),
            sa.ForeignKey("arena_battles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("exclusion_reason", sa.String(300), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('model_a', 'model_b', 'tie', 'both_bad')", name="ck_arena_votes_outcome"
        ),
        sa.UniqueConstraint("battle_id", name="uq_arena_votes_battle_id"),
    )


def downgrade() -> None:
    op.drop_table("arena_votes")
    op.drop_index("ix_arena_battles_external_id", table_name="arena_battles")
    op.drop_index("ix_arena_battles_client_id_hash", table_name="arena_battles")
    op.drop_index("ix_arena_battles_category", table_name="arena_battles")
    op.drop_table("arena_battles")
