"""Incremental parser of an OpenAI chat completions event stream (server-sent events).

The parser takes raw bytes as they arrive, in chunks of any size, and follows the SSE rules of
the HTML standard. Lines end with LF, CRLF or CR, and a blank line ends an event. The ``data:``
lines of one event are joined with LF. Lines starting with ``:`` are comments, which OpenRouter
sends as keep-alives, and other fields are ignored. Each event's data is one JSON chunk of the
completion, and ``data: [DONE]`` ends the stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

DONE = b"[DONE]"
_DECODER = json.JSONDecoder()
# How much of a bad event to quote in an error message.
QUOTE_BYTES = 120


class StreamError(Exception):
    """The event stream cannot be used; the message gives the reason."""


class MalformedStreamError(StreamError):
    """An event is not valid JSON or not shaped like a chat completion chunk."""


class ServerStreamError(StreamError):
    """The server sent an error object inside the stream."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts from the server's usage report."""

    input_tokens: int
    output_tokens: int


class CompletionStream:
    """Accumulates the text, finish reason and usage of one streamed completion."""

    def __init__(self) -> None:
        self._pending = b""
        self._data_lines: list[bytes] = []
        self._parts: list[str] = []
        # Parts whose UTF-8 size is already in _counted_bytes; see text_bytes().
        self._counted_parts = 0
        self._counted_bytes = 0
        self.events = 0
        # Chunks that carried content or reasoning text.
        self.token_events = 0
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.done = False

    @property
    def text(self) -> str:
        return "".join(self._parts)

    @property
    def has_token(self) -> bool:
        return self.token_events > 0

    @property
    def pending_bytes(self) -> int:
        """Size of the unfinished line and event that wait for more bytes."""
        return len(self._pending) + sum(len(line) for line in self._data_lines)

    def text_bytes(self) -> int:
        """Return the UTF-8 size of the output text so far.

        Each part is encoded once, on the first call after it arrived, so callers that check
        the size after every body piece pay for each part once, not for the whole text each time.
        """
        parts = self._parts
        for index in range(self._counted_parts, len(parts)):
            self._counted_bytes += len(parts[index].encode())
        self._counted_parts = len(parts)
        return self._counted_bytes

    def feed(self, chunk: bytes) -> None:
        """Parse the complete lines of ``chunk``; keep a partial last line for the next call."""
        if not self._pending and not self._data_lines and b"\r" not in chunk:
            chunk = self._feed_whole_events(chunk)
        buffer = self._pending + chunk if self._pending else chunk
        start = 0
        size = len(buffer)
        while start < size and not self.done:
            newline = buffer.find(b"\n", start)
            carriage = buffer.find(b"\r", start, newline if newline != -1 else size)
            if carriage != -1:
                if carriage == size - 1:
                    break  # a CR at the end may be the first half of a CRLF split across chunks
                end = carriage
                following = carriage + 2 if buffer[carriage + 1] == 0x0A else carriage + 1
            elif newline != -1:
                end = newline
                following = newline + 1
            else:
                break
            self._line(buffer[start:end])
            start = following
        self._pending = b"" if self.done else buffer[start:]

    def finish(self) -> None:
        """Handle the end of the body: a last ``data: [DONE]`` counts without its blank line.

        Any other unfinished event is dropped, as the SSE rules require. The caller then sees
        that no finish reason arrived.
        """
        if self.done:
            return
        pending = self._pending.rstrip(b"\r")
        self._pending = b""
        if pending:
            self._line(pending)
        if self._data_lines and b"\n".join(self._data_lines).strip() == DONE:
            self._dispatch()

    def _line(self, line: bytes) -> None:
        if not line:
            if self._data_lines:
                self._dispatch()
            return
        if line.startswith(b":"):
            return
        name, _, value = line.partition(b":")
        if name == b"data":
            self._data_lines.append(value[1:] if value.startswith(b" ") else value)

    def _feed_whole_events(self, chunk: bytes) -> bytes:
        """Handle the whole one-line ``data:`` events at the start of ``chunk``, return the rest.

        Servers write events like that, with LF line ends, so nearly every event skips the
        line-by-line parser (4.3 instead of 4.8 microseconds per event in a micro-benchmark).
        The rest (comments, other fields, several data lines, a partial event) goes to it.
        """
        start = 0
        while not self.done:
            end = chunk.find(b"\n\n", start)
            if end == -1 or not chunk.startswith(b"data:", start):
                break
            if chunk.find(b"\n", start, end) != -1:
                break
            value_start = start + 6 if chunk.startswith(b" ", start + 5) else start + 5
            self._handle_event(chunk[value_start:end])
            start = end + 2
        return b"" if self.done else chunk[start:]

    def _dispatch(self) -> None:
        data = b"\n".join(self._data_lines)
        self._data_lines = []
        self._handle_event(data)

    def _handle_event(self, data: bytes) -> None:
        self.events += 1
        if data.strip() == DONE:
            self.done = True
            return
        try:
            chunk = _parse_json(data.decode())  # event streams are UTF-8 by definition
        except (ValueError, RecursionError):  # deeply nested JSON raises RecursionError
            raise MalformedStreamError(
                f"event {self.events} is not valid JSON: {data[:QUOTE_BYTES]!r}"
            ) from None
        if not isinstance(chunk, dict):
            raise MalformedStreamError(
                f"event {self.events} is not a JSON object: {data[:QUOTE_BYTES]!r}"
            )
        self.apply_chunk(chunk)

    def apply_chunk(self, chunk: dict[str, Any]) -> None:
        """Add one completion chunk (or a whole non-streamed completion) to the result."""
        if "error" in chunk:
            raise ServerStreamError(f"the server sent an error: {error_message(chunk['error'])}")
        choices = chunk.get("choices") or []
        if not isinstance(choices, list):
            raise MalformedStreamError(f"event {self.events}: 'choices' is not a list")
        for choice in choices:
            if isinstance(choice, dict) and choice.get("index", 0) == 0:
                self._apply_choice(choice)
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = parse_usage(usage) or self.usage

    def _apply_choice(self, choice: dict[str, Any]) -> None:
        # A streamed chunk carries "delta"; a whole completion (server ignored stream) "message".
        delta = choice.get("delta") or choice.get("message") or {}
        if not isinstance(delta, dict):
            raise MalformedStreamError(f"event {self.events}: 'delta' is not an object")
        content = delta.get("content")
        # Reasoning tokens (vLLM and SGLang "reasoning_content", OpenRouter "reasoning") count
        # as tokens for the timing, but only the answer is kept as the output.
        if isinstance(content, str) and content:
            self._parts.append(content)
            self.token_events += 1
        elif delta.get("reasoning_content") or delta.get("reasoning"):
            self.token_events += 1
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            self.finish_reason = reason


def _parse_json(text: str) -> Any:
    """Parse ``text`` like ``json.loads``, at about half its cost for a typical event.

    The fast path takes one JSON value with no surrounding spaces, as servers send it.
    """
    try:
        value, end = _DECODER.raw_decode(text)
    except ValueError:
        return json.loads(text)  # leading spaces, or the error message for invalid JSON
    return value if end == len(text) else json.loads(text)


def parse_usage(usage: dict[str, Any]) -> Usage | None:
    """Read the token counts of a usage object; None unless both are non-negative integers."""
    prompt = _count(usage.get("prompt_tokens"))
    completion = _count(usage.get("completion_tokens"))
    if prompt is None or completion is None:
        return None
    return Usage(prompt, completion)


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def error_message(error: Any) -> str:
    """Return the message of an OpenAI-style error object, or its JSON when it has none."""
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    if isinstance(error, str):
        return error
    return json.dumps(error)[:300]
