"""The dispatcher's inputs, checked in full before anything is stored: endpoint registrations and
changes, messages, secrets, and the queue's delivery tasks. Pure (the resolver is passed in)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from functions.common.errors import InvalidInput
from functions.common.timestamps import iso_utc
from functions.webhook.schemes import STANDARD_SECRET_PREFIX
from functions.webhook_delivery.addresses import Resolver, parse_url, resolve, system_resolver
from functions.webhook_delivery.config import DispatcherConfig

ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_DESCRIPTION = 500
SECRET_BYTES = (24, 64)  # Standard Webhooks: keys of 24 to 64 random bytes
ENDPOINT_FIELDS = {"url", "event_types", "description", "secret"}
PATCH_FIELDS = {"url", "event_types", "description", "disabled"}
MESSAGE_FIELDS = {"event_type", "payload", "id"}


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not ID.match(value):
        raise InvalidInput(f"{what} must be 1-128 letters, digits, '_', '.', ':' or '-'")
    return value


def new_secret() -> str:
    return STANDARD_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def check_secret(value: object) -> str:
    """A caller's own secret: ``whsec_`` and the base64 of 24 to 64 bytes."""
    if not isinstance(value, str) or not value.startswith(STANDARD_SECRET_PREFIX):
        raise InvalidInput(f"'secret' must be a string starting with {STANDARD_SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(value[len(STANDARD_SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("'secret' must be whsec_ followed by base64") from None
    if not SECRET_BYTES[0] <= len(key) <= SECRET_BYTES[1]:
        raise InvalidInput(f"'secret' must encode {SECRET_BYTES[0]} to {SECRET_BYTES[1]} bytes, not {len(key)}")
    return value


def refuse_unknown_fields(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}")


def check_url(value: object, config: DispatcherConfig, resolver: Resolver = system_resolver) -> str:
    target = parse_url(value, config.require_https)
    resolve(target, config.allowed_networks, resolver)
    return str(value)


def check_event_types(value: object, known: Sequence[str]) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidInput("'event_types' must be a non-empty list of strings")
    unknown = sorted({v for v in value if v not in known})
    if unknown:
        raise InvalidInput(f"unknown event type(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return sorted(set(value))


def check_description(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise InvalidInput(f"'description' must be a string of at most {MAX_DESCRIPTION} characters")
    return value


def parse_endpoint(body: dict[str, Any], config: DispatcherConfig, resolver: Resolver = system_resolver) -> \
        dict[str, Any]:
    """A registration ``{"url", "event_types", "description"?, "secret"?}`` -> the fields to store."""
    refuse_unknown_fields(body, ENDPOINT_FIELDS)
    if "url" not in body or "event_types" not in body:
        raise InvalidInput("'url' and 'event_types' are required")
    return {
        "url": check_url(body["url"], config, resolver),
        "event_types": check_event_types(body["event_types"], config.event_types),
        "description": check_description(body.get("description", "")),
        "secret": check_secret(body["secret"]) if "secret" in body else new_secret(),
    }


def parse_patch(body: dict[str, Any], config: DispatcherConfig, resolver: Resolver = system_resolver) -> \
        dict[str, Any]:
    """A change ``{"url"?, "event_types"?, "description"?, "disabled"?}`` -> the fields to set."""
    refuse_unknown_fields(body, PATCH_FIELDS)
    if not body:
        raise InvalidInput(f"nothing to change: give one of {', '.join(sorted(PATCH_FIELDS))}")
    changes: dict[str, Any] = {}
    if "url" in body:
        changes["url"] = check_url(body["url"], config, resolver)
    if "event_types" in body:
        changes["event_types"] = check_event_types(body["event_types"], config.event_types)
    if "description" in body:
        changes["description"] = check_description(body["description"])
    if "disabled" in body:
        if not isinstance(body["disabled"], bool):
            raise InvalidInput("'disabled' must be true or false")
        changes["disabled"] = body["disabled"]
    return changes


def public_view(endpoint: dict[str, Any]) -> dict[str, Any]:
    """An endpoint as the API shows it: never its secrets."""
    return {
        "id": endpoint["endpoint_id"], "url": endpoint["url"], "event_types": endpoint.get("event_types", []),
        "description": endpoint.get("description", ""), "disabled": bool(endpoint.get("disabled", False)),
        "disabled_reason": endpoint.get("disabled_reason"), "created_at": endpoint.get("created_at"),
        "circuit": {"state": endpoint.get("circuit", "closed"), "failures": endpoint.get("failures", 0),
                    "open_until": endpoint.get("open_until") or None},
    }


def active_secrets(endpoint: dict[str, Any], now: float) -> list[str]:
    """The secrets that sign now: the newest, and older ones still inside their overlap."""
    return [s["key"] for s in endpoint.get("secrets", [])
            if s.get("expires_at") is None or float(s["expires_at"]) > now]


def rotated(endpoint: dict[str, Any], new: str, overlap_seconds: int, now: float) -> list[dict[str, Any]]:
    """The secrets after a rotation: ``new`` first; the previous ones sign until ``now + overlap`` (or
    their own earlier expiry); expired ones dropped."""
    kept = []
    for secret in endpoint.get("secrets", []):
        expires = secret.get("expires_at")
        expires = now + overlap_seconds if expires is None else min(float(expires), now + overlap_seconds)
        if expires > now:
            kept.append({"key": secret["key"], "expires_at": int(expires)})
    return [{"key": new, "expires_at": None}, *kept]


def parse_message(body: dict[str, Any], config: DispatcherConfig) -> tuple[str, str, Any]:
    """``{"event_type", "payload", "id"?}`` -> (message id, event type, payload)."""
    refuse_unknown_fields(body, MESSAGE_FIELDS)
    event_type = body.get("event_type")
    if not isinstance(event_type, str) or event_type not in config.event_types:
        raise InvalidInput(f"'event_type' must be one of {', '.join(config.event_types)}")
    if "payload" not in body:
        raise InvalidInput("'payload' is required")
    message_id = check_id(body["id"], "'id'") if "id" in body else new_id("msg")
    return message_id, event_type, body["payload"]


def digest(event_type: str, data: Any) -> str:
    return hashlib.sha256(json.dumps([event_type, data], sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def envelope(event_type: str, data: Any, created_at: float, max_bytes: int) -> str:
    """The body every attempt sends, in the Standard Webhooks shape: ``{"type", "timestamp", "data"}``."""
    body = json.dumps({"type": event_type, "timestamp": iso_utc(created_at), "data": data},
                      separators=(",", ":"), ensure_ascii=False)
    if len(body.encode()) > max_bytes:
        raise InvalidInput(f"the message is {len(body.encode())} bytes; the maximum is {max_bytes}")
    return body


@dataclass(frozen=True)
class Task:
    """One delivery on the queue: ``attempt`` is the next attempt of this cycle (1-based, indexes the
    schedule); ``not_before`` (epoch s) holds it back past SQS's 15-minute delay limit; ``replay``
    counts replays from the DLQ."""

    message_id: str
    endpoint_id: str
    attempt: int = 1
    not_before: float = 0.0
    replay: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Task:
        try:
            data = json.loads(text)
            task = cls(message_id=check_id(data["message_id"], "message_id"),
                       endpoint_id=check_id(data["endpoint_id"], "endpoint_id"), attempt=int(data.get("attempt", 1)),
                       not_before=float(data.get("not_before", 0)), replay=int(data.get("replay", 0)))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"not a delivery task: {exc}") from None
        if task.attempt < 1:
            raise ValueError("not a delivery task: attempt must be at least 1")
        return task
