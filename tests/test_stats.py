"""Significance of score differences: known values and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelvs.stats.significance import (
    Z_95,
    binomial_difference,
    paired_difference,
    proportion_interval,
    stderr_difference,
)

accuracy = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
items = st.integers(min_value=1, max_value=100_000)


def test_binomial_difference_known_value() -> None:
    diff = binomial_difference(0.834, 0.881, 1000, 1000)
    expected_se = math.sqrt(0.834 * 0.166 / 1000 + 0.881 * 0.119 / 1000)
    assert diff.value == pytest.approx(-0.047)
    assert diff.stderr == pytest.approx(expected_se)
    assert diff.low == pytest.approx(-0.047 - 1.959964 * expected_se, abs=1e-6)
    assert diff.significant


def test_small_difference_not_significant() -> None:
    assert not binomial_difference(0.70, 0.69, 765, 765).significant


def test_z_is_95_percent() -> None:
    assert pytest.approx(1.959964, abs=1e-6) == Z_95


@given(accuracy, accuracy, items)
def test_swapping_models_negates_interval(p_a: float, p_b: float, n: int) -> None:
    forward = binomial_difference(p_a, p_b, n, n)
    backward = binomial_difference(p_b, p_a, n, n)
    assert forward.value == pytest.approx(-backward.value)
    assert forward.low == pytest.approx(-backward.high)
    assert forward.significant == backward.significant


@given(accuracy, accuracy, items)
def test_interval_contains_difference(p_a: float, p_b: float, n: int) -> None:
    diff = binomial_difference(p_a, p_b, n, n)
    assert diff.low <= diff.value <= diff.high


@given(accuracy, items)
def test_equal_scores_never_significant(p: float, n: int) -> None:
    assert not binomial_difference(p, p, n, n).significant


@given(accuracy, accuracy, st.integers(min_value=10, max_value=5000))
def test_more_items_narrow_interval(p_a: float, p_b: float, n: int) -> None:
    small = binomial_difference(p_a, p_b, n, n)
    large = binomial_difference(p_a, p_b, n * 4, n * 4)
    assert large.high - large.low <= small.high - small.low + 1e-12


@pytest.mark.parametrize(("p_a", "n"), [(1.2, 10), (-0.1, 10), (0.5, 0)])
def test_invalid_inputs_rejected(p_a: float, n: int) -> None:
    with pytest.raises(ValueError, match=r"outside \[0, 1\]|must be positive"):
        binomial_difference(p_a, 0.5, n, n)


def test_paired_difference_uses_item_pairs() -> None:
    a = [1, 1, 1, 0, 1, 1, 0, 1, 1, 1] * 20
    b = [1, 0, 1, 0, 1, 0, 0, 1, 0, 1] * 20
    diff = paired_difference(a, b)
    assert diff.value == pytest.approx(0.3)
    assert diff.significant


def test_paired_difference_needs_same_items() -> None:
    with pytest.raises(ValueError, match="same items"):
        paired_difference([1, 0, 1], [1, 0])


def test_stderr_difference_combines_errors() -> None:
    diff = stderr_difference(0.015, 0.006, 0.008)
    assert diff.stderr == pytest.approx(0.01)
    assert diff.significant is False


@given(accuracy, items)
def test_proportion_interval_clamped(p: float, n: int) -> None:
    low, high = proportion_interval(p, n)
    assert 0.0 <= low <= p <= high <= 1.0
