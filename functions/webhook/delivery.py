"""From a received request to the EventBridge entry it becomes: size, signature, body, delivery id,
detail-type and metadata. Pure: the secrets come in as arguments and nothing is published here.

The same steps serve both entry points: the synchronous verifier (API Gateway Lambda proxy) and
the storage-first verifier (the raw request read back from the ingest queue).
"""

from __future__ import annotations

import base64
import datetime
import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from functions.common.timestamps import iso_utc
from functions.webhook.config import WebhookConfig
from functions.webhook.schemes import Rejected, Scheme, Verified, verify

EVENT_SOURCE_PREFIX = "webhook."
MAX_DETAIL_TYPE = 128  # EventBridge's limit
MAX_ENTRY_BYTES = 256 * 1024  # EventBridge's PutEvents entry size limit


@dataclass(frozen=True)
class Request:
    """One webhook request as received. ``headers`` have lower-case names; ``body`` is the exact bytes."""

    source: str
    headers: Mapping[str, str]
    body: bytes
    received_at: float
    receive_count: int | None = None  # storage-first only: how many times the queue delivered it


@dataclass(frozen=True)
class Delivery:
    """A verified delivery, ready to publish: ``entry`` is one PutEvents entry (without the bus)."""

    source: str
    delivery_id: str
    entry: dict[str, Any]
    challenge: str | None = None  # Slack's url_verification: answered, never published
    replay_keys: tuple[str, ...] = ()  # what recognises a copy of this delivery (see replay_keys())


def lower_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """Header names folded to lower case (HTTP header names are case-insensitive)."""
    return {str(k).lower(): str(v) for k, v in (headers or {}).items() if v is not None}


def request_from_api_event(event: Mapping[str, Any]) -> Request:
    """An API Gateway (REST, Lambda proxy) event as a :class:`Request`.

    Without binary media types API Gateway hands the body over as text (the UTF-8 the sender sent);
    with them, base64. Either way this gives back the bytes the sender signed.
    """
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    params = event.get("pathParameters") or {}
    source = params.get("source") or (event.get("path") or "").rstrip("/").rsplit("/", 1)[-1]
    epoch_ms = (event.get("requestContext") or {}).get("requestTimeEpoch")
    received_at = epoch_ms / 1000 if epoch_ms else datetime.datetime.now(datetime.UTC).timestamp()
    return Request(source, lower_headers(event.get("headers")), body, received_at)


def check_size(request: Request, max_body_bytes: int) -> None:
    if len(request.body) > max_body_bytes:
        raise Rejected(413, f"body is {len(request.body)} bytes; the maximum is {max_body_bytes}")


def parse_body(scheme: Scheme, body: bytes) -> Any:
    """The payload as data: JSON for a JSON source (else 400), or a url-encoded form."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "body is not valid UTF-8") from None
    if scheme.body_format == "form":
        pairs = urllib.parse.parse_qs(text, keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in pairs.items()}
    try:
        return json.loads(text)
    except RecursionError:
        raise Rejected(400, "body is nested too deeply to parse") from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise Rejected(400, "body has a number too long to parse") from None
        raise Rejected(400, "body is not valid JSON; this source sends JSON") from None


def field(payload: Any, dotted: str) -> str | None:
    """``payload["a"]["b"]`` for ``"a.b"`` when it is a non-empty string or number, else ``None``."""
    node = payload
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, str | int | float):
        return None
    return str(node) or None


def delivery_id(scheme: Scheme, headers: Mapping[str, str], payload: Any, verified: Verified) -> str:
    """The sender's delivery id (header or body field); without one, the signature itself."""
    if scheme.delivery_header and headers.get(scheme.delivery_header.lower()):
        return headers[scheme.delivery_header.lower()]
    if scheme.delivery_field and (found := field(payload, scheme.delivery_field)):
        return found
    return "signature:" + verified.signature


def replay_keys(scheme: Scheme, headers: Mapping[str, str], payload: Any, verified: Verified) -> tuple[str, ...]:
    """What identifies a delivery so that no copy of it is published twice, from what is signed:

    - the delivery id, when it is inside the signed body (Stripe's ``id``, Slack's ``event_id``): a
      sender's retry is re-signed with a new timestamp, but keeps its id;
    - else the digest of the signed material, which no one can change without the secret, so a
      captured delivery re-posted under a new (unsigned) delivery id, or none, or another event type,
      is recognised; and when the scheme also signs a timestamp, the unsigned delivery id as well,
      which recognises the sender's own re-signed retry.
    """
    if scheme.delivery_field and field(payload, scheme.delivery_field) and not (
            scheme.delivery_header and headers.get(scheme.delivery_header.lower())):
        return (f"id:{field(payload, scheme.delivery_field)}",)
    keys: tuple[str, ...] = (f"signed:{verified.signed_digest}",)
    header_id = headers.get(scheme.delivery_header.lower()) if scheme.delivery_header else None
    if header_id and verified.timestamp is not None:
        keys += (f"id:{header_id}",)
    return keys


def detail_type(scheme: Scheme, headers: Mapping[str, str], payload: Any) -> str:
    """The event's type from the sender's header or body field (first present wins)."""
    for name in scheme.event_headers:
        if headers.get(name.lower()):
            return headers[name.lower()][:MAX_DETAIL_TYPE]
    for path in scheme.event_fields:
        if found := field(payload, path):
            return found[:MAX_DETAIL_TYPE]
    return scheme.default_event


def entry_size(entry: Mapping[str, Any]) -> int:
    """PutEvents entry size as EventBridge counts it (UTF-8 of source, detail-type, detail; 14 for Time)."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key, "")).encode("utf-8"))
    return size + sum(len(r.encode("utf-8")) for r in entry.get("Resources", []))


def accept(
    config: WebhookConfig, request: Request, secrets: Sequence[tuple[str, bytes]], now: float, mode: str
) -> Delivery:
    """Every check, in order: size (413), signature and timestamp (401), body (400); then the event.

    ``secrets`` are (label, bytes) pairs for the request's source; ``now`` is the time the timestamp
    tolerance is measured from (the receipt time for storage-first deliveries).
    """
    source = config.source(request.source)
    check_size(request, config.max_body_bytes)
    verified = verify(source.scheme, secrets, request.headers, request.body, now)
    payload = parse_body(source.scheme, request.body)
    identifier = delivery_id(source.scheme, request.headers, payload, verified)
    metadata: dict[str, Any] = {
        "source": source.name,
        "delivery_id": identifier,
        "scheme": source.scheme.kind,
        "received_at": iso_utc(request.received_at),
        "signed_at": iso_utc(verified.timestamp) if verified.timestamp is not None else None,
        "signed_with": verified.signed_with,
        "mode": mode,
    }
    if request.receive_count is not None:
        metadata["receive_count"] = request.receive_count
    entry = {
        "Source": EVENT_SOURCE_PREFIX + source.name,
        "DetailType": detail_type(source.scheme, request.headers, payload),
        "Detail": json.dumps({"payload": payload, "webhook": metadata}, separators=(",", ":"), ensure_ascii=False),
        "Time": int(request.received_at),
    }
    if entry_size(entry) > MAX_ENTRY_BYTES:
        raise Rejected(413, f"the event would be {entry_size(entry)} bytes; EventBridge takes at most "
                            f"{MAX_ENTRY_BYTES}")
    challenge = None
    if source.scheme.kind == "slack" and isinstance(payload, dict) and payload.get("type") == "url_verification":
        challenge = str(payload.get("challenge", ""))
    return Delivery(source.name, identifier, entry, challenge,
                    replay_keys(source.scheme, request.headers, payload, verified))
