"""The inbound buffer's rules, pure: a request as queued, its status record, the downstream contract.

A caller's ``POST /requests`` is validated, recorded ``queued`` and sent to SQS (202 with its id); the
worker, capped at N concurrent invocations by its event source mapping, runs the downstream call one
request at a time and records ``done`` (with the result) or, after the last receive, ``failed``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from functions.common.user_code import load_callable
from functions.common.validation import InvalidInput, dynamodb_item, json_object

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
STATUSES = ("queued", "processing", "done", "failed")


@dataclass(frozen=True)
class Request:
    """What the downstream code receives: the request id, its payload, its attempt (1 on the first
    receive), and the settings the component was given for it (``Downstream.settings``)."""

    id: str
    payload: dict[str, Any]
    attempt: int
    settings: Mapping[str, str]


Downstream = Callable[[Request], Any]


def acknowledge(request: Request) -> dict[str, Any]:
    """The default downstream: does nothing, says what it received."""
    return {"acknowledged": request.id}


def parse_submission(body: str | bytes | None, max_bytes: int) -> dict[str, Any]:
    """``{"payload": {...}}``: the payload is a JSON object DynamoDB can store (it is kept with the status)."""
    document = json_object(body, max_bytes=max_bytes, required=True)
    unknown = sorted(set(document) - {"payload"})
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(map(repr, unknown))}: send {{\"payload\": {{...}}}}")
    payload = document.get("payload")
    if not isinstance(payload, dict):
        raise InvalidInput("'payload' must be a JSON object")
    dynamodb_item(payload, what="'payload'")
    return payload


def check_request_id(value: str | None) -> str:
    if not value or not REQUEST_ID.match(value):
        raise InvalidInput(f"invalid request id {value!r}: ids are 32 lower-case hex digits")
    return value


def message(request_id: str, payload: dict[str, Any]) -> str:
    return json.dumps({"id": request_id, "payload": payload}, separators=(",", ":"))


def from_message(body: str, attempt: int, settings: Mapping[str, str]) -> Request:
    """A queued message back to a :class:`Request`; anything else raises ``ValueError``."""
    document = json.loads(body)
    if not isinstance(document, dict) or not isinstance(document.get("payload"), dict):
        raise ValueError("not a buffered request")
    return Request(check_request_id(document.get("id")), document["payload"], attempt, settings)


def load_downstream(dotted: str) -> Downstream:
    return load_callable(dotted, "downstream handler")


def expires_at(ttl_seconds: int, clock: Callable[[], float] = time.time) -> int:
    return int(clock()) + ttl_seconds
