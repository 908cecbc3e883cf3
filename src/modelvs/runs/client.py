"""One streamed chat completions request: POST, read the event stream, time the first token.

Requests go through ``modelvs.runs.wire``, which hands each piece of the body to the event
stream parser inside the event loop's read callback. The first token and the end of the
completion are timed there, the moment their bytes are read.

Failures become ``AttemptError`` with a message for the item's error column and a flag saying
whether sending the request again could succeed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from modelvs.runs.sse import CompletionStream, StreamError, Usage, error_message
from modelvs.runs.wire import (
    ConnectError,
    ConnectTimeoutError,
    DisconnectedError,
    HttpPool,
    ProtocolError,
    ReadTimeoutError,
    RequestError,
    Response,
)

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
    pool: HttpPool,
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
        async with pool.post(url, headers, body, timeouts.connect_s, timeouts.read_s) as response:
            if response.status == 200 and response.content_type == "application/json":
                return await _read_whole(response, started)
            if response.status == 200:
                return await _read_stream(response, started)
            # Raised after the block, so that a connection whose error body was read whole
            # is reused: retries after a 429 then need no new connection or TLS handshake.
            error = await _status_error(response)
    except (ConnectTimeoutError, ReadTimeoutError, DisconnectedError) as exc:
        raise AttemptError(str(exc), True) from None
    except ConnectError as exc:
        raise AttemptError(f"connection failed: {exc}", True) from None
    except (ProtocolError, RequestError) as exc:
        raise AttemptError(str(exc), False) from None
    raise error


class _TimedStream:
    """Event stream parser that also records when the completion starts and ends."""

    def __init__(self, started: float) -> None:
        self.stream = CompletionStream()
        self.started = started
        self.ttft_s: float | None = None
        self.finished_s: float | None = None

    def feed(self, piece: bytes) -> bool:
        stream = self.stream
        stream.feed(piece)
        if self.ttft_s is None and stream.has_token:
            self.ttft_s = time.perf_counter() - self.started
        if stream.done:
            self.finished_s = time.perf_counter() - self.started
        return stream.done


async def _read_stream(response: Response, started: float) -> Completion:
    timed = _TimedStream(started)
    try:
        await response.stream(timed.feed)
    except StreamError as exc:
        raise AttemptError(f"invalid event stream: {exc}", True) from None

    stream = timed.stream
    if not stream.done:
        stream.finish()
    if not stream.done and stream.finish_reason is None:
        raise AttemptError(_truncated_message(stream), True)
    latency_s = timed.finished_s
    if latency_s is None:
        latency_s = time.perf_counter() - started
    return Completion(stream.text, stream.finish_reason, stream.usage, latency_s, timed.ttft_s)


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


async def _read_whole(response: Response, started: float) -> Completion:
    """Read a whole JSON completion from a server that ignored ``stream: true``."""
    data = await response.read(JSON_BODY_MAX_BYTES)
    latency_s = time.perf_counter() - started
    try:
        completion = json.loads(data)
    except (ValueError, RecursionError):  # deeply nested JSON raises RecursionError
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


async def _status_error(response: Response) -> AttemptError:
    data = await response.read(ERROR_BODY_MAX_BYTES)
    status = response.status
    detail = _error_detail(data)
    message = f"HTTP {status} {response.reason}".rstrip()
    location = response.headers.get("location")
    if 300 <= status < 400 and location:
        # Runs do not follow redirects, because a moved API should be fixed in the registry.
        message += f": the endpoint moved to {location[:200]}; set its base_url to match"
    elif detail:
        message += f": {detail}"
    retryable = status in RETRYABLE_STATUSES or (status >= 500 and status not in (501, 505))
    return AttemptError(message, retryable, response.headers.get("retry-after"))


def _error_detail(data: bytes) -> str:
    """Return the error message of an error body: the JSON ``error.message``, else its text."""
    text = data.decode("utf-8", errors="replace")
    try:
        parsed: Any = json.loads(text)
    except (ValueError, RecursionError):  # deeply nested JSON raises RecursionError
        parsed = None
    if isinstance(parsed, dict) and "error" in parsed:
        text = error_message(parsed["error"])
    elif isinstance(parsed, dict) and isinstance(parsed.get("detail"), str):
        text = parsed["detail"]  # FastAPI-based servers
    text = " ".join(text.split())
    if len(text) > ERROR_TEXT_MAX_CHARS:
        text = text[:ERROR_TEXT_MAX_CHARS] + "..."
    return text
