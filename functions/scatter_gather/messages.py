"""The messages of the pattern, validated before anything is written or published.

- quote request (``POST /quotes``): ``amount`` > 0, ``term`` in months, optional ``strategy``/``count``
  and ``deadlineSeconds``;
- provider registration (registry item): an amount range the provider quotes for;
- provider reply: ``correlationId``, ``providerId`` and a ``rate``.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from functions.common.validation import InvalidInput, dynamodb_number, json_object, positive_int
from functions.scatter_gather.strategies import Strategy, UnknownStrategy, strategy_from

MAX_AMOUNT = 1_000_000_000
MAX_TERM_MONTHS = 600
PROVIDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class InvalidReply(ValueError):
    """A provider reply that can never be recorded; the message is the reason sent with it to the DLQ."""


@dataclass(frozen=True)
class QuoteRequest:
    amount: float
    term: int
    strategy: Strategy
    deadline_seconds: int

    def to_message(self, correlation_id: str) -> dict[str, Any]:
        """What providers receive."""
        return {"correlationId": correlation_id, "amount": self.amount, "term": self.term}


def parse_quote_request(body: str | bytes | None, default_deadline: int, max_deadline: int) -> QuoteRequest:
    """A quote request from an HTTP body; raises :class:`InvalidInput` saying what is wrong."""
    data = json_object(body, required=True)
    unknown = set(data) - {"amount", "term", "strategy", "count", "deadlineSeconds"}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    if "amount" not in data:
        raise InvalidInput("'amount' is required")
    if "term" not in data:
        raise InvalidInput("'term' is required")
    amount = data["amount"]
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
        raise InvalidInput(f"'amount' must be a number, got {json.dumps(amount)}")
    if amount <= 0:
        raise InvalidInput(f"'amount' must be positive, got {amount}")
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"'amount' must be at most {MAX_AMOUNT}, got {amount}")
    dynamodb_number(amount, "'amount'")  # it is stored with the aggregate
    term = data["term"]
    if isinstance(term, bool) or not isinstance(term, int):
        raise InvalidInput(f"'term' must be a whole number of months, got {json.dumps(term)}")
    if not 1 <= term <= MAX_TERM_MONTHS:
        raise InvalidInput(f"'term' must be from 1 to {MAX_TERM_MONTHS} months, got {term}")
    try:
        strategy = strategy_from(data)
    except UnknownStrategy as exc:
        raise InvalidInput(str(exc)) from None
    deadline = positive_int(data, "deadlineSeconds", default=default_deadline, maximum=max_deadline)
    return QuoteRequest(amount=amount, term=term, strategy=strategy, deadline_seconds=deadline)


def validate_correlation_id(value: Any) -> str:
    """Correlation ids are UUIDs (the request handler makes them)."""
    try:
        return str(uuid.UUID(str(value))) if isinstance(value, str) else _bad_id(value)
    except ValueError:
        return _bad_id(value)


def _bad_id(value: Any) -> str:
    raise InvalidInput(f"invalid correlation id {value!r}")


def parse_reply(raw: str | dict[str, Any], provider_id: str | None = None) -> dict[str, Any]:
    """A provider reply as ``{"correlationId", "providerId", "rate", ...}``; raises :class:`InvalidReply`.

    ``provider_id`` is given when the caller knows who answered (the recipient list invoked it); a
    reply naming someone else is refused.
    """
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidReply(f"reply is not valid JSON: {exc}") from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise InvalidReply(f"reply must be a JSON object, got {type(data).__name__}")
    try:
        correlation_id = validate_correlation_id(data.get("correlationId"))
    except InvalidInput as exc:
        raise InvalidReply(str(exc)) from None
    pid = data.get("providerId", provider_id)
    if not isinstance(pid, str) or not PROVIDER_ID.match(pid):
        raise InvalidReply(f"invalid providerId {pid!r}")
    if provider_id is not None and pid != provider_id:
        raise InvalidReply(f"reply names provider {pid!r} but came from {provider_id!r}")
    rate = data.get("rate")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate) or not 0 < rate < 100:
        raise InvalidReply(f"'rate' must be a number between 0 and 100, got {json.dumps(rate)}")
    quote = {k: v for k, v in data.items() if k not in ("correlationId", "providerId") and _storable(v)}
    return {**quote, "correlationId": correlation_id, "providerId": pid, "rate": rate}


def _storable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(str(value)) <= 256


def accepts(entry: dict[str, Any], amount: float) -> bool:
    """Whether a registry entry (``minAmount``/``maxAmount`` optional) quotes for ``amount``.

    The publish-subscribe variant expresses the same range as the provider's SNS filter policy, so
    both variants ask the same providers for the same request.
    """
    low, high = entry.get("minAmount"), entry.get("maxAmount")
    return (low is None or Decimal(str(amount)) >= Decimal(str(low))) and (
        high is None or Decimal(str(amount)) <= Decimal(str(high))
    )
