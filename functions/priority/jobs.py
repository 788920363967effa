"""What a job is, and how a job request is validated: pure logic shared by the producer API, the
Python clients and both workers, so every entry point refuses the same bad input the same way."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from functions.common.user_code import load_callable
from functions.common.validation import InvalidInput

DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024


@dataclass(frozen=True)
class Job:
    """One unit of work. ``attempt`` counts deliveries (1 on the first run); times are epoch ms."""

    id: str
    priority: str
    payload: dict[str, Any]
    enqueued_at: int
    attempt: int = 1

    def to_message(self) -> str:
        """The SQS message body (the attempt is not part of it: SQS counts receives itself)."""
        return json.dumps(
            {"id": self.id, "priority": self.priority, "payload": self.payload, "enqueued_at": self.enqueued_at},
            separators=(",", ":"),
        )

    @classmethod
    def from_message(cls, body: str, attempt: int = 1) -> Job:
        data = json.loads(body)
        return cls(data["id"], data["priority"], data["payload"], int(data["enqueued_at"]), attempt)


JobHandler = Callable[[Job], Any]


@dataclass(frozen=True)
class JobRequest:
    """A validated request to enqueue: the level it goes to and its payload."""

    priority: str
    payload: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_job(self, now_ms: int | None = None) -> Job:
        return Job(self.id, self.priority, self.payload, now_ms if now_ms is not None else now_millis())


def now_millis() -> int:
    return int(time.time() * 1000)


def validate_job(
    priority: Any, payload: Any, levels: Sequence[str], max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
) -> JobRequest:
    """A job request for one of ``levels`` with a JSON-object payload of at most ``max_payload_bytes``.

    Raises :class:`InvalidInput` with a message that names what was wrong.
    """
    if priority is None:
        raise InvalidInput(f"'priority' is required: one of {', '.join(levels)}")
    if not isinstance(priority, str) or priority not in levels:
        raise InvalidInput(f"unknown priority {json.dumps(priority)}: use one of {', '.join(levels)}")
    if payload is None:
        raise InvalidInput("'payload' is required: a JSON object describing the work")
    if not isinstance(payload, dict):
        raise InvalidInput(f"'payload' must be a JSON object, got {type(payload).__name__}")
    size = len(json.dumps(payload, separators=(",", ":")).encode())
    if size > max_payload_bytes:
        raise InvalidInput(f"'payload' is {size} bytes; the maximum is {max_payload_bytes}")
    return JobRequest(priority, payload)


def job_request_from_body(body: dict[str, Any], levels: Sequence[str], max_payload_bytes: int) -> JobRequest:
    """Validate a ``POST /jobs`` body: ``{"priority": ..., "payload": {...}}``."""
    unknown = sorted(set(body) - {"priority", "payload"})
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(unknown)}: a job has 'priority' and 'payload'")
    return validate_job(body.get("priority"), body.get("payload"), levels, max_payload_bytes)


def parse_levels(text: str) -> list[str]:
    """Levels from their comma-separated configuration, highest priority first."""
    levels = [level.strip() for level in text.split(",") if level.strip()]
    if not levels:
        raise ValueError("at least one priority level is required")
    return levels


def acknowledge(job: Job) -> dict[str, Any]:
    """The default job code: does nothing, and says what it received (replace it with ``JobCode``)."""
    return {"acknowledged": job.id, "payload_fields": sorted(job.payload)[:50]}


def load_handler(dotted: str) -> JobHandler:
    """The job handler named ``package.module.function`` (in the function archive or a layer)."""
    return load_callable(dotted, "job handler")
