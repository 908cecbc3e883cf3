"""Arena parts without a database: pair sampling, rate limits and name matching."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelvs.arena.errors import NotEnoughModelsError, RateLimitedError
from modelvs.arena.identity import IdentityMatcher
from modelvs.arena.rate_limit import RateLimit, TokenBucketLimiter
from modelvs.arena.sampling import pick_pair, sampling_weight
from modelvs.catalog.catalog import Catalog


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_pair_favours_models_with_few_votes() -> None:
    votes = {"new": 0, "old-1": 10_000, "old-2": 10_000, "old-3": 10_000}
    pairs = [pick_pair(list(votes), votes, seed) for seed in range(2_000)]
    with_new = sum("new" in (p.model_a, p.model_b) for p in pairs)
    # Weights 1 vs 0.01: the new model is in almost every pair.
    assert with_new / len(pairs) > 0.95


def test_pair_sides_are_balanced() -> None:
    votes = {"a": 0, "b": 0}
    sides = Counter(pick_pair(["a", "b"], votes, seed).model_a for seed in range(4_000))
    assert 0.46 < sides["a"] / 4_000 < 0.54


def test_pair_draws_evenly_without_votes() -> None:
    models = ["a", "b", "c", "d"]
    seen = Counter()
    for seed in range(4_000):
        pair = pick_pair(models, {}, seed)
        seen.update([pair.model_a, pair.model_b])
    for model in models:
        assert 0.45 < seen[model] / 4_000 < 0.55


@given(st.lists(st.sampled_from("abcdef"), min_size=2), st.integers(0, 2**63 - 1))
def test_pair_is_two_eligible_models(eligible: list[str], seed: int) -> None:
    if len(set(eligible)) < 2:
        with pytest.raises(NotEnoughModelsError):
            pick_pair(eligible, {}, seed)
        return
    pair = pick_pair(eligible, {}, seed)
    assert pair.model_a != pair.model_b
    assert {pair.model_a, pair.model_b} <= set(eligible)
    assert pair == pick_pair(list(reversed(eligible)), {}, seed)
    assert pair.seed == seed


def test_sampling_weight_falls_with_votes() -> None:
    assert sampling_weight(0) == 1.0
    assert sampling_weight(99) == pytest.approx(0.1)


def test_bucket_allows_burst_then_refills() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(RateLimit(capacity=3, refill_per_s=0.5), clock=clock)
    assert [limiter.acquire("c1").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.acquire("c1")
    assert refused.retry_after_s == pytest.approx(2.0)
    assert limiter.acquire("c2").allowed  # buckets are per client

    clock.now_s += 2.0
    assert limiter.acquire("c1").allowed
    assert not limiter.acquire("c1").allowed

    clock.now_s += 3600
    assert limiter.acquire("c1").remaining == pytest.approx(2.0)  # capped at capacity


def test_bucket_check_raises_429() -> None:
    limiter = TokenBucketLimiter(RateLimit(capacity=1, refill_per_s=0.1), clock=FakeClock())
    limiter.check("c1")
    with pytest.raises(RateLimitedError, match=r"retry in 10\.0 s") as failure:
        limiter.check("c1")
    assert failure.value.http_status == 429


def test_bucket_forgets_oldest_clients() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(RateLimit(1, 0.001), clock=clock, max_clients=2)
    for client in ("a", "b", "c"):
        assert limiter.acquire(client).allowed
    assert limiter.acquire("a").allowed  # forgotten, so it starts full
    assert not limiter.acquire("c").allowed


def test_rate_limit_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="capacity must be a positive number"):
        RateLimit(capacity=0, refill_per_s=1)


def test_matcher_uses_catalog_names(catalog: Catalog) -> None:
    matcher = IdentityMatcher.from_catalog(catalog)
    assert matcher.find("I was trained by Acme Labs.") == "Acme Labs"
    assert matcher.find("call me alpha moe") == "alpha moe"
    assert matcher.find("see acme/Alpha-MoE on the hub") == "acme/Alpha-MoE"
    assert matcher.find("Gamma API, at your service") == "Gamma API"
    assert matcher.find("gamma-api.") == "gamma-api"


def test_matcher_needs_whole_words(catalog: Catalog) -> None:
    matcher = IdentityMatcher.from_catalog(catalog)
    assert matcher.find("Beta-4Bx and xbeta-4b are not names") is None
    assert matcher.find("The beta phase of research") is None
    assert matcher.find("") is None
    assert matcher.find(None) is None


def test_matcher_escapes_special_characters(catalog: Catalog) -> None:
    matcher = IdentityMatcher.from_catalog(catalog)
    assert matcher.find("evil | *model* [x](javascript:alert(1)) said hi") is not None
    assert matcher.find("evil model") is None


def test_matcher_checks_battle_models() -> None:
    matcher = IdentityMatcher(["Known"])
    match = matcher.find_in_battle("hi", "fine", "I am Mystery-7", ["mystery-7", "other"])
    assert match is not None
    assert match.reason() == "the answer B names 'Mystery-7'"
