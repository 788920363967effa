"""Connect tokens: who a connection is, signed with the broadcast's secret (pure: no AWS calls).

A token is ``<payload>.<signature>``: the payload is base64url JSON ``{"sub": subject, "exp": epoch
seconds}``, the signature base64url HMAC-SHA256 of the payload with the secret. A backend issues
them (:func:`issue`, the secret read from Secrets Manager); the ``$connect`` authorizer checks them
(:func:`verify`), in constant time, before a connection is accepted.

Examples
--------
>>> token = issue(b"k", "alice", ttl_seconds=60, now=1000)
>>> verify(b"k", token, now=1030)
'alice'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

from functions.websockets.exceptions import InvalidToken

SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$")
MAX_TOKEN_LENGTH = 1024


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _encode(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def issue(secret: bytes, subject: str, ttl_seconds: int = 300, now: float | None = None) -> str:
    """A token for ``subject`` valid ``ttl_seconds`` from ``now``."""
    if not SUBJECT.match(subject):
        raise ValueError(f"subject {subject!r}: 1-128 letters, digits, '_', '.', '@', ':', '-'")
    if ttl_seconds < 1:
        raise ValueError("ttl_seconds must be at least 1")
    expires = int((time.time() if now is None else now) + ttl_seconds)
    payload = _encode(json.dumps({"sub": subject, "exp": expires}, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify(secret: bytes, token: str | None, now: float | None = None) -> str:
    """The token's subject; :class:`InvalidToken` when it is malformed, forged or expired."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise InvalidToken("the token is missing or malformed")
    payload, signature = token.split(".")
    if not hmac.compare_digest(_sign(secret, payload).encode(), signature.encode()):
        raise InvalidToken("the token's signature does not match")
    try:
        claims = json.loads(_decode(payload))
        subject, expires = claims["sub"], claims["exp"]
    except (ValueError, KeyError, TypeError):
        raise InvalidToken("the token is malformed") from None
    if not isinstance(subject, str) or not SUBJECT.match(subject) or not isinstance(expires, int):
        raise InvalidToken("the token is malformed")
    if expires <= (time.time() if now is None else now):
        raise InvalidToken("the token has expired")
    return subject
