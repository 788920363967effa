"""Fan-out rules (pure: no AWS calls): a publish becomes deliveries of ``chunk_size`` connections each,
sent to SQS; each delivery's outcome decides what happens next.

- A topic with N subscribers becomes ceil(N / chunk_size) deliveries (one SQS message each), handled
  by as many sender invocations in parallel, so no single function loops over the whole topic.
- Per connection, ``PostToConnection`` either succeeds, answers ``GoneException`` (410: the client
  is gone; its rows are removed), or fails otherwise (throttled, 5xx...): those connections are
  retried together in one new delivery after a delay, up to ``max_attempts``, then dead-lettered
  with the reason.

Examples
--------
>>> [len(c) for c in chunks([f"c{i}" for i in range(7)], 3)]
[3, 3, 1]
>>> classify_error("GoneException", 410)
'gone'
>>> classify_error("LimitExceededException", 429)
'retry'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

Outcome = Literal["delivered", "gone", "retry"]


@dataclass(frozen=True)
class Delivery:
    """One SQS message: a frame to push to these connections (``attempt`` 1 first)."""

    topic: str
    message_id: str
    frame: str
    connections: tuple[str, ...]
    attempt: int = 1

    def to_body(self) -> str:
        """A JSON header line, then the frame as it is (not escaped again: a 128 KB frame stays one
        SQS message of about 128 KB whatever it holds)."""
        header = json.dumps({"topic": self.topic, "id": self.message_id, "connections": list(self.connections),
                             "attempt": self.attempt}, separators=(",", ":"))
        return f"{header}\n{self.frame}"

    @classmethod
    def from_body(cls, text: str) -> Delivery:
        header, newline, frame = text.partition("\n")
        try:
            document = json.loads(header)
            delivery = cls(str(document["topic"]), str(document["id"]), frame, tuple(document["connections"]),
                           int(document.get("attempt", 1)))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a delivery: {type(exc).__name__}: {str(exc)[:200]}") from None
        if not newline or not frame or not delivery.connections or \
                not all(isinstance(c, str) and c for c in delivery.connections):
            raise ValueError("not a delivery: a header line with connection ids, then the frame")
        return delivery


def chunks(connections: Iterable[str], size: int) -> Iterator[list[str]]:
    """``connections`` in lists of at most ``size``, in order."""
    if size < 1:
        raise ValueError("size must be at least 1")
    current: list[str] = []
    for connection in connections:
        current.append(connection)
        if len(current) == size:
            yield current
            current = []
    if current:
        yield current


def deliveries(topic: str, message_id: str, frame: str, connections: Iterable[str], chunk_size: int) -> list[Delivery]:
    return [Delivery(topic, message_id, frame, tuple(chunk)) for chunk in chunks(connections, chunk_size)]


def classify_error(code: str, status: int) -> Outcome:
    """What a failed ``PostToConnection`` means: ``gone`` (410) or ``retry`` (anything else)."""
    return "gone" if code == "GoneException" or status == 410 else "retry"


@dataclass
class Report:
    """What one delivery did: connections delivered, gone, and to retry (with the last error)."""

    delivered: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def record(self, connection: str, outcome: Outcome, error: str = "") -> None:
        if outcome == "delivered":
            self.delivered.append(connection)
        elif outcome == "gone":
            self.gone.append(connection)
        else:
            self.failed[connection] = error


def next_step(delivery: Delivery, report: Report, max_attempts: int) -> tuple[Literal["done", "retry", "dead_letter"],
                                                                             Delivery | None]:
    """After one attempt: done, a retry of the failed connections, or a dead letter of them."""
    if not report.failed:
        return "done", None
    remaining = replace(delivery, connections=tuple(report.failed), attempt=delivery.attempt + 1)
    if delivery.attempt >= max_attempts:
        return "dead_letter", replace(remaining, attempt=delivery.attempt)
    return "retry", remaining
