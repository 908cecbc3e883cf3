"""Merge the arena and runs branches into one head.

Revision ID: 0003_merge
Revises: 0002_arena, 0002_runs
"""

from __future__ import annotations

revision = "0003_merge"
down_revision = ("0002_arena", "0002_runs")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
