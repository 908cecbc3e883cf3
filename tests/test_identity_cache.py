"""The identity cache: hits only for the very object it stored, bounded size."""

from __future__ import annotations

from modelvs.identity_cache import IdentityCache


def test_hit_needs_same_object_and_parts() -> None:
    cache: IdentityCache[str] = IdentityCache()
    anchor, twin = ["x"], ["x"]
    cache.put(anchor, "stored", "part")

    assert cache.get(anchor, "part") == "stored"
    assert cache.get(twin, "part") is None
    assert cache.get(anchor, "other part") is None
    assert cache.get(anchor) is None


def test_full_cache_starts_over() -> None:
    cache: IdentityCache[int] = IdentityCache(max_entries=2)
    first, second, third = object(), object(), object()
    cache.put(first, 1)
    cache.put(second, 2)
    cache.put(third, 3)

    assert cache.get(first) is None
    assert cache.get(second) is None
    assert cache.get(third) == 3
