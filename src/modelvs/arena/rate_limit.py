"""A per-client token bucket: a burst of ``capacity`` requests, refilled at a steady rate.

The buckets live in this process's memory, so each web worker process limits on its own and a
restart clears them. A deployment with N workers allows up to N times the configured rate.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from modelvs.arena.errors import RateLimitedError

# Idle buckets are forgotten beyond this many clients, least recently seen first; a forgotten
# client starts again with a full bucket.
DEFAULT_MAX_CLIENTS = 100_000


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A burst of ``capacity`` requests, refilled at ``refill_per_s`` requests per second."""

    capacity: float
    refill_per_s: float

    def __post_init__(self) -> None:
        for name, value in (("capacity", self.capacity), ("refill_per_s", self.refill_per_s)):
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"rate limit {name} must be a positive number, got {value}")


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether a request may go ahead, and when the next one may if not."""

    allowed: bool
    remaining: float
    retry_after_s: float


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated_s: float


class TokenBucketLimiter:
    """Token buckets keyed by client id; safe to share between threads."""

    def __init__(
        self,
        limit: RateLimit,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = DEFAULT_MAX_CLIENTS,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, client_id: str, cost: float = 1.0) -> RateDecision:
        """Take ``cost`` tokens from the client's bucket when it contains that many."""
        if cost > self.limit.capacity:
            raise ValueError(f"a cost of {cost} exceeds the bucket capacity {self.limit.capacity}")
        with self._lock:
            now_s = self._clock()
            bucket = self._refilled(client_id, now_s)
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return RateDecision(allowed=True, remaining=bucket.tokens, retry_after_s=0.0)
            wait_s = (cost - bucket.tokens) / self.limit.refill_per_s
            return RateDecision(allowed=False, remaining=bucket.tokens, retry_after_s=wait_s)

    def check(self, client_id: str, cost: float = 1.0) -> None:
        """Like ``acquire``, but raise RateLimitedError (HTTP 429) when the bucket is short."""
        decision = self.acquire(client_id, cost)
        if not decision.allowed:
            raise RateLimitedError(decision.retry_after_s)

    def _refilled(self, client_id: str, now_s: float) -> _Bucket:
        bucket = self._buckets.get(client_id)
        if bucket is None:
            bucket = _Bucket(tokens=self.limit.capacity, updated_s=now_s)
            self._buckets[client_id] = bucket
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(client_id)
            elapsed_s = max(0.0, now_s - bucket.updated_s)
            refill = elapsed_s * self.limit.refill_per_s
            bucket.tokens = min(self.limit.capacity, bucket.tokens + refill)
            bucket.updated_s = now_s
        return bucket
