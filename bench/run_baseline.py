"""The baseline client of bench/run_overhead.py: what any client pays on this machine.

It keeps one connection per request in flight, writes each request whole and watches the
bytes for ``data: [DONE]`` and the end of the chunked body, with no HTTP or JSON parsing,
no retries and no storage. Its latency minus the server's handling time is the cost of the
loopback, the kernel and the server's event loop, which no client can avoid.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

import uvloop

DONE = b"data: [DONE]"
BODY_END = b"\r\n0\r\n\r\n"
# Enough of the previous read to find a marker split across two reads.
TAIL_BYTES = 16


class _Exchange(asyncio.Protocol):
    """One keep-alive connection that carries one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.finished: asyncio.Future[float] | None = None
        self._done_at: float | None = None
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, request: bytes) -> float:
        assert self.transport is not None
        self.finished = asyncio.get_running_loop().create_future()
        self._done_at, self._tail = None, b""
        started = time.perf_counter()
        self.transport.write(request)
        return started

    def data_received(self, data: bytes) -> None:
        seen = self._tail + data
        if self._done_at is None and DONE in seen:
            self._done_at = time.perf_counter()
        self._tail = seen[-TAIL_BYTES:]
        if seen.endswith(BODY_END) and self.finished is not None and self._done_at is not None:
            self.finished.set_result(self._done_at)


def _request(host: str, path: str, prompt: str) -> bytes:
    body = json.dumps(
        {
            "model": "m",
            "messages": [{"role": "user", "content": prompt}],
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": 1024,
        }
    ).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    return head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _send_all(base_url: str, prompts: list[str], concurrency: int) -> dict[str, float]:
    url = urlsplit(base_url + "/chat/completions")
    host, port = url.hostname, url.port
    assert host is not None and port is not None
    loop = asyncio.get_running_loop()
    latencies: dict[str, float] = {}
    waiting = list(reversed(prompts))

    async def worker() -> None:
        connecting = time.perf_counter()
        _, exchange = await loop.create_connection(_Exchange, host, port)
        first = True
        while waiting:
            prompt = waiting.pop()
            started = exchange.send(_request(url.netloc, url.path, prompt))
            if first:
                # Its latency includes opening the connection, as a run's first requests do.
                started, first = connecting, False
            assert exchange.finished is not None
            latencies[prompt] = await exchange.finished - started
        assert exchange.transport is not None
        exchange.transport.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def run_baseline(
    base_url: str, prompts: list[str], concurrency: int
) -> tuple[dict[str, float], float]:
    """Send ``prompts``, ``concurrency`` at a time; return latencies by prompt and CPU seconds."""
    cpu_started_s = time.process_time()
    latencies = uvloop.run(_send_all(base_url, prompts, concurrency))
    return latencies, time.process_time() - cpu_started_s
