"""CSRF protection of the regulator's forms: a per-session token, checked on every POST.

The session is the regulator's token in an HttpOnly cookie (``regulator.COOKIE``).
At sign-in a random nonce goes into a second HttpOnly cookie; a form carries
``HMAC-SHA256(key=session token, nonce)``. Another site can make the browser
send both cookies (SameSite=Strict already stops most of that) but can read
neither, so it cannot write the form's field; a new sign-in draws a new nonce.
Nothing is stored on the server, so every worker checks the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from fastapi.responses import Response

NONCE_COOKIE = "commonfund_desk"
FIELD = "csrf"
PATH = "/regulator"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def token_for(session: str, nonce: str) -> str:
    """The form token of one session (its bearer token) and one sign-in (its nonce)."""
    return hmac.new(session.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def set_nonce(response: Response, request: Request, nonce: str) -> None:
    response.set_cookie(
        NONCE_COOKIE, nonce, httponly=True, samesite="strict", path=PATH,
        secure=request.url.scheme == "https", max_age=8 * 3600,
    )  # fmt: skip


def valid(session: str | None, nonce: str | None, sent: str | None) -> bool:
    """Whether a form's token belongs to this session and sign-in (constant-time compare)."""
    if not session or not nonce or not sent:
        return False
    return hmac.compare_digest(token_for(session, nonce), sent)
