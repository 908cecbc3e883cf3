"""Anonymous client identity and CSRF tokens for the arena.

Each browser gets a random client id in an HttpOnly cookie. Forms carry a CSRF token, the HMAC
of that id under the site's secret key, so another site cannot post votes with the cookie (the
cookie is also SameSite=Lax). The secret comes from ``$MODELVS_SECRET_KEY``, else from a file
next to the embedded database, created once with mode 0600 so that every worker shares it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from fastapi import Request, Response

from modelvs.errors import UsageError

CLIENT_COOKIE = "modelvs_client"
COOKIE_MAX_AGE_S = 365 * 24 * 3600
SECRET_FILE = Path("var") / "secret.key"


class CsrfError(UsageError):
    """A form was posted without the token of this browser's session."""

    http_status = 403


def load_secret_key(path: Path = SECRET_FILE) -> bytes:
    """Return the site secret: ``$MODELVS_SECRET_KEY``, else a random key kept in ``path``."""
    configured = os.environ.get("MODELVS_SECRET_KEY")
    if configured:
        if len(configured) < 16:
            raise UsageError("MODELVS_SECRET_KEY is shorter than 16 characters; use a long one")
        return configured.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    key = secrets.token_hex(32).encode("ascii")
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


def client_id(request: Request) -> tuple[str, bool]:
    """The browser's client id, and whether it is new (then ``remember`` must be called)."""
    existing = request.cookies.get(CLIENT_COOKIE, "")
    if len(existing) == 32 and all(c in "0123456789abcdef" for c in existing):
        return existing, False
    return secrets.token_hex(16), True


def remember(response: Response, client: str, secure: bool) -> None:
    response.set_cookie(
        CLIENT_COOKIE,
        client,
        max_age=COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def csrf_token(key: bytes, client: str) -> str:
    return hmac.new(key, f"csrf:{client}".encode(), hashlib.sha256).hexdigest()[:32]


def check_csrf(key: bytes, client: str, token: str) -> None:
    # Compared as bytes: compare_digest raises TypeError on str with non-ASCII characters.
    expected = csrf_token(key, client).encode()
    if not hmac.compare_digest(expected, token.encode("utf-8", "surrogateescape")):
        raise CsrfError(
            "the form's security token is missing or out of date; reload the arena page and"
            " submit again"
        )
