"""A chat completions server on loopback for the runs tests and bench/run_overhead.py.

It speaks enough HTTP/1.1 (keep-alive, Content-Length request bodies, chunked responses) and
the OpenAI streaming protocol (SSE chunks, a final usage chunk when asked, ``data: [DONE]``) to
stand in for vLLM or OpenAI. Faults are planned per prompt text: the n-th request for a prompt
gets the n-th planned fault, and later requests succeed. Every request is recorded with the
server's own handling time, from the end of the request body to the last byte written.

A client that opens with a TLS handshake gets a plain HTTP 400 response, as HTTP servers send
for bytes that they cannot parse. With ``tls`` set, the server speaks HTTPS instead.

Run it alone for the benchmark: python -m tests.runs_server --chunks 32 --chunk-delay-s 0.02
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fault:
    """What the server does with one request instead of answering normally.

    kind is one of: ok, no_usage, no_done, slow_first_byte, status, malformed, truncated,
    hang, hang_after_done, stream_error, whole_json, echo_authorization (in an error body),
    echo_authorization_output (in the answer), keep_alive_comments (an SSE comment every
    delay_s, forever), endless_output (content events of size_bytes each until the client
    closes), huge_json (a whole JSON answer of size_bytes), gzip (a gzip-encoded stream),
    burst (the whole stream in one write).

    ``text`` replaces the answer of ok, burst and whole_json, and the error message of status.
    """

    kind: str = "ok"
    delay_s: float = 0.0
    status: int = 200
    retry_after: str | None = None
    size_bytes: int = 0
    text: str | None = None


OK = Fault()
# Maximum time that the endless faults stream, in seconds.
ENDLESS_MAX_S = 20.0


@dataclass
class RequestRecord:
    """One request as the server saw it; the Authorization header is kept for assertions."""

    prompt: str
    model: str
    fault: str
    authorization: str | None
    body: dict[str, Any]
    arrived_s: float
    handling_s: float | None = None
    # time.perf_counter() at the end of the request body and at the last byte written. On
    # Linux it reads CLOCK_MONOTONIC, so a client on the same machine can compare it with its own.
    started_at_s: float | None = None
    finished_at_s: float | None = None
    # Body bytes written by the endless faults before the client closed the connection.
    endless_bytes_sent: int = 0


@dataclass
class ChatServer:
    """The server, run on its own event loop in a background thread."""

    chunks: int | None = None
    chunk_delay_s: float = 0.0
    port: int = 0
    tls: ssl.SSLContext | None = None
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    records: list[RequestRecord] = field(default_factory=list)
    _faults: dict[str, list[Fault]] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v1"

    def plan(self, prompt: str, *faults: Fault) -> None:
        """Plan ``faults`` for the first requests of ``prompt``, in order."""
        with self._lock:
            self._faults[prompt] = list(faults)

    def requests_for(self, prompt: str) -> list[RequestRecord]:
        return [record for record in self.records if record.prompt == prompt]

    def start(self) -> ChatServer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the loopback chat server did not start within 10 s")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        loop = self.loop_factory()
        asyncio.set_event_loop(loop)
        self._loop = loop
        server = loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", self.port, ssl=self.tls)
        )
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(server.wait_closed())
            loop.close()

    def _next_fault(self, prompt: str) -> Fault:
        with self._lock:
            planned = self._faults.get(prompt)
            return planned.pop(0) if planned else OK

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await reader.readexactly(1)
            if first == b"\x16":  # a TLS record of type handshake: a client hello
                await _send_whole(writer, 400, b"Invalid HTTP request received.")
                return
            while await self._request(reader, writer, first):
                first = b""
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, first: bytes
    ) -> bool:
        """Serve one request, whose first bytes were read already; return whether to go on."""
        head = first + await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        started = time.perf_counter()

        if method == "GET" and path == "/_records":
            payload = json.dumps([asdict(record) for record in self.records]).encode()
            await _send_whole(writer, 200, payload)
            return True
        if method != "POST" or path != "/v1/chat/completions":
            await _send_whole(writer, 404, b'{"error": {"message": "not found"}}')
            return True

        request = json.loads(body)
        prompt = _prompt_text(request)
        fault = self._next_fault(prompt)
        record = RequestRecord(
            prompt,
            request.get("model", ""),
            fault.kind,
            headers.get("authorization"),
            request,
            time.monotonic(),
        )
        self.records.append(record)
        keep_open = await self._answer(writer, request, prompt, fault, headers, record)
        finished = time.perf_counter()
        record.handling_s = finished - started
        record.started_at_s = started
        record.finished_at_s = finished
        return keep_open

    async def _answer(
        self,
        writer: asyncio.StreamWriter,
        request: dict[str, Any],
        prompt: str,
        fault: Fault,
        headers: dict[str, str],
        record: RequestRecord,
    ) -> bool:
        kind = fault.kind
        if kind == "hang":
            await asyncio.sleep(3600)
        if kind == "slow_first_byte":
            await asyncio.sleep(fault.delay_s)
        if kind == "status":
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            message = fault.text if fault.text is not None else f"planned HTTP {fault.status}"
            error = {"error": {"message": message, "type": "test"}}
            await _send_whole(writer, fault.status, json.dumps(error).encode(), extra)
            return True
        if kind == "echo_authorization":
            echoed = {"error": {"message": f"bad header: {headers.get('authorization')}"}}
            await _send_whole(writer, 400, json.dumps(echoed).encode())
            return True

        words = self._answer_words(prompt) if fault.text is None else [fault.text]
        if kind == "echo_authorization_output":
            words = [f"{headers.get('authorization')} ", *words]
        if kind == "huge_json":
            words = ["x" * fault.size_bytes]
        usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(words)}
        if kind in ("whole_json", "huge_json"):
            completion = {
                "choices": [
                    {"index": 0, "message": {"content": "".join(words)}, "finish_reason": "stop"}
                ],
                "usage": usage,
            }
            await _send_whole(writer, 200, json.dumps(completion).encode())
            return True
        if kind in ("keep_alive_comments", "endless_output"):
            await _send_endless(writer, fault, record)
            return False
        if kind in ("gzip", "burst"):
            await _send_at_once(writer, _stream_body(words, usage), compress=kind == "gzip")
            return True

        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        await _send_event(writer, _chunk({"role": "assistant", "content": ""}))
        for index, word in enumerate(words):
            if kind == "truncated" and index == 2:
                writer.transport.abort()  # no terminating chunk: the body is cut short
                return False
            if kind == "malformed" and index == 1:
                writer.write(_http_chunk(b'data: {"choices": [{"delta": {"content": "x"\n\n'))
            if kind == "stream_error" and index == 1:
                await _send_event(writer, {"error": {"message": "planned overload"}})
            if self.chunk_delay_s:
                await asyncio.sleep(self.chunk_delay_s)
            await _send_event(writer, _chunk({"content": word}))
        await _send_event(writer, _chunk({}, finish_reason="stop"))
        include_usage = (request.get("stream_options") or {}).get("include_usage")
        if include_usage and kind != "no_usage":
            await _send_event(writer, {"choices": [], "usage": usage})
        if kind == "no_done":
            writer.write(b"0\r\n\r\n")  # the body ends after finish_reason, without [DONE]
            await writer.drain()
            return True
        writer.write(_http_chunk(b"data: [DONE]\n\n"))
        if kind == "hang_after_done":
            await writer.drain()
            await asyncio.sleep(3600)  # the terminating chunk never comes
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    def _answer_words(self, prompt: str) -> list[str]:
        words = f"Answer to: {prompt}".split(" ")
        if self.chunks is not None:
            words = (words * (self.chunks // len(words) + 1))[: self.chunks]
        return [word + " " for word in words[:-1]] + [words[-1]]


def answer_text(prompt: str) -> str:
    """The output the server streams for ``prompt`` when ``chunks`` is not set."""
    return f"Answer to: {prompt}"


def _prompt_text(request: dict[str, Any]) -> str:
    content = request["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return next(part["text"] for part in content if part.get("type") == "text")


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _stream_body(words: list[str], usage: dict[str, int]) -> bytes:
    events = [_chunk({"role": "assistant", "content": ""})]
    events += [_chunk({"content": word}) for word in words]
    events += [_chunk({}, finish_reason="stop"), {"choices": [], "usage": usage}]
    lines = [b"data: " + json.dumps(event).encode() + b"\n\n" for event in events]
    return b"".join(lines) + b"data: [DONE]\n\n"


async def _send_at_once(writer: asyncio.StreamWriter, body: bytes, compress: bool) -> None:
    """Write a whole event stream in one write, gzip-encoded if ``compress``."""
    if compress:
        body = gzip.compress(body)
    lines = ["HTTP/1.1 200 OK", "content-type: text/event-stream", f"content-length: {len(body)}"]
    if compress:
        lines.append("content-encoding: gzip")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()


async def _send_endless(writer: asyncio.StreamWriter, fault: Fault, record: RequestRecord) -> None:
    """Stream SSE comments or content events until the client closes the connection.

    After ENDLESS_MAX_S the server cuts the stream itself, so that a client that never stops
    reading fails its test instead of hanging it.
    """
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    if fault.kind == "keep_alive_comments":
        piece = _http_chunk(b": keep-alive\n\n")
    else:
        event = _chunk({"content": "x" * fault.size_bytes})
        piece = _http_chunk(b"data: " + json.dumps(event).encode() + b"\n\n")
    stop_at_s = time.monotonic() + ENDLESS_MAX_S
    # A closed connection ends the loop early with a ConnectionError from drain().
    while time.monotonic() < stop_at_s:
        writer.write(piece)
        await writer.drain()
        record.endless_bytes_sent += len(piece)
        await asyncio.sleep(fault.delay_s)
    writer.transport.abort()


def _http_chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _send_event(writer: asyncio.StreamWriter, event: dict[str, Any]) -> None:
    writer.write(_http_chunk(b"data: " + json.dumps(event).encode() + b"\n\n"))
    await writer.drain()


async def _send_whole(
    writer: asyncio.StreamWriter, status: int, body: bytes, extra: dict[str, str] | None = None
) -> None:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'Server Error')}"]
    lines += ["content-type: application/json", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()


@contextlib.contextmanager
def running_server(chunks: int | None = None, chunk_delay_s: float = 0.0) -> Iterator[ChatServer]:
    server = ChatServer(chunks=chunks, chunk_delay_s=chunk_delay_s).start()
    try:
        yield server
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Loopback chat completions server.")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port).")
    parser.add_argument("--chunks", type=int, default=None, help="Content chunks per answer.")
    parser.add_argument(
        "--chunk-delay-s", type=float, default=0.0, help="Pause before each content chunk, in s."
    )
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="Serve on uvloop's event loop, as uvicorn-based inference servers such as vLLM do.",
    )
    args = parser.parse_args()
    server = ChatServer(chunks=args.chunks, chunk_delay_s=args.chunk_delay_s, port=args.port)
    if args.uvloop:
        import uvloop

        server.loop_factory = uvloop.new_event_loop
    server.start()
    print(server.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
