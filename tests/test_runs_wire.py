"""The runs' HTTP/1.1 client against scripted servers on loopback, in plain and TLS."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import trustme
import uvloop

from modelvs.runs.client import AttemptError, Timeouts, send_chat
from modelvs.runs.wire import (
    DRAIN_MAX_BYTES,
    ConnectError,
    ConnectTimeoutError,
    DisconnectedError,
    HttpPool,
    Origin,
    ProtocolError,
    ReadTimeoutError,
    RequestError,
    TotalTimeoutError,
    UntrustedCertificateError,
    WrongSchemeError,
    split_url,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HEADERS = {"Content-Type": "application/json"}


@dataclass
class Scripted:
    """A loopback server whose connections are served by a test's handler."""

    url: str
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)


@contextlib.asynccontextmanager
async def scripted(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[Scripted]:
    state = Scripted(url="")
    handlers: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    state.url = f"{'https' if tls else 'http'}://localhost:{port}/v1/chat/completions"
    try:
        yield state
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


def answer(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run ``scenario`` on asyncio's own event loop, then on uvloop's, which runs use."""
    for factory in (asyncio.new_event_loop, uvloop.new_event_loop):
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(_await(scenario))


async def _await(scenario: Callable[[], Awaitable[None]]) -> None:
    await scenario()


async def post_and_read(pool: HttpPool, url: str, limit: int = 1 << 20) -> tuple[int, bytes]:
    async with pool.post(url, HEADERS, b"{}", 5.0, 5.0) as response:
        return response.status, await response.read(limit)


async def post_with_headers(pool: HttpPool, headers: dict[str, str]) -> None:
    """Post to a closed port: the request head is built, and checked, before connecting."""
    async with pool.post("http://127.0.0.1:9/v1", headers, b"{}", 1.0, 1.0):
        pass


def test_keep_alive_reuse_and_merged_headers() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(3):
            await read_request(reader)
            writer.write(answer(b"hello", b"X-Part: a\r\nX-Part: b\r\n"))

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            for _ in range(3):
                async with pool.post(server.url, HEADERS, b"{}", 5.0, 5.0) as response:
                    assert response.headers["x-part"] == "a, b"
                    assert await response.read(100) == b"hello"
            assert server.connections == 1

    run(scenario)


def test_request_head_fields() -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(answer(b"ok"))

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            await post_and_read(pool, server.url + "?a=1")

    run(scenario)
    head = seen[0].split(b"\r\n\r\n")[0].split(b"\r\n")
    assert head[0] == b"POST /v1/chat/completions?a=1 HTTP/1.1"
    assert head[1].startswith(b"Host: localhost:")
    assert b"Content-Length: 2" in head
    assert b"Accept-Encoding: identity" in head
    assert seen[0].endswith(b"\r\n\r\n{}")


def test_close_delimited_body_after_1xx() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil the end")

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            assert await post_and_read(pool, server.url) == (200, b"until the end")
            assert await post_and_read(pool, server.url) == (200, b"until the end")
            assert server.connections == 2  # a body ended by closing cannot be followed

    run(scenario)


def test_early_stop_drains_for_reuse() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            writer.write(chunk(b"one ") + chunk(b"two "))
            await asyncio.sleep(0.05)  # the rest comes after the reader has what it needs
            writer.write(chunk(b"tail") + b"0\r\n\r\n")

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            for _ in range(2):
                pieces: list[bytes] = []

                def sink(piece: bytes, pieces: list[bytes] = pieces) -> bool:
                    pieces.append(piece)
                    return b"two" in b"".join(pieces)

                async with pool.post(server.url, HEADERS, b"{}", 5.0, 5.0) as response:
                    await response.stream(sink)
                assert b"".join(pieces) == b"one two "
                await asyncio.sleep(0.1)
            assert server.connections == 1

    run(scenario)


def test_long_remainder_closes_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(b"x" * (DRAIN_MAX_BYTES * 4)))
        await writer.drain()
        await read_request(reader)  # ends when the client closes the connection

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            assert await post_and_read(pool, server.url, limit=10) == (200, b"x" * 10)
            await asyncio.sleep(0.1)
            assert await post_and_read(pool, server.url, limit=10) == (200, b"x" * 10)
            assert server.connections == 2

    run(scenario)


@pytest.mark.parametrize("head_first", [False, True])
def test_read_timeout_before_and_during_the_body(head_first: bool) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        if head_first:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await asyncio.sleep(5)

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            with pytest.raises(ReadTimeoutError, match=r"no data from the server for 0\.2 s"):
                async with pool.post(server.url, HEADERS, b"{}", 5.0, 0.2) as response:
                    await response.read(100)

    run(scenario)


def test_read_timeout_reset_by_data() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(8):
            await asyncio.sleep(0.1)
            writer.write(chunk(b"."))
        writer.write(b"0\r\n\r\n")

    async def scenario() -> None:
        # 0.8 s of body in all, but never 0.5 s without a byte.
        async with (
            scripted(handler) as server,
            HttpPool() as pool,
            pool.post(server.url, HEADERS, b"{}", 5.0, 0.5) as response,
        ):
            assert await response.read(100) == b"." * 8

    run(scenario)


def test_cut_body_garbage_and_sink_errors() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SPDY/9 what\r\n\r\n")
        await asyncio.sleep(1)

    def reject(piece: bytes) -> bool:
        raise ValueError(f"cannot use {piece!r}")

    async def scenario() -> None:
        async with HttpPool() as pool:
            async with scripted(cut) as server:
                with pytest.raises(DisconnectedError, match="before the response was complete"):
                    await post_and_read(pool, server.url)
            async with scripted(garbage) as server:
                with pytest.raises(ProtocolError, match="invalid HTTP response"):
                    await post_and_read(pool, server.url)
            async with scripted(cut) as server:
                with pytest.raises(ValueError, match="cannot use b'abc'"):
                    async with pool.post(server.url, HEADERS, b"{}", 5.0, 5.0) as response:
                        await response.stream(reject)

    run(scenario)


def test_idle_connection_closed_replaced() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(b"once"))  # then the handler returns and the server closes

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            for _ in range(5):
                assert await post_and_read(pool, server.url) == (200, b"once")
                await asyncio.sleep(0.05)
            assert server.connections == 5
            assert pool.open_connections == 0  # closed connections are not kept

    run(scenario)


def test_unsolicited_bytes_retire_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(b"a"))
        await asyncio.sleep(0.05)
        writer.write(answer(b"nobody asked"))
        await asyncio.sleep(1)

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            assert await post_and_read(pool, server.url) == (200, b"a")
            await asyncio.sleep(0.2)
            assert await post_and_read(pool, server.url) == (200, b"a")
            assert server.connections == 2

    run(scenario)


def test_header_value_breaks_rejected() -> None:
    secret = "sk-secret\r\nX-Injected: 1"

    async def scenario() -> None:
        async with HttpPool() as pool:
            for value in (secret, "sk-\u2603-snowman"):
                with pytest.raises(RequestError, match="Authorization") as caught:
                    await post_with_headers(pool, {"Authorization": value})
                assert "sk-" not in str(caught.value)

    run(scenario)


def test_refused_connection_names_host_and_port() -> None:
    async def scenario() -> None:
        async with HttpPool() as pool:
            with pytest.raises(ConnectError, match=r"could not connect to 127\.0\.0\.1:9 \("):
                await post_and_read(pool, "http://127.0.0.1:9/v1")

    run(scenario)


def test_split_url() -> None:
    assert split_url("http://[::1]:8000/v1/chat") == (Origin("http", "::1", 8000), "/v1/chat")
    assert Origin("http", "::1", 8000).host_header == "[::1]:8000"
    origin, target = split_url("https://api.example.com/v 1/chat?x=é")
    assert origin == Origin("https", "api.example.com", 443)
    assert origin.host_header == "api.example.com"
    assert target == "/v%201/chat?x=%C3%A9"
    assert split_url("http://h") == (Origin("http", "h", 80), "/")
    for bad in ("http://h:99999/v1", "ftp://h/v1", "http:///v1"):
        with pytest.raises(RequestError, match="URL"):
            split_url(bad)


def test_tls_trusted_and_untrusted() -> None:
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(b"private"))
        await writer.drain()

    async def scenario() -> None:
        async with scripted(handler, tls=server_context) as server:
            async with HttpPool(client_context) as pool:
                assert await post_and_read(pool, server.url) == (200, b"private")
            async with HttpPool() as pool:
                with pytest.raises(UntrustedCertificateError, match="set SSL_CERT_FILE"):
                    await post_and_read(pool, server.url)

    run(scenario)


def test_bytes_after_response_ignored() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(b"first", b"X-Part: a\r\n") + answer(b"smuggled", b"X-Part: b\r\n"))
        await read_request(reader)

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            async with pool.post(server.url, HEADERS, b"{}", 5.0, 5.0) as response:
                assert response.headers["x-part"] == "a"
                assert await response.read(100) == b"first"
            await asyncio.sleep(0.05)
            assert await post_and_read(pool, server.url) == (200, b"first")
            assert server.connections == 2  # the first connection was not reused

    run(scenario)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"p" * 70_000, "head is longer than"),
        (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: upgrade\r\n\r\n",
            "switched protocols",
        ),
    ],
)
def test_long_head_and_upgrade_rejected(reply: bytes, message: str) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        for start in range(0, len(reply), 4096):
            writer.write(reply[start : start + 4096])
            await writer.drain()
        await asyncio.sleep(1)

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            with pytest.raises(ProtocolError, match=message):
                await post_and_read(pool, server.url)

    run(scenario)


def test_read_timeout_during_upload() -> None:
    # 40 MiB read at 2 MiB per 50 ms: 1 s in all, twice the read timeout. The kernel's socket
    # buffers hide the end of the upload from the client: the sender's (4 MiB at most with
    # Linux defaults) and the receiver's, kept small here.
    step = 2 * 1024 * 1024
    body = b"x" * (20 * step)

    async def slow_reader(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 18)
        await reader.readuntil(b"\r\n\r\n")
        for _ in range(len(body) // step):
            await asyncio.sleep(0.05)
            await reader.readexactly(step)
        writer.write(answer(b"stored"))

    async def stalled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)  # reads nothing

    async def scenario() -> None:
        async with HttpPool() as pool:
            async with (
                scripted(slow_reader) as server,
                pool.post(server.url, HEADERS, body, 5.0, 0.5) as response,
            ):
                assert await response.read(100) == b"stored"
            async with scripted(stalled) as server:
                with pytest.raises(ReadTimeoutError):
                    async with pool.post(server.url, HEADERS, body, 5.0, 0.3) as response:
                        await response.read(100)

    run(scenario)


def test_bad_header_names_and_urls_rejected() -> None:
    async def scenario() -> None:
        async with HttpPool() as pool:
            for headers, message in (
                ({"X-A\r\nX-Injected": "1"}, "not a valid HTTP header name"),
                ({"Content-Length": "1"}, "set by the client itself"),
            ):
                with pytest.raises(RequestError, match=message):
                    await post_with_headers(pool, headers)

    run(scenario)
    for url, message in (
        ("http://h:0/v1", "invalid port"),
        ("http://user:hunter22@h/v1", "user name or password"),
        ("http://h\x00x/v1", "cannot have"),
        ("http://h%00x/v1", "cannot have"),
    ):
        with pytest.raises(RequestError, match=message) as caught:
            split_url(url)
        assert "hunter22" not in str(caught.value)


def test_read_limit_mid_write_drains_for_reuse() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            await asyncio.sleep(0.05)  # the reader is waiting when the pieces come, in one write
            pieces = b"".join(chunk(b"%d" % n * 10) for n in range(10))
            writer.write(pieces + b"0\r\n\r\n")

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            for _ in range(2):
                assert await post_and_read(pool, server.url, limit=15) == (
                    200,
                    b"0" * 10 + b"1" * 5,
                )
            assert server.connections == 1

    run(scenario)


def test_status_errors_reuse_the_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        error = b'{"error": {"message": "slow down"}}'
        writer.write(answer(error).replace(b"200 OK", b"429 Too Many Requests"))
        await read_request(reader)
        moved = b"HTTP/1.1 307 Temporary Redirect\r\nLocation: https://new.example/v1\r\n"
        writer.write(moved + b"Content-Length: 0\r\n\r\n")
        await read_request(reader)
        writer.write(b"HTTP/1.1 2OO OK\r\n\r\n")
        await asyncio.sleep(1)

    async def scenario() -> None:
        timeouts = Timeouts(connect_s=5.0, read_s=5.0)
        async with scripted(handler) as server, HttpPool() as pool:
            errors: list[AttemptError] = []
            for _ in range(3):
                with pytest.raises(AttemptError) as caught:
                    await send_chat(pool, server.url, HEADERS, b"{}", timeouts)
                errors.append(caught.value)
            assert str(errors[0]) == "HTTP 429 Too Many Requests: slow down"
            assert errors[0].retryable
            assert "moved to https://new.example/v1; set its base_url" in str(errors[1])
            assert not errors[1].retryable
            assert "invalid HTTP response" in str(errors[2])
            assert "b'HTTP/1.1 2OO" in str(errors[2])
            assert not errors[2].retryable
            assert server.connections == 1

    run(scenario)


def test_name_lookup_failure_keeps_its_reason() -> None:
    async def scenario() -> None:
        def no_such_name(*args: object, **kwargs: object) -> None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        # Stands in for the resolver, so that the test sends no DNS query.
        loop = asyncio.get_running_loop()
        loop.getaddrinfo = no_such_name  # type: ignore[method-assign,assignment]
        async with HttpPool() as pool:
            with pytest.raises(
                ConnectError, match=r"no-such-host:80 \(Name or service not known\)"
            ):
                await post_and_read(pool, "http://no-such-host/v1")

    asyncio.run(scenario())


def test_server_closing_after_each_response() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(b"once"))  # no Connection: close, then the server closes

    async def scenario() -> None:
        async with scripted(handler) as server, HttpPool() as pool:
            for _ in range(20):
                assert await post_and_read(pool, server.url) == (200, b"once")
            assert server.connections == 20

    run(scenario)


def test_total_timeout_despite_steady_bytes() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(50):
            writer.write(chunk(b": keep-alive\n\n"))
            await asyncio.sleep(0.05)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        async with scripted(handler) as server, HttpPool() as pool:
            started = loop.time()
            with pytest.raises(TotalTimeoutError, match=r"not complete after 0\.4 s"):
                async with pool.post(server.url, HEADERS, b"{}", 5.0, 0.3, 0.4) as response:
                    await response.read(1 << 20)
            assert 0.4 <= loop.time() - started < 1.5

    run(scenario)


def test_tls_handshake_timeout_hints_http() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)  # a plain HTTP server waiting for the end of a request head

    async def scenario() -> None:
        async with scripted(silent) as server, HttpPool() as pool:
            url = server.url.replace("http://", "https://")
            address = url.split("/")[2]
            with pytest.raises(ConnectTimeoutError) as caught:
                async with pool.post(url, HEADERS, b"{}", 0.3, 5.0):
                    pass
            message = str(caught.value)
            assert f"the TLS handshake with {address} did not finish within 0.3 s" in message
            assert f"use http://{address}/... in the endpoint's base_url" in message
            with pytest.raises(TotalTimeoutError, match=r"within the total timeout of 0\.2 s"):
                async with pool.post(url, HEADERS, b"{}", 5.0, 5.0, 0.2):
                    pass

    run(scenario)


def test_tls_reply_to_http_hints_https() -> None:
    async def tls_alert(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"\x15\x03\x03\x00\x02\x02\x46")  # a fatal TLS alert record
        await asyncio.sleep(1)

    async def scenario() -> None:
        async with scripted(tls_alert) as server, HttpPool() as pool:
            address = server.url.split("/")[2]
            with pytest.raises(WrongSchemeError) as caught:
                await post_and_read(pool, server.url)
            assert f"the server at {address} responded in TLS" in str(caught.value)
            assert f"use https://{address}/..." in str(caught.value)

    run(scenario)


def test_status_error_text_escaped() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        body = b'{"error": {"message": "\\u001b[2J\\u001b]0;owned\\u0007 \\u202eevil"}}'
        writer.write(answer(body).replace(b"200 OK", b"400 Bad\x7fRequest"))
        await read_request(reader)
        zipped = b"\x1f\x8b\x08\x00 not really gzip"
        writer.write(answer(zipped, b"Content-Encoding: gzip\r\n").replace(b"200", b"503"))
        await asyncio.sleep(1)

    async def scenario() -> None:
        timeouts = Timeouts(connect_s=5.0, read_s=5.0)
        async with scripted(handler) as server, HttpPool() as pool:
            with pytest.raises(AttemptError) as caught:
                await send_chat(pool, server.url, HEADERS, b"{}", timeouts)
            message = str(caught.value)
            assert message == "HTTP 400 Bad\\x7fRequest: \\x1b[2J\\x1b]0;owned\\x07 \\u202eevil"
            with pytest.raises(AttemptError) as caught:
                await send_chat(pool, server.url, HEADERS, b"{}", timeouts)
            message = str(caught.value)
            assert "the error body is compressed with gzip, which runs do not decode" in message
            assert "not really gzip" not in message
            assert caught.value.retryable

    run(scenario)


def test_endless_event_line_stopped() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(chunk(b"data: "))
        for _ in range(100):  # 10 MB of one line that never ends
            writer.write(chunk(b"x" * 100_000))
            await writer.drain()
        await asyncio.sleep(5)

    async def scenario() -> None:
        timeouts = Timeouts(connect_s=5.0, read_s=5.0)
        async with scripted(handler) as server, HttpPool() as pool:
            with pytest.raises(AttemptError) as caught:
                await send_chat(pool, server.url, HEADERS, b"{}", timeouts, 100_000)
            assert "a stream event is longer than 665536 bytes" in str(caught.value)
            assert not caught.value.retryable
            await asyncio.sleep(0.05)  # connection_lost runs after the abort
            assert pool.open_connections == 0

    run(scenario)
