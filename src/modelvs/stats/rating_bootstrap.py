"""Seeded bootstrap of Bradley-Terry strengths over the aggregated battle cells.

Each round draws as many battles as were observed from a multinomial over the cells (pair by
outcome), with each cell's probability its share of the battles. That is the same distribution
as resampling individual battles with replacement, without touching the raw rows. Each round is
refit by Newton's method started from the full-data fit, which converges in a few steps.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt

from modelvs.stats.battle_counts import BattleCounts
from modelvs.stats.bradley_terry import Matrix, RatingsError, Vector, fit_strengths
from modelvs.stats.comparison_graph import components, separation

log = logging.getLogger(__name__)

# Share of rounds that may be dropped (no finite fit) before the interval is refused.
MAX_DROPPED_SHARE = 0.1
# Newton tolerance of a round's refit (natural-log units, about 2e-5 Elo). It is far below the
# spread of the rounds and saves a Newton step in about half of them.
ROUND_TOLERANCE = 1e-7


def bootstrap_strengths(
    counts: BattleCounts, theta: Vector, prior_precision: float, rounds: int, seed: int
) -> tuple[Matrix, int]:
    """Return one row of strengths per kept round, and the number of dropped rounds.

    A round is dropped when its resampled battles have no finite fit: a disconnected graph, or
    (without a prior) a model that won or lost every battle. Raises RatingsError when more than
    10% of the rounds are dropped, because the rest would understate the uncertainty.
    """
    rng = np.random.default_rng(seed)
    cells = counts.outcomes.ravel()
    battles = int(cells.sum())
    probabilities = cells / battles

    kept: list[Vector] = []
    for _ in range(rounds):
        drawn: npt.NDArray[np.int64] = rng.multinomial(battles, probabilities)
        resampled = counts.with_outcomes(drawn.reshape(counts.outcomes.shape))
        if not _has_finite_fit(resampled, prior_precision):
            continue
        kept.append(fit_strengths(resampled, prior_precision, theta, ROUND_TOLERANCE))

    dropped = rounds - len(kept)
    if dropped > MAX_DROPPED_SHARE * rounds:
        raise RatingsError(
            f"{dropped} of {rounds} bootstrap rounds (seed {seed}) resampled battles in which a"
            " model won or lost every battle; use the sandwich interval, a prior, or more votes"
        )
    log.debug("bootstrap: %d rounds kept, %d dropped, seed %d", len(kept), dropped, seed)
    return np.stack(kept), dropped


def _has_finite_fit(counts: BattleCounts, prior_precision: float) -> bool:
    if len(components(counts)) > 1:
        return False
    return prior_precision > 0 or not separation(counts)
