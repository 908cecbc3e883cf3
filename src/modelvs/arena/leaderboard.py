"""Ratings of the stored votes, overall or per category (for example "text" and "image")."""

from __future__ import annotations

import logging
import time

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from modelvs.stats.battle_counts import BattleCounts, count_battles
from modelvs.stats.bradley_terry import RatingsError
from modelvs.stats.ratings import RatingOptions, Ratings, rate_models
from modelvs.store.arena_tables import BattleRow, VoteRow

log = logging.getLogger(__name__)


def count_votes(engine: Engine, category: str | None = None) -> BattleCounts:
    """Counted (not excluded) votes per model pair, aggregated by the database."""
    query = (
        select(BattleRow.model_a, BattleRow.model_b, VoteRow.outcome, func.count())
        .join(VoteRow, VoteRow.battle_id == BattleRow.id)
        .where(VoteRow.excluded.is_(False))
        .group_by(BattleRow.model_a, BattleRow.model_b, VoteRow.outcome)
    )
    if category is not None:
        query = query.where(BattleRow.category == category)
    with Session(engine) as session:
        cells = session.execute(query).all()
    return count_battles(
        [cell[0] for cell in cells],
        [cell[1] for cell in cells],
        [cell[2] for cell in cells],
        [cell[3] for cell in cells],
    )


def excluded_votes(engine: Engine, category: str | None = None) -> int:
    query = (
        select(func.count())
        .select_from(VoteRow)
        .join(BattleRow, VoteRow.battle_id == BattleRow.id)
        .where(VoteRow.excluded.is_(True))
    )
    if category is not None:
        query = query.where(BattleRow.category == category)
    with Session(engine) as session:
        return int(session.scalar(query) or 0)


def categories(engine: Engine) -> list[str]:
    """Return every category that has at least one vote."""
    query = (
        select(BattleRow.category)
        .join(VoteRow, VoteRow.battle_id == BattleRow.id)
        .distinct()
        .order_by(BattleRow.category)
    )
    with Session(engine) as session:
        return [str(category) for category in session.scalars(query)]


def arena_ratings(
    engine: Engine, category: str | None = None, options: RatingOptions | None = None
) -> Ratings:
    """Ratings from every counted vote, or from one category's votes."""
    started = time.perf_counter()
    counts = count_votes(engine, category)
    if counts.battles == 0 and category is not None:
        known = ", ".join(categories(engine)) or "none"
        raise RatingsError(
            f"no counted votes in category {category!r}; categories with votes: {known}"
        )
    ratings = rate_models(counts, options)
    log.info(
        "rated %d models from %d votes (category %s) in %.2f s",
        len(ratings.models),
        ratings.battles,
        category or "all",
        time.perf_counter() - started,
    )
    return ratings
