"""URL checks, request heads and the errors of the runs' HTTP client (``modelvs.runs.wire``)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

# Characters that a request target keeps as they are. Other characters are percent-encoded.
TARGET_SAFE = "/%:@!$&'()*+,;=-._~?"
# Header names are RFC 9110 tokens. Host names are letters, digits, dots and hyphens, or an
# IPv6 literal: hex digits, colons and an optional zone after an encoded % (RFC 6874).
TOKEN_PATTERN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
HOST_PATTERN = re.compile(r"[0-9A-Za-z._-]+|[0-9A-Fa-f:.]+(%25[0-9A-Za-z._-]+)?")
OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
DEFAULT_PORTS = {"http": 80, "https": 443}


class WireError(Exception):
    """A request failed below the HTTP status level."""


class RequestError(WireError):
    """The request cannot be sent as given (a bad URL or header value)."""


class ConnectError(WireError):
    """No connection could be opened."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"could not connect to {host}:{port} ({reason})")
        self.host, self.port, self.reason = host, port, reason


class ConnectTimeoutError(WireError):
    """Opening the connection took longer than the connect timeout."""


class ReadTimeoutError(WireError):
    """The server sent nothing for longer than the read timeout."""


class TotalTimeoutError(WireError):
    """The response was not complete within the total timeout, however steadily bytes came."""


class UntrustedCertificateError(WireError):
    """The server's TLS certificate failed verification."""


class WrongSchemeError(WireError):
    """The server does not speak what the URL's scheme names: TLS for https, HTTP for http."""


class DisconnectedError(WireError):
    """The connection closed before the response was complete."""


class ProtocolError(WireError):
    """The server's bytes are not a valid HTTP/1.1 response."""


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def address(self) -> str:
        """Host and port, such as ``127.0.0.1:8000`` or ``[::1]:443``, for messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@functools.lru_cache(maxsize=256)
def split_url(url: str) -> tuple[Origin, str]:
    """Return the origin of an http(s) URL and its request target (path and query).

    Cached, because a run sends every request of an endpoint to the same URL.
    """
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise RequestError(f"the URL {url!r} has an invalid port; use 1 to 65535")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RequestError(f"the URL {url!r} is not an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        # Never quote the URL: the part before @ is a password.
        raise RequestError(
            "the URL has a user name or password before @, which runs do not send; put the"
            " key in the environment variable that the endpoint's api_key_env names"
        )
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise RequestError(f"the host name of {url!r} is not a valid domain name") from None
    if not HOST_PATTERN.fullmatch(host):
        raise RequestError(f"the host name of {url!r} has characters a host name cannot have")
    target = quote(parts.path or "/", safe=TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=TARGET_SAFE)
    return Origin(parts.scheme, host, port or DEFAULT_PORTS[parts.scheme]), target


def request_head(origin: Origin, target: str, headers: dict[str, str], length: int) -> bytes:
    """Encode the request line and headers of a POST with a body of ``length`` bytes."""
    lines = [f"POST {target} HTTP/1.1", f"Host: {origin.host_header}"]
    for name, value in headers.items():
        if not TOKEN_PATTERN.fullmatch(name):
            raise RequestError(f"{name!r} is not a valid HTTP header name")
        if name.lower() in OWN_HEADERS:
            raise RequestError(f"the {name} header is set by the client itself; remove it")
        # A line break in a value would end the header and start another one.
        if any(char in value for char in "\r\n\0"):
            raise RequestError(f"the {name} header contains a line break or a NUL character")
        lines.append(f"{name}: {value}")
    lines += [f"Content-Length: {length}", "Accept-Encoding: identity", "Connection: keep-alive"]
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        # Never quote the value: it may be an API key.
        names = [name for name, value in headers.items() if not _latin1(value)]
        raise RequestError(
            f"the {', '.join(names)} header has characters that HTTP headers cannot carry"
        ) from None


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
