"""Alembic environment: runs migrations on the engine passed in by modelvs.store.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from modelvs.store.db import Base, make_engine

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    engine = make_engine()

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
