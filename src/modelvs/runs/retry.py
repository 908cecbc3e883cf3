"""Bounded retries with exponential backoff, full jitter and the server's Retry-After.

Full jitter draws each wait uniformly from [0, min(cap, base * 2**n)] for the n-th retry, which
spreads retries of many concurrent requests apart. When the server sends a Retry-After header
(a number of seconds or an HTTP-date), the wait is at least that long.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from modelvs.runs.client import AttemptError, Completion

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry a failed request."""

    retries: int
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    # A longer Retry-After fails the item at once; resuming the run later sends it again.
    retry_after_max_s: float = 300.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """The completion, or the error of the last attempt, and how many requests were sent."""

    completion: Completion | None
    error: str | None
    attempts: int


def backoff_s(policy: RetryPolicy, retry_number: int, rng: random.Random) -> float:
    """Draw the wait before retry ``retry_number`` (0 for the first retry), in seconds."""
    ceiling_s = min(policy.backoff_cap_s, policy.backoff_base_s * 2.0**retry_number)
    return rng.uniform(0.0, ceiling_s)


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Return the wait that a Retry-After header requests, in seconds, or None if invalid.

    The header is either a number of seconds or an HTTP-date; a date in the past means no wait.
    Fractional seconds are accepted although the standard only allows whole ones.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)  # HTTP-dates are always GMT
    return max(0.0, (when - now).total_seconds())


async def send_with_retries(
    send: Callable[[], Awaitable[Completion]],
    policy: RetryPolicy,
    rng: random.Random,
    label: str,
) -> Outcome:
    """Call ``send`` until it succeeds, fails for good, or the retries run out.

    ``label`` names the item in log lines, such as "endpoint local, prompt receipt".
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return Outcome(await send(), None, attempt)
        except AttemptError as exc:
            error = exc

        tries = f" (after {attempt} attempts)" if attempt > 1 else ""
        if not error.retryable or attempt > policy.retries:
            return Outcome(None, f"{error}{tries}", attempt)

        wait_s = backoff_s(policy, attempt - 1, rng)
        retry_after_s = parse_retry_after(error.retry_after, dt.datetime.now(dt.UTC))
        if retry_after_s is not None and retry_after_s > policy.retry_after_max_s:
            return Outcome(
                None,
                f"{error}{tries}; the server asked to wait {retry_after_s:.0f} s (Retry-After),"
                f" more than the {policy.retry_after_max_s:.0f} s limit; resume the run later",
                attempt,
            )
        if retry_after_s is not None:
            wait_s = max(wait_s, retry_after_s)

        log.warning(
            "%s: attempt %d of %d failed: %s; retrying in %.2f s",
            label,
            attempt,
            policy.retries + 1,
            error,
            wait_s,
        )
        await asyncio.sleep(wait_s)
