"""The delivery rules, pure: when the next attempt runs, what an attempt's outcome means, and the
circuit breaker's states.

Retries: attempt ``n`` (1-based) runs ``schedule[n-1]`` seconds after the one before, plus up to
``jitter`` of that delay at random (receivers recovering from an outage are not hit by every
sender at the same second). A ``Retry-After`` on 429 or 503 is honoured when it asks for more
(capped). ``len(schedule)`` attempts in all, then the delivery is dead-lettered.

Circuit breaker, per endpoint: ``closed`` (deliver); after ``threshold`` consecutive failures
``open`` (deliveries wait, not counted as attempts, until ``open_until``); then one delivery claims
the ``half_open`` probe: success closes the circuit, failure opens it for another cooldown.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
RETRY_AFTER_STATUSES = (429, 503)


def next_delay(attempt: int, schedule: Sequence[int], jitter: float, retry_after: float | None = None,
               max_retry_after: int = 3600, rng: random.Random | None = None) -> int | None:
    """Whole seconds to wait before attempt ``attempt + 1``, or None when ``attempt`` was the last."""
    if attempt >= len(schedule):
        return None
    base = schedule[attempt]
    seconds = round(base + base * jitter * (rng or random).random())
    if retry_after is not None:
        seconds = max(seconds, math.ceil(min(retry_after, max_retry_after)))
    return seconds


def retry_after_seconds(headers: Mapping[str, str], status: int | None, now: float) -> float | None:
    """The ``Retry-After`` of a 429 or 503 in seconds (delta-seconds or an HTTP date), else None."""
    if status not in RETRY_AFTER_STATUSES:
        return None
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


@dataclass(frozen=True)
class Circuit:
    """An endpoint's breaker as stored: ``state``, consecutive ``failures``, ``open_until`` (epoch s,
    when a probe may run), ``probe_until`` (epoch s, when a claimed probe counts as lost)."""

    state: str = CLOSED
    failures: int = 0
    open_until: float = 0.0
    probe_until: float = 0.0


@dataclass(frozen=True)
class Gate:
    """What a delivery may do now: ``deliver``, ``probe`` (claim the half-open probe first), or ``wait``
    ``seconds`` before asking again."""

    action: str
    seconds: int = 0


def gate(circuit: Circuit, now: float) -> Gate:
    if circuit.state == CLOSED:
        return Gate("deliver")
    if circuit.state == OPEN:
        return Gate("probe") if now >= circuit.open_until else Gate("wait", max(1, math.ceil(circuit.open_until - now)))
    if now >= circuit.probe_until:  # the probe's worker died: another may probe
        return Gate("probe")
    return Gate("wait", max(1, math.ceil(circuit.probe_until - now)))
