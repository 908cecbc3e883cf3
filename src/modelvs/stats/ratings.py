"""Arena ratings: Bradley-Terry strengths on the Elo scale with 95% intervals and ranks.

Ratings are ``1000 + 400 / ln(10) * theta``, so a 400-point gap means 10:1 odds, and their mean
is 1000. With an anchor model, every rating shifts so that the anchor lands exactly on its
anchor value. Each interval is then the interval of the difference to the anchor, so the
anchor's own interval is its value. Intervals are the sandwich (robust) 95% intervals by
default, or percentile intervals of a seeded multinomial bootstrap over the aggregated cells.
A model's rank is 1 plus the number of models whose lower bound is above its upper bound.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from modelvs.errors import UsageError
from modelvs.stats.battle_counts import BattleCounts
from modelvs.stats.bradley_terry import (
    Matrix,
    RatingsError,
    Vector,
    fit_strengths,
    prior_precision_for,
    sandwich_covariance,
)
from modelvs.stats.comparison_graph import components, separation
from modelvs.stats.rating_bootstrap import bootstrap_strengths
from modelvs.stats.significance import CONFIDENCE, Z_95

ELO_PER_NAT = 400.0 / math.log(10.0)
MEAN_RATING = 1000.0
DEFAULT_MIN_VOTES = 50
DEFAULT_BOOTSTRAP_ROUNDS = 100

IntervalMethod = Literal["sandwich", "bootstrap"]


@dataclass(frozen=True, slots=True)
class Anchor:
    """A model whose rating is fixed at ``rating``; every other rating is relative to it."""

    model: str
    rating: float


@dataclass(frozen=True)
class RatingOptions:
    """Settings of a rating computation: interval method, anchor, vote threshold and prior."""

    interval: IntervalMethod = "sandwich"
    bootstrap_rounds: int = DEFAULT_BOOTSTRAP_ROUNDS
    # Bootstrap seed; None draws a fresh one, which the result then records.
    seed: int | None = None
    anchor: Anchor | None = None
    # A model with fewer votes than this is marked provisional.
    min_votes: int = DEFAULT_MIN_VOTES
    # SD (Elo points) of an optional Normal prior on each rating around the mean. Without it, a
    # model that won or lost every battle is an error; with it, a warning.
    prior_sd_elo: float | None = None


@dataclass(frozen=True, slots=True)
class ModelRating:
    """One model's rating, its 95% interval and rank."""

    model: str
    rating: float
    lower: float
    upper: float
    rank: int
    votes: int
    provisional: bool


@dataclass(frozen=True, slots=True)
class BootstrapInfo:
    """Round count and seed of a bootstrap interval, so that it can be reproduced."""

    rounds: int
    seed: int
    # Rounds whose resampled battles had no finite fit (a model won or lost every battle).
    dropped_rounds: int


@dataclass(frozen=True)
class Ratings:
    """Every model's rating, best first, with how the ratings were computed."""

    models: tuple[ModelRating, ...]
    battles: int
    interval: IntervalMethod
    min_votes: int
    confidence: float = CONFIDENCE
    anchor: Anchor | None = None
    prior_sd_elo: float | None = None
    bootstrap: BootstrapInfo | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rate_models(counts: BattleCounts, options: RatingOptions | None = None) -> Ratings:
    """Compute the ratings of every model in ``counts``.

    Raises RatingsError when there are no battles, when the comparison graph is disconnected,
    or, without a prior, when some models won or lost every battle; UsageError when the anchor
    model has no battles.
    """
    options = options or RatingOptions()
    _check_options(options, counts)
    warnings = list(_check_graph(counts, options))
    precision = prior_precision_for(options.prior_sd_elo, ELO_PER_NAT)
    theta = fit_strengths(counts, precision)

    if options.interval == "sandwich":
        covariance = sandwich_covariance(counts, theta, precision)
        center, half_width = _anchored_sandwich(theta, covariance, options.anchor, counts.models)
        lower, upper = center - half_width, center + half_width
        bootstrap = None
    else:
        seed = options.seed if options.seed is not None else secrets.randbits(63)
        draws, dropped = bootstrap_strengths(
            counts, theta, precision, options.bootstrap_rounds, seed
        )
        center = _to_elo(theta, options.anchor, counts.models)
        lower, upper = _percentile_interval(draws, options.anchor, counts.models)
        bootstrap = BootstrapInfo(options.bootstrap_rounds, seed, dropped)
        if dropped:
            warnings.append(
                f"{dropped} of {options.bootstrap_rounds} bootstrap rounds were dropped because"
                " a model won or lost every resampled battle; the interval uses the rest"
            )

    return Ratings(
        models=_model_ratings(counts, center, lower, upper, options.min_votes),
        battles=counts.battles,
        interval=options.interval,
        min_votes=options.min_votes,
        anchor=options.anchor,
        prior_sd_elo=options.prior_sd_elo,
        bootstrap=bootstrap,
        warnings=tuple(warnings),
    )


def _check_options(options: RatingOptions, counts: BattleCounts) -> None:
    if options.interval not in ("sandwich", "bootstrap"):
        raise UsageError(f"unknown interval method {options.interval!r}; use sandwich or bootstrap")
    if options.interval == "bootstrap" and options.bootstrap_rounds < 2:
        raise UsageError(
            f"the bootstrap needs at least 2 rounds, got {options.bootstrap_rounds}; use 100"
        )
    if options.min_votes < 0:
        raise UsageError(f"the vote threshold cannot be negative, got {options.min_votes}")
    anchor = options.anchor
    if anchor is not None:
        if not math.isfinite(anchor.rating):
            raise UsageError(f"the anchor rating must be a finite number, got {anchor.rating}")
        if anchor.model not in counts.models:
            raise UsageError(
                f"the anchor model {anchor.model!r} has no battles here; anchor a model that"
                " appears in the ratings"
            )


def _check_graph(counts: BattleCounts, options: RatingOptions) -> list[str]:
    """Raise for battles that have no finite ratings; return the warnings of a prior fit."""
    if counts.battles == 0:
        raise RatingsError("there are no battles to rate; import or record votes first")

    groups = components(counts)
    if len(groups) > 1:
        listed = "; ".join(", ".join(repr(name) for name in group) for group in groups)
        raise RatingsError(
            f"the battles form {len(groups)} groups with no battle between them, so their"
            f" ratings cannot be compared: {listed}. Rate each group on its own (for example"
            " with a category) or collect battles between the groups"
        )

    separated = separation(counts)
    if not separated:
        return []
    if options.prior_sd_elo is None:
        raise RatingsError(
            f"{separated.describe()} Their maximum-likelihood ratings are infinite. Collect"
            " more votes, or fit with a prior (for example a prior SD of 400 Elo), which"
            " pulls these ratings toward the mean"
        )
    return [
        f"{separated.describe()} Their ratings are finite only because of the Normal prior"
        f" (SD {options.prior_sd_elo:g} Elo), which pulls them toward the mean."
    ]


def _to_elo(theta: Vector, anchor: Anchor | None, models: tuple[str, ...]) -> Vector:
    """Ratings from strengths: mean 1000, or shifted so that the anchor sits on its value."""
    if anchor is None:
        centered: Vector = MEAN_RATING + ELO_PER_NAT * theta
        return centered
    index = models.index(anchor.model)
    anchored: Vector = anchor.rating + ELO_PER_NAT * (theta - theta[index])
    return anchored


def _anchored_sandwich(
    theta: Vector, covariance: Matrix, anchor: Anchor | None, models: tuple[str, ...]
) -> tuple[Vector, Vector]:
    """Ratings and the half widths of their 95% intervals."""
    variance = np.diag(covariance).copy()
    if anchor is not None:
        index = models.index(anchor.model)
        # Var(theta_i - theta_k) for anchor k; zero for the anchor itself.
        variance = variance - 2 * covariance[:, index] + covariance[index, index]
    standard_error = np.sqrt(np.clip(variance, 0.0, None))
    return _to_elo(theta, anchor, models), Z_95 * ELO_PER_NAT * standard_error


def _percentile_interval(
    draws: Matrix, anchor: Anchor | None, models: tuple[str, ...]
) -> tuple[Vector, Vector]:
    elo = np.stack([_to_elo(row, anchor, models) for row in draws])
    tail = 100 * (1 - CONFIDENCE) / 2
    lower, upper = np.percentile(elo, [tail, 100 - tail], axis=0)
    if anchor is not None:
        # Every round puts the anchor on its value; avoid percentile rounding around it.
        index = models.index(anchor.model)
        lower[index] = upper[index] = anchor.rating
    return lower, upper


def ranks_from_intervals(lower: Vector, upper: Vector) -> npt.NDArray[np.int64]:
    """1 + the number of models whose lower bound is above each model's upper bound."""
    sorted_lower = np.sort(lower)
    above = len(lower) - np.searchsorted(sorted_lower, upper, side="right")
    return (1 + above).astype(np.int64)


def _model_ratings(
    counts: BattleCounts, center: Vector, lower: Vector, upper: Vector, min_votes: int
) -> tuple[ModelRating, ...]:
    ranks = ranks_from_intervals(lower, upper)
    votes = counts.votes_per_model()
    order = sorted(range(len(counts.models)), key=lambda i: (-center[i], counts.models[i]))
    return tuple(
        ModelRating(
            model=counts.models[i],
            rating=float(center[i]),
            lower=float(lower[i]),
            upper=float(upper[i]),
            rank=int(ranks[i]),
            votes=int(votes[i]),
            provisional=bool(votes[i] < min_votes),
        )
        for i in order
    )
