"""An ASGI response cache in front of the router for public, ETagged GET responses.

Pages depend only on the catalog and the date, so a response that the app marked public with an
ETag is stored and replayed without routing, validation or templating. This is what lets one
worker serve thousands of compare-page requests per second. POST requests, errors and
redirects always go through the app. When the cache is full the oldest entry is dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
App = Callable[[Scope, Receive, Send], Any]

MAX_ENTRIES = 1024
MAX_BODY_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class Entry:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes


class PageCache:
    """ASGI middleware; ``version`` returns a string that changes when pages must be rebuilt."""

    def __init__(self, app: App, version: Callable[[], str]) -> None:
        self.app = app
        self.version = version
        self._entries: OrderedDict[tuple[str, bytes, bytes], Entry] = OrderedDict()
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # HEAD requests arrive here as GET (see modelvs.web.headers), so both share entries.
        if scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        key = (self.version(), scope["raw_path"], scope["query_string"])
        entry = self._entries.get(key)
        if entry is None:
            await self.app(scope, receive, self._recorder(key, send))
            return
        if_none_match = _header(scope, b"if-none-match")
        if entry.etag in if_none_match or if_none_match.strip() == b"*":
            await send({"type": "http.response.start", "status": 304, "headers": entry.headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
        await send({"type": "http.response.body", "body": entry.body})

    def _recorder(self, key: tuple[str, bytes, bytes], send: Send) -> Send:
        state: dict[str, Any] = {"cacheable": False, "headers": [], "chunks": []}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                lookup = {name.lower(): value for name, value in headers}
                state["cacheable"] = (
                    message["status"] == 200
                    and b"etag" in lookup
                    and lookup.get(b"cache-control", b"").startswith(b"public")
                )
                state["headers"], state["etag"] = headers, lookup.get(b"etag", b"")
            elif message["type"] == "http.response.body" and state["cacheable"]:
                state["chunks"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._store(key, state)
            await send(message)

        return record

    def _store(self, key: tuple[str, bytes, bytes], state: dict[str, Any]) -> None:
        body = b"".join(state["chunks"])
        if len(body) > MAX_BODY_BYTES:
            return
        with self._lock:
            self._entries[key] = Entry(state["headers"], body, state["etag"])
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""
