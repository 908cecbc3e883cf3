"""Bradley-Terry ratings: hand-worked values, invariances, anchors and the failure reports."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelvs.stats import battle_counts
from modelvs.stats.battle_counts import InvalidBattleError, count_battles
from modelvs.stats.bradley_terry import RatingsError
from modelvs.stats.ratings import (
    ELO_PER_NAT,
    Anchor,
    RatingOptions,
    Ratings,
    ranks_from_intervals,
    rate_models,
)
from modelvs.stats.significance import Z_95

Rows = list[tuple[str, str, str]]


def rate(rows: Rows, options: RatingOptions | None = None) -> Ratings:
    model_a, model_b, winner = zip(*rows, strict=True) if rows else ((), (), ())
    return rate_models(count_battles(list(model_a), list(model_b), list(winner)), options)


def by_model(ratings: Ratings) -> dict[str, float]:
    return {rating.model: rating.rating for rating in ratings.models}


def zermelo_ratings(rows: Rows) -> dict[str, float]:
    """An independent fit: Zermelo's fixed-point iteration on the win counts (ties as halves).

    pi_i <- W_i / sum_j n_ij / (pi_i + pi_j), normalised to a geometric mean of 1, converges
    to the same maximum-likelihood strengths as Newton's method.
    """
    models = sorted({name for row in rows for name in row[:2]})
    wins = dict.fromkeys(models, 0.0)
    games: Counter[tuple[str, str]] = Counter()
    for a, b, winner in rows:
        games[(a, b)] += 1
        games[(b, a)] += 1
        if winner == "model_a":
            wins[a] += 1
        elif winner == "model_b":
            wins[b] += 1
        else:
            wins[a] += 0.5
            wins[b] += 0.5
    strength = dict.fromkeys(models, 1.0)
    for _ in range(20_000):
        updated = {
            i: wins[i] / sum(games[(i, j)] / (strength[i] + strength[j]) for j in models if j != i)
            for i in models
        }
        log_mean = sum(math.log(value) for value in updated.values()) / len(models)
        strength = {i: value / math.exp(log_mean) for i, value in updated.items()}
    return {i: 1000 + 400 * math.log10(value) for i, value in strength.items()}


def test_two_models_hand_worked() -> None:
    # A won 3 of 4: the odds are 3:1, so the gap is 400 log10(3) = 190.85 Elo around 1000.
    ratings = rate([("A", "B", "model_a")] * 3 + [("A", "B", "model_b")])
    gap = 400 * math.log10(3)
    assert by_model(ratings)["A"] == pytest.approx(1000 + gap / 2, abs=1e-6)
    assert by_model(ratings)["B"] == pytest.approx(1000 - gap / 2, abs=1e-6)

    # Sandwich: Var(d) = sum (y - p)^2 / (n p (1 - p))^2 = 0.75 / 0.75^2, and theta_A = d / 2.
    half_width = Z_95 * ELO_PER_NAT * math.sqrt((0.75 / 0.75**2) / 4)
    top = ratings.models[0]
    assert top.upper - top.rating == pytest.approx(half_width, abs=1e-6)
    assert top.rating - top.lower == pytest.approx(half_width, abs=1e-6)


def test_ties_count_as_half_wins() -> None:
    # 2 wins, 1 loss, 2 ties: 3 points of 5, odds 3:2.
    rows = [("A", "B", "model_a")] * 2 + [("A", "B", "model_b")]
    rows += [("A", "B", "tie"), ("A", "B", "tie (bothbad)")]
    ratings = rate(rows)
    gap = 400 * math.log10(1.5)
    assert by_model(ratings)["A"] - by_model(ratings)["B"] == pytest.approx(gap, abs=1e-6)

    # The ties shrink the meat: 2 (0.4)^2 + 0.6^2 + 2 (0.1)^2 = 0.70, bread 5 * 0.24 = 1.2.
    half_width = Z_95 * ELO_PER_NAT * math.sqrt((0.70 / 1.2**2) / 4)
    assert ratings.models[0].upper - ratings.models[0].rating == pytest.approx(half_width)


def test_three_models_match_zermelo() -> None:
    rows = (
        [("A", "B", "model_a")] * 7
        + [("A", "B", "model_b")] * 3
        + [("B", "C", "model_a")] * 6
        + [("C", "B", "model_a")] * 2
        + [("B", "C", "tie")] * 2
        + [("C", "A", "model_a")] * 1
        + [("A", "C", "model_a")] * 5
    )
    expected = zermelo_ratings(rows)
    found = by_model(rate(rows))
    for model, rating in expected.items():
        assert found[model] == pytest.approx(rating, abs=1e-6), model
    assert sum(found.values()) / 3 == pytest.approx(1000, abs=1e-9)


# Random battles among four models that always include a cycle of wins, so every fit exists.
CYCLE: Rows = [("m0", "m1", "model_a"), ("m1", "m2", "model_a"), ("m2", "m3", "model_a")]
CYCLE += [("m3", "m0", "model_a")]
battle = st.tuples(
    st.sampled_from(["m0", "m1", "m2", "m3"]),
    st.sampled_from(["m0", "m1", "m2", "m3"]),
    st.sampled_from(["model_a", "model_b", "tie", "both_bad", "tie (bothbad)"]),
).filter(lambda row: row[0] != row[1])
battle_lists = st.lists(battle, max_size=60).map(lambda rows: CYCLE + rows)


def assert_same_ratings(left: Ratings, right: Ratings) -> None:
    assert [r.model for r in left.models] == [r.model for r in right.models]
    for a, b in zip(left.models, right.models, strict=True):
        assert a.rating == pytest.approx(b.rating, abs=1e-7)
        assert a.lower == pytest.approx(b.lower, abs=1e-7)
        assert a.upper == pytest.approx(b.upper, abs=1e-7)
        assert a.votes == b.votes


def swapped(rows: Rows) -> Rows:
    flip = {"model_a": "model_b", "model_b": "model_a"}
    return [(b, a, flip.get(winner, winner)) for a, b, winner in rows]


@settings(max_examples=60, deadline=None)
@given(battle_lists)
def test_swapping_sides_changes_nothing(rows: Rows) -> None:
    assert_same_ratings(rate(rows), rate(swapped(rows)))


@settings(max_examples=60, deadline=None)
@given(battle_lists, st.randoms(use_true_random=False))
def test_row_order_changes_nothing(rows: Rows, random: object) -> None:
    shuffled = list(rows)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert_same_ratings(rate(rows), rate(shuffled))


@settings(max_examples=60, deadline=None)
@given(battle_lists)
def test_precounted_rows_give_same_ratings(rows: Rows) -> None:
    cells = Counter(rows)
    model_a = [cell[0] for cell in cells]
    model_b = [cell[1] for cell in cells]
    winner = [cell[2] for cell in cells]
    precounted = rate_models(count_battles(model_a, model_b, winner, list(cells.values())))
    assert_same_ratings(rate(rows), precounted)


@settings(max_examples=40, deadline=None)
@given(battle_lists, st.floats(min_value=-3000, max_value=3000, allow_nan=False))
def test_anchor_lands_exactly(rows: Rows, value: float) -> None:
    free = rate(rows)
    anchored = rate(rows, RatingOptions(anchor=Anchor("m2", value)))
    ratings = by_model(anchored)
    assert ratings["m2"] == value
    shift = value - by_model(free)["m2"]
    for model, rating in by_model(free).items():
        assert ratings[model] == pytest.approx(rating + shift, abs=1e-6)
    anchor_row = next(r for r in anchored.models if r.model == "m2")
    assert anchor_row.lower == anchor_row.upper == value


def test_anchor_with_bootstrap_lands_exactly() -> None:
    rows = CYCLE * 20 + [("m0", "m2", "model_a")] * 15 + [("m1", "m3", "tie")] * 9
    options = RatingOptions(interval="bootstrap", seed=5, anchor=Anchor("m1", 1250.5))
    anchored = rate(rows, options)
    row = next(r for r in anchored.models if r.model == "m1")
    assert row.rating == row.lower == row.upper == 1250.5


def test_anchor_without_battles_rejected() -> None:
    with pytest.raises(Exception, match="'zeta' has no battles"):
        rate(CYCLE, RatingOptions(anchor=Anchor("zeta", 1200)))


def test_disconnected_graph_names_groups() -> None:
    rows = [("A", "B", "model_a"), ("B", "A", "model_a"), ("C", "D", "tie"), ("D", "C", "tie")]
    with pytest.raises(RatingsError) as failure:
        rate(rows)
    message = str(failure.value)
    assert "2 groups with no battle between them" in message
    assert "'A', 'B'" in message
    assert "'C', 'D'" in message


def test_model_with_only_wins_reported() -> None:
    rows = [*CYCLE, ("top", "m0", "model_a"), ("m2", "top", "model_b")]
    with pytest.raises(RatingsError) as failure:
        rate(rows)
    message = str(failure.value)
    assert "'top' won every battle it took part in" in message
    assert "prior" in message


def test_model_with_only_losses_reported() -> None:
    rows = [*CYCLE, ("m0", "last", "model_a"), ("last", "m3", "both_bad"), ("m1", "last", "tie")]
    assert rate(rows).models[-1].model == "last"  # ties give it points: finite
    rows = [*CYCLE, ("m0", "last", "model_a"), ("last", "m3", "model_b")]
    with pytest.raises(RatingsError, match="'last' lost every battle it took part in"):
        rate(rows)


def test_prior_fits_only_wins_with_warning() -> None:
    rows = [*CYCLE, ("top", "m0", "model_a"), ("m2", "top", "model_b")]
    ratings = rate(rows, RatingOptions(prior_sd_elo=400))
    assert ratings.models[0].model == "top"
    assert all(math.isfinite(r.upper) for r in ratings.models)
    assert ratings.prior_sd_elo == 400
    assert len(ratings.warnings) == 1
    assert "'top' won every battle" in ratings.warnings[0]
    assert "prior (SD 400 Elo)" in ratings.warnings[0]


def test_group_that_never_lost_reported() -> None:
    rows = [*CYCLE, ("X", "Y", "model_a"), ("Y", "X", "model_a"), ("X", "m0", "model_a")]
    with pytest.raises(RatingsError, match="The group 'X', 'Y' won every battle against"):
        rate(rows)


def test_no_battles_rejected() -> None:
    with pytest.raises(RatingsError, match="no battles"):
        rate([])


def test_unknown_outcome_names_row() -> None:
    with pytest.raises(InvalidBattleError) as failure:
        count_battles(["A", "A", "B"], ["B", "B", "A"], ["model_a", "tie", "draw"])
    assert failure.value.row == 3
    assert "row 3: unknown outcome label 'draw'" in str(failure.value)


def test_self_battle_names_row() -> None:
    with pytest.raises(InvalidBattleError, match="row 2: model_a and model_b are both 'A'"):
        count_battles(["A", "A"], ["B", "A"], ["model_a", "tie"])


def test_empty_model_name_names_row() -> None:
    with pytest.raises(InvalidBattleError, match="row 2: model_b is ''"):
        count_battles(["A", "A"], ["B", ""], ["model_a", "tie"])
    with pytest.raises(InvalidBattleError, match="row 1: model_a is None"):
        count_battles([None], ["B"], ["tie"])  # type: ignore[list-item]


def test_zero_counts_leave_no_model_behind() -> None:
    counts = count_battles(
        ["A", "B", "A"], ["B", "A", "C"], ["model_a", "model_a", "tie"], [2, 1, 0]
    )
    assert counts.models == ("A", "B")
    assert counts.battles == 3


def test_rank_counts_models_clearly_above() -> None:
    lower = np.array([1100.0, 1090.0, 1000.0, 900.0])
    upper = np.array([1200.0, 1150.0, 1095.0, 1010.0])
    assert ranks_from_intervals(lower, upper).tolist() == [1, 1, 2, 3]


def test_provisional_below_vote_threshold() -> None:
    rows = CYCLE * 5 + [("m0", "m1", "tie")] * 30
    ratings = rate(rows, RatingOptions(min_votes=20))
    votes = {r.model: r.votes for r in ratings.models}
    assert votes == {"m0": 40, "m1": 40, "m2": 10, "m3": 10}
    provisional = {r.model for r in ratings.models if r.provisional}
    assert provisional == {"m2", "m3"}
    assert not any(r.provisional for r in rate(rows, RatingOptions(min_votes=10)).models)


def test_bootstrap_is_seeded_and_recorded() -> None:
    rows = CYCLE * 15 + [("m0", "m2", "model_a")] * 12 + [("m1", "m3", "tie")] * 8
    first = rate(rows, RatingOptions(interval="bootstrap", bootstrap_rounds=50, seed=11))
    again = rate(rows, RatingOptions(interval="bootstrap", bootstrap_rounds=50, seed=11))
    other = rate(rows, RatingOptions(interval="bootstrap", bootstrap_rounds=50, seed=12))
    assert first.bootstrap is not None
    assert first.bootstrap.seed == 11
    assert first.bootstrap.rounds == 50
    assert [r.lower for r in first.models] == [r.lower for r in again.models]
    assert [r.lower for r in first.models] != [r.lower for r in other.models]
    assert by_model(first) == by_model(rate(rows))


def test_bootstrap_draws_seed_when_missing() -> None:
    rows = CYCLE * 15 + [("m0", "m2", "model_a")] * 12
    ratings = rate(rows, RatingOptions(interval="bootstrap", bootstrap_rounds=20))
    assert ratings.bootstrap is not None
    assert ratings.bootstrap.seed >= 0
    assert ratings.to_dict()["bootstrap"]["seed"] == ratings.bootstrap.seed


def test_sparse_counting_matches_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    names = [f"model-{i}" for i in range(30)]
    side_a = rng.integers(0, 30, 2_000)
    side_b = (side_a + rng.integers(1, 30, 2_000)) % 30
    labels = ["model_a", "model_b", "tie", "both_bad"]
    columns = (
        [names[i] for i in side_a],
        [names[i] for i in side_b],
        [labels[i] for i in rng.integers(0, 4, 2_000)],
        rng.integers(0, 3, 2_000).tolist(),
    )
    dense = count_battles(*columns)
    monkeypatch.setattr(battle_counts, "MAX_DENSE_CELLS", 0)
    sparse = count_battles(*columns)
    assert sparse.models == dense.models
    assert sparse.first.tolist() == dense.first.tolist()
    assert sparse.second.tolist() == dense.second.tolist()
    assert sparse.outcomes.tolist() == dense.outcomes.tolist()
    assert dense.battles == sum(columns[3])
