"""Parsing the router API's request bodies (pure: validated in full before anything is written)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from functions.common.errors import InvalidInput, PayloadTooLarge
from functions.sharding.membership import Membership, check_version
from functions.sharding.messages import validate_key, validate_message_id

SAMPLE_PREFIX = "sample-"


class MembershipReader(Protocol):
    def membership(self, version: int | None = None) -> Membership: ...


def parse_version(value: Any, field: str) -> int:
    """A version from a path (text) or a body (a number); ``InvalidInput`` naming ``field`` otherwise."""
    if isinstance(value, str):
        if not value.isdigit() or len(value) > 15:
            raise InvalidInput(f"{field!r} must be 'current' or a version number, got {value[:40]!r}")
        value = int(value)
    try:
        return check_version(value, field)
    except InvalidInput as exc:
        raise InvalidInput(str(exc)) from None


def _allowed(body: dict[str, Any], fields: set[str]) -> None:
    unknown = sorted(set(body) - fields)
    if unknown:
        expected = ", ".join(sorted(fields))
        raise InvalidInput(f"unknown field(s) {', '.join(map(repr, unknown))}; expected {expected}"[:300])


def parse_message(body: dict[str, Any], max_body_bytes: int) -> tuple[str, Any, str | None]:
    """``(key, body, id)`` of ``POST /messages``."""
    _allowed(body, {"key", "body", "id"})
    if "key" not in body:
        raise InvalidInput("'key' is required: it chooses the shard and orders the key's messages")
    key = validate_key(body["key"])
    payload = body.get("body")
    size = len(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    if size > max_body_bytes:
        raise PayloadTooLarge(f"'body' is {size} bytes; the maximum is {max_body_bytes}")
    message_id = validate_message_id(body["id"]) if body.get("id") is not None else None
    return key, payload, message_id


def membership_change(body: dict[str, Any], current: Membership) -> tuple[int, Membership]:
    """``(expected_version, next membership)`` of ``POST /membership``: exactly one of ``add`` (with an
    optional ``weight``), ``remove``, or ``shards`` (the whole list, with optional ``algorithm``/``vnodes``)."""
    _allowed(body, {"expected_version", "add", "weight", "remove", "shards", "algorithm", "vnodes"})
    if "expected_version" not in body:
        raise InvalidInput("'expected_version' is required: the version this change was decided on")
    expected = parse_version(body["expected_version"], "expected_version")
    chosen = [op for op in ("add", "remove", "shards") if op in body]
    if len(chosen) != 1:
        raise InvalidInput("give exactly one of 'add', 'remove' or 'shards'")
    if "weight" in body and chosen != ["add"]:
        raise InvalidInput("'weight' goes with 'add' (to reweight, send the whole 'shards' list)")
    if chosen == ["add"]:
        if not isinstance(body["add"], str):
            raise InvalidInput("'add' is a shard name")
        return expected, current.with_shard(body["add"], body.get("weight", 1))
    if chosen == ["remove"]:
        if not isinstance(body["remove"], str):
            raise InvalidInput("'remove' is a shard name")
        return expected, current.without_shard(body["remove"])
    if not isinstance(body["shards"], list):
        raise InvalidInput("'shards' is a list of names or {'name', 'weight'} objects")
    return expected, current.successor(body["shards"], algorithm=body.get("algorithm"), vnodes=body.get("vnodes"))


@dataclass(frozen=True)
class PlanRequest:
    from_version: int | None
    to_version: int | None
    to: dict[str, Any] | None
    keys: list[str]
    include_moves: bool

    def proposal(self, before: Membership, reader: MembershipReader) -> Membership:
        """The membership ``to`` describes, as the version after ``before`` (nothing is published)."""
        assert self.to is not None
        _allowed(self.to, {"shards", "algorithm", "vnodes"})
        if "shards" not in self.to:
            raise InvalidInput("'to' needs 'shards'")
        return before.successor(self.to["shards"], algorithm=self.to.get("algorithm"), vnodes=self.to.get("vnodes"))


def parse_plan(body: dict[str, Any], max_keys: int) -> PlanRequest:
    """``POST /membership/plan``: from a version (default current) to a version or a proposal ``to``,
    over ``keys`` (listed, with their moves) or ``sample`` (that many synthetic keys, counts only)."""
    _allowed(body, {"from_version", "to_version", "to", "keys", "sample", "include_moves"})

    def version(field: str) -> int | None:
        value = body.get(field, "current")
        return None if value == "current" else parse_version(value, field)

    if ("to_version" in body) == ("to" in body):
        raise InvalidInput("give exactly one of 'to_version' (a published version) or 'to' (a proposed membership)")
    if "to" in body and not isinstance(body["to"], dict):
        raise InvalidInput("'to' is an object: {'shards': [...], 'algorithm'?: ...}")
    if ("keys" in body) == ("sample" in body):
        raise InvalidInput("give exactly one of 'keys' (a list) or 'sample' (a number of synthetic keys)")
    if "keys" in body:
        keys = body["keys"]
        if not isinstance(keys, list) or not keys:
            raise InvalidInput("'keys' is a non-empty list of keys")
        if len(keys) > max_keys:
            raise InvalidInput(f"'keys' holds {len(keys)} keys; at most {max_keys}")
        keys = [validate_key(k) for k in keys]
        include = body.get("include_moves", True)
    else:
        sample = body["sample"]
        if isinstance(sample, bool) or not isinstance(sample, int) or not 1 <= sample <= max_keys:
            raise InvalidInput(f"'sample' is a number of keys in 1..{max_keys}")
        keys = [f"{SAMPLE_PREFIX}{n}" for n in range(sample)]
        include = False
    if not isinstance(include, bool):
        raise InvalidInput("'include_moves' is true or false")
    return PlanRequest(version("from_version"), version("to_version") if "to_version" in body else None,
                       body.get("to"), keys, include)
