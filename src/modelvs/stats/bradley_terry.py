"""Bradley-Terry maximum likelihood on aggregated battle counts, and its sandwich covariance.

Model ``i`` has a strength ``theta_i`` in natural-log units, and ``i`` beats ``j`` with
probability ``p_ij = 1 / (1 + exp(theta_j - theta_i))``. A tie counts as half a win for each
side, so a pair with ``n`` battles in which the first model scored ``s`` points (wins plus half
the ties) adds ``s (theta_i - theta_j) - n log(1 + exp(theta_i - theta_j))`` to the
log-likelihood. Strengths are fixed to sum to zero, which the likelihood alone leaves free.

The fit is Newton's method with step halving on the concave log-likelihood. Its Hessian is a
weighted graph Laplacian whose null space is the all-ones vector. So every linear solve uses
``H + J / m`` (``J`` the all-ones matrix, ``m`` models), which acts like ``H`` on sum-zero
vectors and is positive definite when the comparison graph is connected. The matrices are dense,
which suits the few hundred models of an arena (a 2,000-model fit needs 32 MB per matrix).

``prior_precision`` adds an optional Gaussian prior ``-precision / 2 * sum(theta_i ** 2)`` that
keeps strengths finite when a model won or lost every battle.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from modelvs.errors import ModelvsError
from modelvs.stats.battle_counts import FIRST_WON, SECOND_WON, TIED, BattleCounts

Vector = npt.NDArray[np.float64]
Matrix = npt.NDArray[np.float64]

# Newton stops once no strength moves by more than this (natural-log units, about 2e-8 Elo).
STEP_TOLERANCE = 1e-10
MAX_ITERATIONS = 100
MAX_STEP_HALVINGS = 40


class RatingsError(ModelvsError):
    """Ratings cannot be computed from these battles."""

    http_status = 422


def fit_strengths(
    counts: BattleCounts,
    prior_precision: float = 0.0,
    start: Vector | None = None,
    tolerance: float = STEP_TOLERANCE,
) -> Vector:
    """Return the maximum-likelihood strengths (natural-log units, summing to zero).

    The caller checks beforehand that the comparison graph is connected and, without a prior,
    strongly connected (``modelvs.stats.comparison_graph``); otherwise no finite maximum exists.
    ``start`` (for example the full-data fit when refitting a bootstrap round) only saves
    iterations. Newton stops once no strength moves by more than ``tolerance`` (natural-log
    units).
    """
    size = len(counts.models)
    n = counts.battles_per_pair().astype(np.float64)
    points = counts.outcomes[:, FIRST_WON] + 0.5 * counts.outcomes[:, TIED]
    theta = np.zeros(size) if start is None else start - start.mean()
    objective = _log_likelihood(counts, theta, n, points, prior_precision)

    for _ in range(MAX_ITERATIONS):
        probability = expit(theta[counts.first] - theta[counts.second])
        residual = points - n * probability
        gradient = _spread(counts, residual) - prior_precision * theta
        curvature = n * probability * (1.0 - probability)
        hessian = _gauged(_laplacian(counts, curvature), prior_precision)
        step = np.linalg.solve(hessian, gradient)

        # Step halving keeps every iterate at least as likely as the last one.
        scale = 1.0
        for _ in range(MAX_STEP_HALVINGS):
            candidate = theta + scale * step
            value = _log_likelihood(counts, candidate, n, points, prior_precision)
            if value >= objective - 1e-12 * abs(objective):
                break
            scale /= 2
        theta, objective = candidate, value
        if np.max(np.abs(scale * step)) < tolerance:
            centered: Vector = theta - theta.mean()
            return centered

    raise RatingsError(
        f"the Bradley-Terry fit did not converge in {MAX_ITERATIONS} Newton steps on"
        f" {counts.battles} battles; check the battles for models that only win or only lose"
    )


def sandwich_covariance(
    counts: BattleCounts, theta: Vector, prior_precision: float = 0.0
) -> Matrix:
    """Robust covariance ``H^-1 G H^-1`` of the strengths (natural-log units squared).

    ``H`` is the negative Hessian of the log-likelihood and ``G`` the sum over battles of the
    outer products of each battle's score vector. A battle of pair ``(i, j)`` with result ``y``
    (1, 0, or 1/2 for a tie) has score ``(y - p_ij) (e_i - e_j)``, so ``G`` is the Laplacian with
    pair weights ``sum (y - p_ij) ** 2`` over the pair's battles. Ties make ``G`` smaller than
    ``H``, which the model-based inverse Hessian would miss.
    """
    n = counts.battles_per_pair().astype(np.float64)
    probability = expit(theta[counts.first] - theta[counts.second])
    outcomes = counts.outcomes
    squared_residuals = (
        outcomes[:, FIRST_WON] * (1.0 - probability) ** 2
        + outcomes[:, SECOND_WON] * probability**2
        + outcomes[:, TIED] * (0.5 - probability) ** 2
    )
    meat = _laplacian(counts, squared_residuals)
    bread = _gauged(_laplacian(counts, n * probability * (1.0 - probability)), prior_precision)
    inverse = np.linalg.inv(bread)
    covariance: Matrix = inverse @ meat @ inverse
    return (covariance + covariance.T) / 2


def _log_likelihood(
    counts: BattleCounts, theta: Vector, n: Vector, points: Vector, prior_precision: float
) -> float:
    difference = theta[counts.first] - theta[counts.second]
    value = float(np.sum(points * difference - n * np.logaddexp(0.0, difference)))
    return value - 0.5 * prior_precision * float(theta @ theta)


def _spread(counts: BattleCounts, per_pair: Vector) -> Vector:
    """Add each pair's value to its first model and subtract it from its second."""
    size = len(counts.models)
    # bincount with float weights returns float64; the stubs only know integer results.
    added = np.bincount(counts.first, per_pair, size).astype(np.float64, copy=False)
    subtracted = np.bincount(counts.second, per_pair, size).astype(np.float64, copy=False)
    spread: Vector = added - subtracted
    return spread


def _laplacian(counts: BattleCounts, weights: Vector) -> Matrix:
    """Build the weighted Laplacian ``sum w_k (e_i - e_j)(e_i - e_j)^T`` over pairs ``(i, j)``."""
    size = len(counts.models)
    matrix = np.zeros((size, size))
    # Pairs are unique, so plain assignment never drops a repeated index.
    matrix[counts.first, counts.second] = -weights
    matrix[counts.second, counts.first] = -weights
    degree = np.bincount(counts.first, weights, size) + np.bincount(counts.second, weights, size)
    matrix[np.diag_indices(size)] = degree
    return matrix


def _gauged(laplacian: Matrix, prior_precision: float) -> Matrix:
    """``laplacian + prior_precision * I + J / m``: invertible, and equal on sum-zero vectors."""
    size = laplacian.shape[0]
    matrix: Matrix = laplacian + 1.0 / size
    matrix[np.diag_indices(size)] += prior_precision
    return matrix


def prior_precision_for(prior_sd_elo: float | None, elo_per_nat: float) -> float:
    """Precision (1 / natural-log units squared) of a Normal prior with SD ``prior_sd_elo``."""
    if prior_sd_elo is None:
        return 0.0
    if not math.isfinite(prior_sd_elo) or prior_sd_elo <= 0:
        raise ValueError(
            f"the prior SD must be a positive number of Elo points, got {prior_sd_elo}"
        )
    return float((elo_per_nat / prior_sd_elo) ** 2)
