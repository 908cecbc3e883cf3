"""ASGI middleware for every response: security headers, and HEAD served as GET.

It is the outermost custom middleware, so responses replayed by the page cache get the same
headers as rendered ones.
"""

from __future__ import annotations

from typing import Any

from modelvs.web.page_cache import App, Message, Receive, Scope, Send

# Scripts and styles come only from this site; inline style attributes are used by the charts.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        b" img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
]


def _with_security_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {name.lower() for name, _ in message.get("headers", [])}
            extra = [(name, value) for name, value in SECURITY_HEADERS if name not in names]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def _without_body(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return wrapped


class SecurityHeaders:
    """Add the security headers to every HTTP response and serve HEAD as GET without a body."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        if scope["method"] == "HEAD":
            # Every GET route then also supports HEAD, with the same headers and no body.
            scope = {**scope, "method": "GET"}
            send = _without_body(send)
        await self.app(scope, receive, send)
