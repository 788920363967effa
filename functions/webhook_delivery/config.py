"""What the dispatcher's functions receive from ``WebhookDispatcher`` (see :mod:`functions.common.config`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from functions.common.config import HandoffConfig

# Svix's schedule: the first attempt at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts, ~27.5 h).
SVIX_SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)


@dataclass(frozen=True, kw_only=True)
class DispatcherConfig(HandoffConfig):
    """endpoints_table: subscriptions (url, event types, secrets, circuit). messages_table: messages,
    each endpoint's delivery state and every attempt (GSI ``by_endpoint``). delivery_queue_url: one
    task per (message, endpoint). dlq_url: exhausted deliveries, with the reason (replayable).
    ingest_dlq_url: bus events the dispatcher could not take, with the reason.
    event_types: the event types subscribers may choose. schedule: seconds before each attempt (the
    first is the delay of the first attempt, usually 0; ``len(schedule)`` attempts in all). jitter:
    the fraction of each delay added at random (0..1). request_timeout: seconds per HTTP attempt.
    require_https: refuse ``http://`` endpoints. allowed_networks: CIDRs a URL may resolve to although
    they are not public (loopback for a local receiver). circuit_threshold: consecutive failures that
    open an endpoint's circuit. circuit_cooldown: seconds before a half-open probe.
    max_in_flight_per_endpoint: attempts at once to one endpoint (a slow one cannot take every worker). max_retry_after:
    the longest ``Retry-After`` honoured. max_payload_bytes: the largest message. secret_overlap_seconds:
    how long a rotated-out secret still signs. retention_seconds: how long messages and attempts are kept.
    """

    VARIABLE: ClassVar[str] = "WEBHOOK_DELIVERY_CONFIG"

    endpoints_table: str
    messages_table: str
    delivery_queue_url: str
    dlq_url: str
    ingest_dlq_url: str = ""
    event_types: list[str] = field(default_factory=list)
    schedule: list[int] = field(default_factory=lambda: list(SVIX_SCHEDULE))
    jitter: float = 0.2
    request_timeout: float = 15.0
    require_https: bool = True
    allowed_networks: list[str] = field(default_factory=list)
    circuit_threshold: int = 5
    max_in_flight_per_endpoint: int = 4
    circuit_cooldown: int = 60
    max_retry_after: int = 3600
    max_payload_bytes: int = 128 * 1024
    secret_overlap_seconds: int = 24 * 3600
    retention_seconds: int = 30 * 24 * 3600
    response_excerpt_bytes: int = 1024

    def __post_init__(self) -> None:
        if not self.event_types:
            raise ValueError("event_types must name at least one event type")
        if not self.schedule or any(delay < 0 for delay in self.schedule):
            raise ValueError("schedule must list at least one delay, none negative")
        if not 0 <= self.jitter <= 1 or self.request_timeout <= 0 or self.circuit_threshold < 1:
            raise ValueError("jitter must be in 0..1, request_timeout positive, circuit_threshold at least 1")
