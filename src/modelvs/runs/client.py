"""One streamed chat completions request: POST, read the event stream, time the first token.

Requests go through ``modelvs.runs.wire``, which hands each piece of the body to the event
stream parser inside the event loop's read callback. The first token and the end of the
completion are timed there, the moment their bytes are read.

Failures become ``AttemptError`` with a message for the item's error column and a flag saying
whether sending the request again could succeed. Control characters in the message, which can
come from the server's error body or reason phrase, are escaped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from modelvs.runs.control_chars import escape_control_chars_in_line
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
    TotalTimeoutError,
    UntrustedCertificateError,
    WrongSchemeError,
)

# HTTP statuses worth retrying: timeouts, rate limits and server-side failures. 501 (not
# implemented) and 505 (HTTP version) will not change on a retry.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 529})
ERROR_BODY_MAX_BYTES = 4096
ERROR_TEXT_MAX_CHARS = 300
DEFAULT_TOTAL_TIMEOUT_S = 600.0
# 4 MiB of text is about a million tokens of English, far beyond common max_tokens settings.
DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024
# JSON encodes a character in at most 6 bytes per byte of its UTF-8 form (\u0001 for a control
# byte), so a JSON body whose output text is within the output limit is at most this many times
# as long, plus the other fields.
JSON_EXPANSION_MAX = 6
JSON_FIELDS_MAX_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Connect, read and total timeouts of one request attempt, in seconds.

    The read timeout is the longest wait for the next bytes. The total timeout runs from the
    start of the request to the end of its response, so a server that keeps sending bytes
    (SSE keep-alive comments) cannot hold a request open forever.
    """

    connect_s: float
    read_s: float
    total_s: float = DEFAULT_TOTAL_TIMEOUT_S


@dataclass(frozen=True, slots=True)
class Completion:
    """A finished completion, with its times in seconds from the start of the request.

    ``ttft_s`` and ``last_token_s`` are the arrival times of the first and the last chunk with
    content or reasoning text. Both are None when no token arrived or nothing was streamed.
    """

    text: str
    finish_reason: str | None
    usage: Usage | None
    latency_s: float
    ttft_s: float | None
    last_token_s: float | None


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
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
) -> Completion:
    """Send one chat completions request and read its streamed answer.

    Latency runs from just before the request is sent to the end of the completion (the
    ``[DONE]`` event, else the end of the body). Time to first token runs to the first chunk
    that carries answer or reasoning text. Output text longer than ``max_output_bytes`` bytes
    of UTF-8 fails without retries, and reading stops there.
    """
    try:
        return await _send_chat(pool, url, headers, body, timeouts, max_output_bytes)
    except AttemptError as exc:
        message = escape_control_chars_in_line(str(exc))
        raise AttemptError(message, exc.retryable, exc.retry_after) from None


async def _send_chat(
    pool: HttpPool,
    url: str,
    headers: dict[str, str],
    body: bytes,
    timeouts: Timeouts,
    max_output_bytes: int,
) -> Completion:
    started = time.perf_counter()
    try:
        async with pool.post(
            url, headers, body, timeouts.connect_s, timeouts.read_s, timeouts.total_s
        ) as response:
            if response.status == 200:
                _check_identity_encoding(response)
                if response.content_type == "application/json":
                    return await _read_whole(response, started, max_output_bytes)
                return await _read_stream(response, started, max_output_bytes)
            # Raised after the block, so that a connection whose error body was read whole
            # is reused: retries after a 429 then need no new connection or TLS handshake.
            error = await _status_error(response, url)
    except (ConnectTimeoutError, ReadTimeoutError, TotalTimeoutError, DisconnectedError) as exc:
        raise AttemptError(str(exc), True) from None
    except ConnectError as exc:
        raise AttemptError(f"connection failed: {exc}", True) from None
    except (ProtocolError, RequestError, UntrustedCertificateError, WrongSchemeError) as exc:
        raise AttemptError(str(exc), False) from None
    raise error


class _TimedStream:
    """Event stream parser that records when tokens arrive and stops at the output limit."""

    def __init__(self, started: float, max_output_bytes: int) -> None:
        self.stream = CompletionStream()
        self.started = started
        self.max_output_bytes = max_output_bytes
        self.ttft_s: float | None = None
        self.last_token_s: float | None = None
        self.finished_s: float | None = None
        self._token_events = 0
        self._body_bytes = 0

    def feed(self, piece: bytes) -> bool:
        stream = self.stream
        stream.feed(piece)
        if stream.token_events != self._token_events:
            self._token_events = stream.token_events
            self.last_token_s = time.perf_counter() - self.started
            if self.ttft_s is None:
                self.ttft_s = self.last_token_s
        # A body is never shorter than the output text in it, because JSON strings take at
        # least as many bytes as their UTF-8 text. The text is measured only past that point.
        self._body_bytes += len(piece)
        if self._body_bytes > self.max_output_bytes:
            self._check_size()
        if stream.done:
            self.finished_s = time.perf_counter() - self.started
        return stream.done

    def _check_size(self) -> None:
        """Raise AttemptError, which stops reading the body, if the output is over the limit."""
        if self.stream.text_bytes() > self.max_output_bytes:
            raise AttemptError(_output_limit_message(self.max_output_bytes), False)
        # An unfinished event this long contains more text than the limit allows, or no output
        # at all, and would otherwise grow without bound.
        event_max_bytes = _json_body_max_bytes(self.max_output_bytes)
        if self.stream.pending_bytes > event_max_bytes:
            raise AttemptError(
                f"a stream event is longer than {event_max_bytes} bytes, more than any event"
                f" needs for output within the limit of {self.max_output_bytes} bytes; if longer"
                " outputs are expected, raise the limit with --max-output-bytes",
                False,
            )


async def _read_stream(response: Response, started: float, max_output_bytes: int) -> Completion:
    timed = _TimedStream(started, max_output_bytes)
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
    return Completion(
        stream.text,
        stream.finish_reason,
        stream.usage,
        latency_s,
        timed.ttft_s,
        timed.last_token_s,
    )


def _output_limit_message(max_output_bytes: int) -> str:
    return (
        f"the output exceeds the limit of {max_output_bytes} bytes"
        f" ({max_output_bytes / 1024 / 1024:.1f} MiB) of UTF-8 text, so reading stopped there; if"
        " longer outputs are expected, raise the limit with --max-output-bytes"
    )


def _json_body_max_bytes(max_output_bytes: int) -> int:
    return max_output_bytes * JSON_EXPANSION_MAX + JSON_FIELDS_MAX_BYTES


def _compression(response: Response) -> str | None:
    """Return the response's Content-Encoding (cut to 40 characters), or None if uncompressed."""
    encoding = response.headers.get("content-encoding", "").strip()
    return None if encoding.lower() in ("", "identity") else encoding[:40]


def _check_identity_encoding(response: Response) -> None:
    encoding = _compression(response)
    if encoding is None:
        return
    raise AttemptError(
        f"the server sent a compressed body (Content-Encoding: {encoding}), which runs"
        " do not decode. Requests ask for an uncompressed body with Accept-Encoding: identity;"
        " turn off compression in the server or in the proxy in front of it",
        False,
    )


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


async def _read_whole(response: Response, started: float, max_output_bytes: int) -> Completion:
    """Read a whole JSON completion from a server that ignored ``stream: true``."""
    body_max_bytes = _json_body_max_bytes(max_output_bytes)
    data = await response.read(body_max_bytes + 1)
    latency_s = time.perf_counter() - started
    if len(data) > body_max_bytes:
        raise AttemptError(
            f"the JSON response is longer than {body_max_bytes} bytes, more than any response"
            f" needs for output within the limit of {max_output_bytes} bytes; if longer outputs"
            " are expected, raise the limit with --max-output-bytes",
            False,
        )
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
    if stream.text_bytes() > max_output_bytes:
        raise AttemptError(_output_limit_message(max_output_bytes), False)
    # Nothing was streamed, so the token times are unknown rather than the latency.
    return Completion(stream.text, stream.finish_reason, stream.usage, latency_s, None, None)


async def _status_error(response: Response, url: str) -> AttemptError:
    data = await response.read(ERROR_BODY_MAX_BYTES)
    status = response.status
    encoding = _compression(response)
    if encoding is None:
        detail = _error_detail(data)
    else:
        detail = f"(the error body is compressed with {encoding}, which runs do not decode)"
    message = f"HTTP {status} {response.reason}".rstrip()
    location = response.headers.get("location")
    if 300 <= status < 400 and location:
        # Runs do not follow redirects, because a moved API should be fixed in the registry.
        message += f": the endpoint moved to {location[:200]}; set its base_url to match"
    elif detail:
        message += f": {detail}"
    if status == 404:
        message += (
            f"; the server has no chat completions API at {url}: check the endpoint's"
            " base_url, which usually ends in /v1 (requests go to BASE_URL/chat/completions)"
        )
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
