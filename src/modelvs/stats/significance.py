"""Significance of the difference between two benchmark scores.

Without per-item results, the standard error of a difference of two accuracies ``p1`` and ``p2``
measured on the same ``n`` items is approximated by the binomial formula
``sqrt(p1 (1 - p1) / n + p2 (1 - p2) / n)``. It treats the two runs as independent, which
overstates the error when the runs are positively correlated, so the interval is conservative.
For metrics that average per-item values in [0, 1] (ANLS, relaxed accuracy), ``p (1 - p)`` bounds
the per-item variance (Bhatia-Davis inequality), so the same formula stays conservative.
With per-item results for both models, ``paired_difference`` uses the paired differences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
Z_95 = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))


@dataclass(frozen=True, slots=True)
class Difference:
    """A difference ``a - b`` on a 0-1 scale with its 95% interval."""

    value: float
    stderr: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """True when the 95% interval excludes zero."""
        return self.low > 0 or self.high < 0


def binomial_difference(p_a: float, p_b: float, items_a: int, items_b: int) -> Difference:
    """Difference of two accuracies in [0, 1] from item counts alone.

    ``items_a`` and ``items_b`` are usually both the variant's item count; they differ when a
    source evaluated a subset.
    """
    for name, p in (("p_a", p_a), ("p_b", p_b)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name}={p} is outside [0, 1]")
    if items_a <= 0 or items_b <= 0:
        raise ValueError(f"item counts must be positive, got {items_a} and {items_b}")

    variance = p_a * (1 - p_a) / items_a + p_b * (1 - p_b) / items_b
    return _interval(p_a - p_b, math.sqrt(variance))


def proportion_interval(p: float, items: int) -> tuple[float, float]:
    """Normal-approximation 95% interval of one accuracy ``p`` on ``items`` items, clamped."""
    half = Z_95 * math.sqrt(p * (1 - p) / items)
    return max(0.0, p - half), min(1.0, p + half)


def stderr_difference(value: float, stderr_a: float, stderr_b: float) -> Difference:
    """Difference whose two standard errors were published with the scores."""
    return _interval(value, math.hypot(stderr_a, stderr_b))


def paired_difference(items_a: Sequence[float], items_b: Sequence[float]) -> Difference:
    """Difference of two models' per-item results on the same items, in the same order."""
    a = np.asarray(items_a, dtype=float)
    b = np.asarray(items_b, dtype=float)
    if a.shape != b.shape or a.size < 2:
        raise ValueError(
            f"paired results need the same items, at least two: got {a.size} and {b.size}"
        )
    diffs = a - b
    stderr = float(diffs.std(ddof=1) / math.sqrt(diffs.size))
    return _interval(float(diffs.mean()), stderr)


def _interval(value: float, stderr: float) -> Difference:
    half = Z_95 * stderr
    return Difference(value=value, stderr=stderr, low=value - half, high=value + half)
