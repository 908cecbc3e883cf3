"""HTTP/1.1 POST requests over asyncio connections, parsed by llhttp (httptools).

Runs need one thing from HTTP: send a POST and hand each piece of the response body to the
caller as it arrives. Here the body goes from the socket to the caller's callback inside the
event loop's read callback. General clients (aiohttp, httpx) put it in a stream object and
wake the reading task for every piece. At 100 streams in flight, aiohttp's median overhead was
5.5 ms against 2.4 to 2.7 ms for this client, against the same server (docs/benchmarks.md).

Supported: POST with a body, and responses with a Content-Length, a chunked body or a body
ended by closing the connection. Keep-alive connections are reused per origin, and TLS uses the
system's certificates through the ``ssl`` module. Not supported: proxies, redirects,
compression (requests ask for the identity encoding), cookies and HTTP/2.

Each request has three time limits: a connect timeout, a read timeout (the longest wait for the
next bytes) and a total timeout from the start of the request to the end of its response. One
timer per connection checks both the read and the total timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import cast

import httptools

from modelvs.runs.wire_request import (
    ConnectError,
    ConnectTimeoutError,
    DisconnectedError,
    Origin,
    ProtocolError,
    ReadTimeoutError,
    RequestError,
    TotalTimeoutError,
    UntrustedCertificateError,
    WireError,
    WrongSchemeError,
    request_head,
    split_url,
)

# The errors and request helpers are part of this module's interface.
__all__ = [
    "DRAIN_MAX_BYTES",
    "HEAD_MAX_BYTES",
    "BodySink",
    "ConnectError",
    "ConnectTimeoutError",
    "DisconnectedError",
    "HttpPool",
    "Origin",
    "ProtocolError",
    "ReadTimeoutError",
    "RequestError",
    "Response",
    "TotalTimeoutError",
    "UntrustedCertificateError",
    "WireError",
    "WrongSchemeError",
    "request_head",
    "split_url",
]

log = logging.getLogger(__name__)

# Bytes a connection reads after its caller stops reading, so that it reaches the end of the
# response and can be reused. A longer remainder is cheaper to drop with the connection.
DRAIN_MAX_BYTES = 64 * 1024

# A response head longer than this is rejected. Servers send a few kilobytes, and parsing an
# endless head would block the event loop that times every other stream.
HEAD_MAX_BYTES = 64 * 1024
# OpenSSL's reason when a server responds to a TLS client hello with bytes that are not TLS,
# such as a plain HTTP 400 response (checked with OpenSSL 3.0).
NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER"})
# A TLS record starts with its content type (0x15 alert, 0x16 handshake) and major version 3.
TLS_RECORD_STARTS = (b"\x15\x03", b"\x16\x03")

# Called with each piece of the body. It returns True once the caller has all it needs.
BodySink = Callable[[bytes], bool]


class _ExtraResponseError(Exception):
    """Raised inside the parser to stop it at bytes that follow a complete response."""


@dataclass(frozen=True, slots=True)
class _TotalLimit:
    """The total timeout of one request and the event loop time at which it ends."""

    timeout_s: float
    deadline: float


class Response:
    """Status and headers of a response, whose body is read through ``read`` or ``stream``."""

    def __init__(
        self, connection: _Connection, status: int, reason: str, headers: dict[str, str]
    ) -> None:
        self._connection = connection
        self.status = status
        self.reason = reason
        # Names are in lower case, and repeated headers are joined with ", ".
        self.headers = headers

    @property
    def content_type(self) -> str:
        """The media type without parameters, in lower case."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    async def read(self, limit_bytes: int) -> bytes:
        """Return the body, or its first ``limit_bytes`` when it is longer."""
        return await self._connection.collect(limit_bytes)

    async def stream(self, sink: BodySink) -> None:
        """Call ``sink`` with each piece of the body until it returns True or the body ends.

        An exception raised by ``sink`` is raised here, and the connection is closed.
        """
        await self._connection.stream_into(sink)


class _Connection(asyncio.Protocol):
    """Keep-alive connection that serves one request at a time."""

    def __init__(self, pool: HttpPool, origin: Origin) -> None:
        self.origin = origin
        self.closed = False
        self._pool = pool
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._read_timeout_s = 0.0
        self._last_data_at = 0.0
        # Loop time at which the total timeout of the current request ends.
        self._deadline = math.inf
        self._total_timeout_s = math.inf
        self._timer: asyncio.TimerHandle | None = None
        self.requests_sent = 0
        self._start_exchange()

    # The state of the current request and response.
    def _start_exchange(self) -> None:
        self._header_lines: list[tuple[str, str]] = []
        self._head_bytes = 0
        self._head_complete = False
        self._reason = ""
        self._head: asyncio.Future[Response] | None = None
        self._body: asyncio.Future[bytes] | None = None
        self._sink: BodySink | None = None
        self._received: list[bytes] = []
        self._received_bytes = 0
        self._limit_bytes: int | None = None
        self._complete = False
        self._keep_alive = False
        self._released = False
        self._failure: WireError | None = None
        self._has_length = False
        self._unsent_bytes = 0
        self.got_data = False

    @property
    def idle(self) -> bool:
        return not self.closed and self._released and self._complete

    async def send(self, data: bytes, read_timeout_s: float, limit: _TotalLimit) -> Response:
        """Write a whole request and wait for the head of its response."""
        assert self._transport is not None
        self._start_exchange()
        self._head = self._loop.create_future()
        self._read_timeout_s = read_timeout_s
        self._deadline, self._total_timeout_s = limit.deadline, limit.timeout_s
        self.requests_sent += 1
        self._transport.write(data)
        self._unsent_bytes = self._transport.get_write_buffer_size()
        self._last_data_at = self._loop.time()
        self._arm_timer()
        return await self._head

    async def collect(self, limit_bytes: int) -> bytes:
        self._limit_bytes = limit_bytes
        if not self._has_enough():
            if self._failure is not None:
                raise self._failure
            self._body = self._loop.create_future()
            await self._body
        return b"".join(self._received)[:limit_bytes]

    async def stream_into(self, sink: BodySink) -> None:
        early, self._received = self._received, []
        for piece in early:
            if sink(piece):
                return
        if self._complete:
            return
        if self._failure is not None:
            raise self._failure
        self._sink = sink
        self._body = self._loop.create_future()
        await self._body

    def release(self, reusable: bool) -> None:
        """End the caller's use: reuse the connection, let it drain, or close it."""
        self._released = True
        self._sink = None
        self._received = []
        if not reusable or self._failure is not None:
            self.close()
        elif self._complete:
            self._finish_message()
        # Otherwise the rest of the body is read and dropped, then the connection is reused.

    def close(self) -> None:
        # Abort rather than close: a gentle close waits for unsent request bytes, which a
        # server that stopped reading never takes, and would keep the socket and the body.
        if self._transport is not None and not self.closed:
            self._transport.abort()
        self.closed = True
        self._cancel_timer()

    # asyncio.Protocol callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport but have its methods.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._head is None or (self._released and self._complete):
            self.close()  # unsolicited bytes: the connection is no longer in a known state
            return
        self.got_data = True
        self._last_data_at = self._loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _ExtraResponseError):
                self.close()  # the response before those bytes is whole and stays valid
            else:
                self._fail(ProtocolError(f"invalid HTTP response: {exc.__context__!r}"))
        except httptools.HttpParserError as exc:
            self._fail(self._parse_error(exc, data))
        except httptools.HttpParserUpgrade:
            self._fail(ProtocolError("the server switched protocols, which runs do not support"))
        if not self._head_complete and not self.closed:
            self._head_bytes += len(data)
            if self._head_bytes > HEAD_MAX_BYTES:
                self._fail(
                    ProtocolError(f"the response head is longer than {HEAD_MAX_BYTES} bytes")
                )

    def eof_received(self) -> bool:
        return False  # close the transport, and let connection_lost decide what the end means

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._cancel_timer()
        self._pool.forget(self)
        if self._complete or self._head is None:
            return
        if self._head.done() and not self._has_length:
            # A body without Content-Length or chunked encoding ends when the connection does.
            self._on_complete()
            return
        reason = f" ({exc})" if exc else ""
        if self.got_data:
            message = f"the server closed the connection before the response was complete{reason}"
        else:
            message = f"the server closed the connection without sending a response{reason}"
        if not self.got_data and self.requests_sent == 1 and self.origin.scheme == "http":
            # TLS servers on OpenSSL, Python's ssl module among them, close the connection
            # without a reply when a client sends plain HTTP to them.
            message += (
                f"; if {self.origin.address} serves HTTPS, use https:// in the endpoint's base_url"
            )
        self._fail(DisconnectedError(message))

    # httptools callbacks
    def on_message_begin(self) -> None:
        if self._complete:
            # Bytes after the whole response belong to no request. Stop parsing them, and do
            # not reuse the connection.
            raise _ExtraResponseError

    def on_status(self, status: bytes) -> None:
        self._reason = status.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_lines.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:
            return  # an informational response, and the real one follows
        self._head_complete = True
        headers: dict[str, list[str]] = {}
        for key, text in self._header_lines:
            headers.setdefault(key, []).append(text)
        joined = {key: ", ".join(texts) for key, texts in headers.items()}
        codings = joined.get("transfer-encoding", "").lower().split(",")
        chunked = codings[-1].strip() == "chunked"
        self._has_length = chunked or "content-length" in joined or status in (204, 304)
        if self._head is not None and not self._head.done():
            self._head.set_result(Response(self, status, self._reason, joined))

    def on_body(self, body: bytes) -> None:
        if self._released:
            self._drain(len(body))
        elif self._sink is not None:
            self._feed_sink(self._sink, body)
        else:
            self._received.append(body)
            self._received_bytes += len(body)
            if self._body is not None and not self._body.done() and self._has_enough():
                self._body.set_result(b"")

    def on_message_complete(self) -> None:
        if self._parser.get_status_code() < 200:
            self._header_lines, self._reason = [], ""
            return
        self._on_complete()

    # Internal steps
    def _parse_error(self, exc: httptools.HttpParserError, data: bytes) -> WireError:
        if self._head_bytes == 0 and data.startswith(TLS_RECORD_STARTS):
            return WrongSchemeError(
                f"the server at {self.origin.address} responded in TLS, not plain HTTP; use"
                f" https://{self.origin.address}/... in the endpoint's base_url"
            )
        return ProtocolError(f"invalid HTTP response ({exc}), starting {data[:60]!r}")

    def _feed_sink(self, sink: BodySink, body: bytes) -> None:
        try:
            enough = sink(body)
        except Exception as exc:
            self._sink = None
            if self._body is not None and not self._body.done():
                self._body.set_exception(exc)
            # The caller gets the sink's own exception. This failure only marks the connection
            # as unusable for release().
            self._failure = ProtocolError("the body was rejected by its reader")
            self.close()
            return
        if enough:
            self._sink = None
            if self._body is not None and not self._body.done():
                self._body.set_result(b"")

    def _has_enough(self) -> bool:
        limit = self._limit_bytes
        return self._complete or (limit is not None and self._received_bytes >= limit)

    def _drain(self, size: int) -> None:
        self._received_bytes += size
        if self._received_bytes > DRAIN_MAX_BYTES:
            self.close()

    def _on_complete(self) -> None:
        self._complete = True
        self._keep_alive = not self.closed and self._parser.should_keep_alive()
        self._cancel_timer()
        if self._body is not None and not self._body.done():
            self._body.set_result(b"")
        if self._released:
            self._finish_message()

    def _finish_message(self) -> None:
        if self.closed or not self._keep_alive:
            self.close()
        else:
            self._pool.give_back(self)

    def _fail(self, error: WireError) -> None:
        """Raise ``error`` in the waiting caller and close the connection.

        Only the first failure is kept, because closing after it causes the later ones.
        """
        if self._failure is None:
            self._failure = error
            for waiter in (self._head, self._body):
                if waiter is not None and not waiter.done():
                    waiter.set_exception(error)
                    break
        self.close()

    def _arm_timer(self) -> None:
        self._cancel_timer()
        deadline = min(self._last_data_at + self._read_timeout_s, self._deadline)
        self._timer = self._loop.call_at(deadline, self._check_timeouts)

    def _check_timeouts(self) -> None:
        # One timer per read-timeout interval rather than one per received piece. A piece only
        # stores its arrival time, and the timer moves its deadline when it fires. The total
        # timeout's deadline only caps when the timer fires, so it costs no timer of its own.
        self._timer = None
        if self._complete or self.closed:
            return
        now = self._loop.time()
        if now >= self._deadline:
            self._fail(
                TotalTimeoutError(
                    f"timed out: the response was not complete after {self._total_timeout_s:g} s"
                    " (total timeout)"
                )
            )
            return
        assert self._transport is not None
        unsent = self._transport.get_write_buffer_size()
        if unsent < self._unsent_bytes:
            # The request body is still going out: upload progress counts as activity.
            self._last_data_at = now
        self._unsent_bytes = unsent
        if now - self._last_data_at < self._read_timeout_s:
            self._arm_timer()
            return
        self._fail(
            ReadTimeoutError(
                f"timed out: no data from the server for {self._read_timeout_s:g} s (read timeout)"
            )
        )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class HttpPool:
    """Keep-alive connections per origin, closed at the end of an ``async with`` block."""

    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self._idle: dict[Origin, list[_Connection]] = {}
        self._open: set[_Connection] = set()
        # None: the system's certificate authorities, with host name checks.
        self._tls_context = tls_context

    async def __aenter__(self) -> HttpPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def close(self) -> None:
        for connection in list(self._open):
            connection.close()
        self._open.clear()
        self._idle.clear()

    @contextlib.asynccontextmanager
    async def post(
        self,
        url: str,
        headers: dict[str, str],
        body: bytes,
        connect_timeout_s: float,
        read_timeout_s: float,
        total_timeout_s: float = math.inf,
    ) -> AsyncIterator[Response]:
        """Send a POST and yield its response once the head has arrived.

        The body can be read inside the block. When the block ends early, the connection reads
        the rest of the response in the background, so that it can be reused. The total
        timeout runs from this call, connecting included, to the end of the response.
        """
        origin, target = split_url(url)
        data = request_head(origin, target, headers, len(body)) + body
        loop = asyncio.get_running_loop()
        limit = _TotalLimit(total_timeout_s, loop.time() + total_timeout_s)
        connection, response = await self._send(
            origin, data, connect_timeout_s, read_timeout_s, limit
        )
        reusable = False
        try:
            yield response
            reusable = True
        finally:
            connection.release(reusable)

    def give_back(self, connection: _Connection) -> None:
        idle = self._idle.setdefault(connection.origin, [])
        if connection not in idle:
            idle.append(connection)

    def forget(self, connection: _Connection) -> None:
        """Drop a closed connection, so that a long run does not keep every one it opened."""
        self._open.discard(connection)
        idle = self._idle.get(connection.origin)
        if idle and connection in idle:
            idle.remove(connection)

    async def _send(
        self,
        origin: Origin,
        data: bytes,
        connect_timeout_s: float,
        read_timeout_s: float,
        limit: _TotalLimit,
    ) -> tuple[_Connection, Response]:
        """Send a request on an idle connection, or a new one, and wait for the response head."""
        connection = self._idle_connection(origin)
        if connection is not None:
            try:
                return connection, await connection.send(data, read_timeout_s, limit)
            except DisconnectedError:
                connection.release(False)
                if connection.got_data:
                    raise
            except BaseException:
                connection.release(False)
                raise
            # NOTE: the server closed the idle connection before sending a byte, which servers
            # do when they close idle connections (some after every response). The request
            # goes once more on a new connection. A server that read it and then failed
            # before answering would receive it twice.
            log.debug("idle connection to %s:%d closed, opening another", origin.host, origin.port)

        connection = await self._connect(origin, connect_timeout_s, limit)
        try:
            return connection, await connection.send(data, read_timeout_s, limit)
        except BaseException:
            connection.release(False)
            raise

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.idle:
                return connection
            self._open.discard(connection)
        return None

    async def _connect(
        self, origin: Origin, connect_timeout_s: float, limit: _TotalLimit
    ) -> _Connection:
        """Open a TCP connection and, for https, do the TLS handshake, within the connect timeout.

        The two steps are separate so that a handshake that never finishes, as with a plain
        HTTP server behind an https URL, is not reported as a failure to connect.
        """
        loop = asyncio.get_running_loop()
        timeout_s = min(connect_timeout_s, limit.deadline - loop.time())
        step = "connect"
        connection: _Connection | None = None
        try:
            async with asyncio.timeout(timeout_s):
                transport, connection = await loop.create_connection(
                    lambda: _Connection(self, origin), origin.host, origin.port
                )
                if origin.scheme == "https":
                    step = "handshake"
                    tls_transport = await loop.start_tls(
                        transport, connection, self._tls(), server_hostname=origin.host
                    )
                    if tls_transport is None:  # typeshed allows None; asyncio raises instead
                        raise ConnectionResetError("the connection closed during the handshake")
                    connection.connection_made(tls_transport)
        except BaseException as exc:
            if connection is not None:
                connection.close()
            if isinstance(exc, TimeoutError):
                deadline_first = timeout_s < connect_timeout_s
                raise _timeout_error(
                    origin, step, connect_timeout_s, limit, deadline_first
                ) from None
            if isinstance(exc, ssl.SSLError):
                raise _tls_error(origin, exc) from None
            if isinstance(exc, OSError):
                raise _connect_error(origin, exc) from None
            raise
        log.debug("opened a connection to %s:%d", origin.host, origin.port)
        self._open.add(connection)
        return connection

    def _tls(self) -> ssl.SSLContext:
        if self._tls_context is None:
            self._tls_context = ssl.create_default_context()
        return self._tls_context


def _timeout_error(
    origin: Origin, step: str, connect_timeout_s: float, limit: _TotalLimit, deadline_first: bool
) -> WireError:
    if deadline_first:
        return TotalTimeoutError(
            f"timed out: no connection to {origin.address} within the total timeout of"
            f" {limit.timeout_s:g} s"
        )
    if step == "handshake":
        return ConnectTimeoutError(
            f"timed out: the TLS handshake with {origin.address} did not finish within"
            f" {connect_timeout_s:g} s (connect timeout); if the server speaks plain HTTP, use"
            f" http://{origin.address}/... in the endpoint's base_url"
        )
    return ConnectTimeoutError(
        f"connection timed out after {connect_timeout_s:g} s (connect timeout)"
    )


def _tls_error(origin: Origin, exc: ssl.SSLError) -> WireError:
    if exc.reason in NOT_TLS_REASONS:
        return WrongSchemeError(
            f"the server at {origin.address} did not speak TLS ({exc.reason}); if it serves"
            f" plain HTTP, use http://{origin.address}/... in the endpoint's base_url"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        # Sending the request again cannot help, so this is not a connection error.
        return UntrustedCertificateError(
            f"the TLS certificate of {origin.address} is not trusted"
            f" ({exc.verify_message or exc.reason}); for a self-signed or private certificate,"
            " set SSL_CERT_FILE to a PEM file holding it (or its CA) before the run"
        )
    return ConnectError(origin.host, origin.port, exc.strerror or str(exc))


def _connect_error(origin: Origin, exc: OSError) -> ConnectError:
    reason = exc.strerror or str(exc)
    if exc.errno and exc.errno > 0 and not isinstance(exc, socket.gaierror):
        # asyncio's own loop puts "Connect call failed" in strerror, so use errno.
        reason = os.strerror(exc.errno)
    return ConnectError(origin.host, origin.port, reason)
