"""Bradley-Terry ratings recover known strengths from simulated battles, with calibrated intervals.

Each simulation draws battles between 12 models whose true ratings are known. A battle's
expected score for side A is the Bradley-Terry probability p. Ties take 0.4 min(p, 1 - p) of
the probability, half from each side's wins, so the tie-as-half-win model stays exact.
"""

from __future__ import annotations

import numpy as np
import pytest

from modelvs.stats.battle_counts import count_battles
from modelvs.stats.ratings import ELO_PER_NAT, RatingOptions, Ratings, rate_models

MODELS = 12
BATTLES = 3_000
SEEDS = 200
NAMES = [f"model-{i:02d}" for i in range(MODELS)]
# True ratings spread over about 400 Elo, centred on 1000 like the fitted ones.
TRUE_THETA = np.linspace(-1.2, 1.2, MODELS)
TRUE_RATINGS = 1000 + ELO_PER_NAT * (TRUE_THETA - TRUE_THETA.mean())


def simulate(seed: int, battles: int = BATTLES) -> tuple[list[str], list[str], list[str]]:
    rng = np.random.default_rng(seed)
    side_a = rng.integers(0, MODELS, battles)
    side_b = (side_a + rng.integers(1, MODELS, battles)) % MODELS
    p = 1 / (1 + np.exp(TRUE_THETA[side_b] - TRUE_THETA[side_a]))
    tie = 0.4 * np.minimum(p, 1 - p)
    draw = rng.random(battles)
    winner = np.where(draw < p - tie / 2, "model_a", np.where(draw < p + tie / 2, "tie", "model_b"))
    return [NAMES[i] for i in side_a], [NAMES[i] for i in side_b], winner.tolist()


def fit(seed: int, options: RatingOptions | None = None) -> Ratings:
    return rate_models(count_battles(*simulate(seed)), options)


def aligned(ratings: Ratings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = {rating.model: rating for rating in ratings.models}
    rows = [order[name] for name in NAMES]
    return (
        np.array([r.rating for r in rows]),
        np.array([r.lower for r in rows]),
        np.array([r.upper for r in rows]),
    )


def test_recovery_slope_and_coverage() -> None:
    estimates, covered = [], []
    for seed in range(SEEDS):
        rating, lower, upper = aligned(fit(seed))
        estimates.append(rating)
        covered.append((lower <= TRUE_RATINGS) & (upper >= TRUE_RATINGS))

    pooled = np.concatenate(estimates)
    truth = np.tile(TRUE_RATINGS, SEEDS)
    slope = np.polyfit(truth, pooled, 1)[0]
    coverage = float(np.mean(covered))
    assert slope == pytest.approx(1.0, abs=0.02)
    # Each rating's SD over the seeds is about 15 Elo, so its mean has an SE of about 1.1.
    assert np.abs(np.mean(estimates, axis=0) - TRUE_RATINGS).max() < 5.0
    # 2,400 intervals, correlated within a seed: 0.95 +- 0.025 is more than 3 SDs wide.
    assert 0.925 <= coverage <= 0.975


def test_bootstrap_width_matches_sandwich() -> None:
    sandwich = aligned(fit(1000))
    bootstrap = aligned(fit(1000, RatingOptions(interval="bootstrap", seed=7)))
    ratio = (bootstrap[2] - bootstrap[1]) / (sandwich[2] - sandwich[1])
    assert 0.8 <= float(np.median(ratio)) <= 1.2
    assert np.allclose(bootstrap[0], sandwich[0])
