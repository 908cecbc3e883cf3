"""One streamed chat completions request: POST, read the event stream, time the first token.

Requests go through an ``aiohttp.ClientSession``. Its compiled HTTP parser and plain asyncio
streams use about a third of httpx2's client CPU per streamed request (docs/benchmarks.md).

Failures become ``AttemptError`` with a message for the item's error column and a flag saying
whether sending the request again could succeed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from modelvs.runs.sse import CompletionStream, StreamError, Usage, error_message

# HTTP statuses worth retrying: timeouts, rate limits and server-side failures. 501 (not
# implemented) and 505 (HTTP version) will not change on a retry.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 529})
ERROR_BODY_MAX_BYTES = 4096
ERROR_TEXT_MAX_CHARS = 300
# Limit for a whole JSON completion from a server that ignored stream=true.
JSON_BODY_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Connect timeout and read timeout (maximum wait for the next bytes), in seconds."""

    connect_s: float
    read_s: float

    def for_aiohttp(self) -> aiohttp.ClientTimeout:
        # No total limit, because a long completion that keeps streaming is fine. sock_read
        # bounds each wait for the next bytes, and per-endpoint semaphores bound the queue.
        return aiohttp.ClientTimeout(total=None, sock_connect=self.connect_s, sock_read=self.read_s)


@dataclass(frozen=True, slots=True)
class Completion:
    """A finished completion; ``ttft_s`` is None when no token arrived or nothing was streamed."""

    text: str
    finish_reason: str | None
    usage: Usage | None
    latency_s: float
    ttft_s: float | None


class AttemptError(Exception):
    """One request failed; ``retry_after`` is the server's Retry-After header, if any."""

    def __init__(self, message: str, retryable: bool, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


async def send_chat(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    body: bytes,
    timeouts: Timeouts,
) -> Completion:
    """Send one chat completions request and read its streamed answer.

    Latency runs from just before the request is sent to the end of the completion (the
    ``[DONE]`` event, else the end of the body). Time to first token runs to the first chunk
    that carries answer or reasoning text.
    """
    started = time.perf_counter()
    try:
        async with session.post(
            url, data=body, headers=headers, timeout=timeouts.for_aiohttp()
        ) as response:
            if response.status != 200:
                raise await _status_error(response)
            if response.content_type == "application/json":
                return await _read_whole(response, started)
            return await _read_stream(response, started)
    except aiohttp.ConnectionTimeoutError:
        raise AttemptError(
            f"connection timed out after {timeouts.connect_s:g} s (connect timeout)", True
        ) from None
    except (aiohttp.SocketTimeoutError, TimeoutError):
        raise AttemptError(
            f"timed out: no data from the server for {timeouts.read_s:g} s (read timeout)", True
        ) from None
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as exc:
        raise AttemptError(
            f"the server closed the connection before the response was complete ({exc})", True
        ) from None
    except aiohttp.ClientConnectorError as exc:
        reason = exc.os_error.strerror or str(exc.os_error)
        raise AttemptError(
            f"connection failed: could not connect to {exc.host}:{exc.port} ({reason})", True
        ) from None
    except aiohttp.ClientConnectionError as exc:
        raise AttemptError(f"connection failed: {type(exc).__name__}: {exc}", True) from None
    except aiohttp.ClientError as exc:
        raise AttemptError(f"HTTP error: {type(exc).__name__}: {exc}", False) from None


async def _read_stream(response: aiohttp.ClientResponse, started: float) -> Completion:
    stream = CompletionStream()
    ttft_s: float | None = None
    finished_s: float | None = None
    try:
        async for chunk in response.content.iter_any():
            if stream.done:
                continue  # drain the closing bytes so the connection returns to the pool
            stream.feed(chunk)
            if ttft_s is None and stream.has_token:
                ttft_s = time.perf_counter() - started
            if stream.done:
                finished_s = time.perf_counter() - started
    except StreamError as exc:
        raise AttemptError(f"invalid event stream: {exc}", True) from None
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, TimeoutError):
        # After [DONE] the completion is whole; a server that then stalls or drops the
        # connection costs the pooled connection, not the result.
        if not stream.done:
            raise

    if not stream.done:
        stream.finish()
    if not stream.done and stream.finish_reason is None:
        raise AttemptError(_truncated_message(stream), True)
    latency_s = finished_s if finished_s is not None else time.perf_counter() - started
    return Completion(stream.text, stream.finish_reason, stream.usage, latency_s, ttft_s)


def _truncated_message(stream: CompletionStream) -> str:
    if stream.events == 0:
        return (
            "the response contained no server-sent events; check that base_url is the"
            " OpenAI-compatible API root (it usually ends in /v1)"
        )
    return (
        f"the stream ended early: no finish_reason and no [DONE] after {stream.events} events"
        f" and {len(stream.text)} characters"
    )


async def _read_whole(response: aiohttp.ClientResponse, started: float) -> Completion:
    """Read a whole JSON completion from a server that ignored ``stream: true``."""
    data = await _read_limited(response, JSON_BODY_MAX_BYTES)
    latency_s = time.perf_counter() - started
    try:
        completion = json.loads(data)
    except ValueError:
        raise AttemptError(f"the response is not valid JSON: {data[:120]!r}", True) from None
    if not isinstance(completion, dict):
        raise AttemptError("the response is not a JSON object", True)
    stream = CompletionStream()
    try:
        stream.apply_chunk(completion)
    except StreamError as exc:
        raise AttemptError(f"invalid completion: {exc}", True) from None
    # Nothing was streamed, so the time to first token is unknown rather than the latency.
    return Completion(stream.text, stream.finish_reason, stream.usage, latency_s, None)


async def _status_error(response: aiohttp.ClientResponse) -> AttemptError:
    data = await _read_limited(response, ERROR_BODY_MAX_BYTES)
    status = response.status
    detail = _error_detail(data)
    message = f"HTTP {status} {response.reason or ''}".rstrip()
    if detail:
        message += f": {detail}"
    retryable = status in RETRYABLE_STATUSES or (status >= 500 and status not in (501, 505))
    return AttemptError(message, retryable, response.headers.get("retry-after"))


async def _read_limited(response: aiohttp.ClientResponse, limit_bytes: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        parts.append(chunk)
        size += len(chunk)
        if size >= limit_bytes:
            break
    return b"".join(parts)[:limit_bytes]


def _error_detail(data: bytes) -> str:
    """Return the error message of an error body: the JSON ``error.message``, else its text."""
    text = data.decode("utf-8", errors="replace")
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and "error" in parsed:
        text = error_message(parsed["error"])
    elif isinstance(parsed, dict) and isinstance(parsed.get("detail"), str):
        text = parsed["detail"]  # FastAPI-based servers
    text = " ".join(text.split())
    if len(text) > ERROR_TEXT_MAX_CHARS:
        text = text[:ERROR_TEXT_MAX_CHARS] + "..."
    return text
