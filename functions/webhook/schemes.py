"""Signature schemes: how a sender signs a webhook delivery, and checking a signature over the raw bytes.

A :class:`Scheme` is plain data (it travels from the Pulumi component to the Lambda as JSON). The
built-ins follow each sender's documentation:

- GitHub: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>``; no timestamp.
- Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`` over ``"<t>." + body``.
- Slack: ``X-Slack-Signature: v0=<hex>`` over ``"v0:<ts>:" + body``, ts in ``X-Slack-Request-Timestamp``.
- generic HMAC-SHA256: any header, optional prefix, hex or base64, and an optional timestamp header
  (then the signed bytes are ``"<ts>." + body``).
- Standard Webhooks (standardwebhooks.com; Svix and others): ``webhook-signature: v1,<base64> [v1,...]``
  over ``"<webhook-id>.<webhook-timestamp>." + body``, keyed by the base64 after the secret's ``whsec_``
  prefix; the delivery id is signed, so it identifies retries.

Every comparison is constant-time (:func:`hmac.compare_digest` on bytes) and exact: nothing is
case-folded or trimmed, so any change of one byte of the body, signature or timestamp is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from functions.common.errors import CODES_BY_STATUS, HttpError

KINDS = ("github", "stripe", "slack", "hmac-sha256", "standard-webhooks")
STANDARD_SECRET_PREFIX = "whsec_"
BODY_FORMATS = ("json", "form")
ENCODINGS = ("hex", "base64")
DEFAULT_TOLERANCE_SECONDS = 300


class Rejected(HttpError):
    """A delivery is refused. ``status`` is the HTTP status; ``reason`` is safe to return (no secrets).

    ``secret_mismatch``: no known secret matched, so a newer secret might (worth one refresh).
    """

    def __init__(self, status: int, reason: str, secret_mismatch: bool = False) -> None:
        super().__init__(reason, status=status, code=CODES_BY_STATUS.get(status, "rejected"))
        self.reason = reason
        self.secret_mismatch = secret_mismatch


@dataclass(frozen=True)
class Scheme:
    """How one sender signs and describes its deliveries (header names are case-insensitive).

    kind: ``github`` | ``stripe`` | ``slack`` | ``hmac-sha256``.
    signature_header: the header carrying the signature.
    timestamp_header: the header carrying the signed Unix timestamp (Slack, generic); Stripe's is
        inside its signature header.
    delivery_header / delivery_field: where the sender's unique delivery id is (a header, or a dotted
        path into a JSON body); without one the signature itself identifies the delivery.
    event_headers / event_fields: where the event type is; the first present wins; else
        ``default_event``.
    signature_prefix / encoding: generic scheme only: e.g. ``"sha256="`` and ``hex`` or ``base64``.
    body_format: ``json`` (a non-JSON body is refused with 400) or ``form`` (url-encoded).
    tolerance_seconds: how far a signed timestamp may be from the receipt time.
    """

    kind: str
    signature_header: str
    timestamp_header: str | None = None
    delivery_header: str | None = None
    delivery_field: str | None = None
    event_headers: tuple[str, ...] = ()
    event_fields: tuple[str, ...] = ()
    default_event: str = "webhook"
    signature_prefix: str = ""
    encoding: str = "hex"
    body_format: str = "json"
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown signature scheme {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.body_format not in BODY_FORMATS:
            raise ValueError(f"body_format must be one of {BODY_FORMATS}, not {self.body_format!r}")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}, not {self.encoding!r}")
        if self.tolerance_seconds <= 0:
            raise ValueError("tolerance_seconds must be positive")
        if self.kind == "slack" and not self.timestamp_header:
            raise ValueError("the slack scheme needs its timestamp header")
        if self.kind == "standard-webhooks" and not (self.timestamp_header and self.delivery_header):
            raise ValueError("the standard-webhooks scheme needs its timestamp and id headers")

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header this scheme reads (lower case), e.g. for a storage-first request template."""
        names = (self.signature_header, self.timestamp_header, self.delivery_header, *self.event_headers)
        return tuple(dict.fromkeys(n.lower() for n in names if n))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scheme:
        values = dict(data)
        for key in ("event_headers", "event_fields"):
            values[key] = tuple(values.get(key) or ())
        return cls(**values)


def github(tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS) -> Scheme:
    """GitHub webhooks (``X-Hub-Signature-256``, ``X-GitHub-Delivery``, ``X-GitHub-Event``)."""
    return Scheme("github", "X-Hub-Signature-256", delivery_header="X-GitHub-Delivery",
                  event_headers=("X-GitHub-Event",), tolerance_seconds=tolerance_seconds)


def stripe(tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS) -> Scheme:
    """Stripe webhooks (``Stripe-Signature`` with ``t=`` and ``v1=``; event id and type in the body)."""
    return Scheme("stripe", "Stripe-Signature", delivery_field="id", event_fields=("type",),
                  tolerance_seconds=tolerance_seconds)


def slack(tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS, body_format: str = "json") -> Scheme:
    """Slack Events API (JSON) or slash commands / interactivity (``body_format="form"``)."""
    return Scheme("slack", "X-Slack-Signature", timestamp_header="X-Slack-Request-Timestamp",
                  delivery_field="event_id", event_fields=("event.type", "type", "command"),
                  body_format=body_format, tolerance_seconds=tolerance_seconds)


def standard_webhooks(tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS) -> Scheme:
    """Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``; ``type`` in the body)."""
    return Scheme("standard-webhooks", "webhook-signature", timestamp_header="webhook-timestamp",
                  delivery_header="webhook-id", event_fields=("type",), encoding="base64",
                  tolerance_seconds=tolerance_seconds)


def standard_key(secret: bytes) -> bytes:
    """The HMAC key of a Standard Webhooks secret: the base64 after ``whsec_`` (a secret without the
    prefix is used as it is)."""
    if secret.startswith(STANDARD_SECRET_PREFIX.encode()):
        try:
            return base64.b64decode(secret[len(STANDARD_SECRET_PREFIX):], validate=True)
        except ValueError:
            raise Rejected(401, "the configured whsec_ secret is not valid base64", secret_mismatch=True) from None
    return secret


def hmac_sha256(
    signature_header: str,
    *,
    timestamp_header: str | None = None,
    signature_prefix: str = "",
    encoding: str = "hex",
    delivery_header: str | None = None,
    delivery_field: str | None = None,
    event_headers: Sequence[str] = (),
    event_fields: Sequence[str] = (),
    body_format: str = "json",
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> Scheme:
    """Any sender signing ``body`` (or ``"<timestamp>." + body``) with HMAC-SHA256."""
    return Scheme("hmac-sha256", signature_header, timestamp_header=timestamp_header,
                  delivery_header=delivery_header, delivery_field=delivery_field,
                  event_headers=tuple(event_headers), event_fields=tuple(event_fields),
                  signature_prefix=signature_prefix, encoding=encoding, body_format=body_format,
                  tolerance_seconds=tolerance_seconds)


@dataclass(frozen=True)
class Verified:
    """A delivery whose signature matched. ``signed_with``: the label of the secret that matched.
    ``signed_digest``: SHA-256 of exactly what the signature covers (body, and timestamp if signed):
    the part of a delivery nobody can change without the secret, so replays are recognised by it."""

    signature: str
    timestamp: int | None
    signed_with: str
    signed_digest: str = ""


def _mac(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).digest()


def _timestamp(value: str | None, what: str) -> int:
    if not value:
        raise Rejected(401, f"missing {what}")
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise Rejected(401, f"malformed {what}: expected Unix seconds")
    return int(value)


def _stripe_parts(header: str) -> tuple[int, list[bytes]]:
    timestamp: str | None = None
    signatures: list[bytes] = []
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            if timestamp is not None:
                raise Rejected(401, "malformed Stripe-Signature: more than one timestamp")
            timestamp = value
        elif key == "v1":
            signatures.append(value.encode())
    if not signatures:
        raise Rejected(401, "malformed Stripe-Signature: no v1 signature")
    return _timestamp(timestamp, "Stripe-Signature timestamp"), signatures


def verify(
    scheme: Scheme,
    secrets: Sequence[tuple[str, bytes]],
    headers: Mapping[str, str],
    body: bytes,
    now: float,
) -> Verified:
    """Check ``body``'s signature against each secret (label, bytes); raise :class:`Rejected` (401) if none
    matches or the signed timestamp is more than ``tolerance_seconds`` from ``now``.

    ``headers`` must have lower-case names. The signature is checked before the timestamp, so only an
    authentic but old delivery is told its timestamp is stale.
    """
    if not secrets:
        raise Rejected(401, "no signing secret is configured for this source", secret_mismatch=True)
    signature = headers.get(scheme.signature_header.lower(), "")
    if not signature:
        raise Rejected(401, f"missing signature header {scheme.signature_header}")
    timestamp: int | None = None
    if scheme.kind == "stripe":
        timestamp, candidates = _stripe_parts(signature)
        message = str(timestamp).encode() + b"." + body
    elif scheme.kind == "standard-webhooks":
        delivery = headers.get((scheme.delivery_header or "").lower(), "")
        if not delivery:
            raise Rejected(401, f"missing {scheme.delivery_header}")
        timestamp = _timestamp(headers.get((scheme.timestamp_header or "").lower()), scheme.timestamp_header or "")
        candidates = [part[3:].encode() for part in signature.split(" ") if part.startswith("v1,")]
        if not candidates:
            raise Rejected(401, f"malformed {scheme.signature_header}: no v1 signature")
        message = f"{delivery}.{timestamp}.".encode() + body
        secrets = [(label, standard_key(secret)) for label, secret in secrets]
    else:
        candidates = [signature.encode()]
        if scheme.timestamp_header:
            timestamp = _timestamp(headers.get(scheme.timestamp_header.lower()), scheme.timestamp_header)
        if scheme.kind == "slack":
            message = b"v0:" + str(timestamp).encode() + b":" + body
        elif timestamp is not None:
            message = str(timestamp).encode() + b"." + body
        else:
            message = body
    matched = None
    for label, secret in secrets:  # every secret is tried, so timing does not tell which one matched
        expected = _expected(scheme, _mac(secret, message))
        if any([hmac.compare_digest(expected, candidate) for candidate in candidates]) and matched is None:
            matched = label
    if matched is None:
        raise Rejected(401, f"invalid signature in {scheme.signature_header}", secret_mismatch=True)
    if timestamp is not None and abs(now - timestamp) > scheme.tolerance_seconds:
        raise Rejected(401, f"stale timestamp: signed {int(now - timestamp)} s from receipt; "
                            f"the tolerance is {scheme.tolerance_seconds} s")
    return Verified(signature=signature, timestamp=timestamp, signed_with=matched,
                    signed_digest=hashlib.sha256(message).hexdigest())


def _expected(scheme: Scheme, digest: bytes) -> bytes:
    if scheme.kind == "github":
        return b"sha256=" + digest.hex().encode()
    if scheme.kind == "stripe":
        return digest.hex().encode()
    if scheme.kind == "slack":
        return b"v0=" + digest.hex().encode()
    if scheme.kind == "standard-webhooks":
        return base64.b64encode(digest)
    encoded = digest.hex().encode() if scheme.encoding == "hex" else base64.b64encode(digest)
    return scheme.signature_prefix.encode() + encoded


def sign(scheme: Scheme, secret: bytes, body: bytes, timestamp: int | None = None,
         delivery_id: str | None = None) -> dict[str, str]:
    """The headers a sender using ``scheme`` would send for ``body`` (for tests, demos and benchmarks)."""
    if scheme.kind == "standard-webhooks":
        assert timestamp is not None and delivery_id, "standard webhooks sign an id and a timestamp"
        digest = _mac(standard_key(secret), f"{delivery_id}.{timestamp}.".encode() + body)
        return {"webhook-id": delivery_id, "webhook-timestamp": str(timestamp),
                "webhook-signature": "v1," + base64.b64encode(digest).decode()}
    if scheme.kind == "stripe":
        assert timestamp is not None, "stripe signs a timestamp"
        digest = _mac(secret, str(timestamp).encode() + b"." + body)
        return {scheme.signature_header: f"t={timestamp},v1={digest.hex()}"}
    if scheme.kind == "slack":
        assert timestamp is not None, "slack signs a timestamp"
        message = b"v0:" + str(timestamp).encode() + b":" + body
    elif scheme.timestamp_header:
        assert timestamp is not None, "this scheme signs a timestamp"
        message = str(timestamp).encode() + b"." + body
    else:
        message = body
    headers = {scheme.signature_header: _expected(scheme, _mac(secret, message)).decode()}
    if scheme.timestamp_header:
        headers[scheme.timestamp_header] = str(timestamp)
    return headers
