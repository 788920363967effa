"""What both webhook verifiers receive from ``WebhookIngress`` (see :mod:`functions.common.config`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from functions.common.config import HandoffConfig
from functions.webhook.schemes import Rejected, Scheme


@dataclass(frozen=True)
class Source:
    """A registered sender: its scheme, where its secret is (ARN), and whether it is storage-first."""

    name: str
    scheme: Scheme
    secret: str
    storage_first: bool = False


@dataclass(frozen=True, kw_only=True)
class WebhookConfig(HandoffConfig):
    """sources: the senders by name. max_body_bytes: larger bodies get 413. event_bus_name: where
    verified deliveries are published. deliveries_table: the delivery ids seen (replay protection),
    each remembered dedup_seconds. secret_cache_seconds / secret_refresh_seconds: how long secrets
    are cached, and the least time between re-reads after a signature matched none of them.
    dead_letter_queue_url: storage-first only, where refused queued requests go with the reason.
    """

    VARIABLE: ClassVar[str] = "WEBHOOK_CONFIG"

    sources: dict[str, Source] = field(default_factory=dict)
    event_bus_name: str
    deliveries_table: str
    max_body_bytes: int = 256 * 1024
    dedup_seconds: int = 7 * 24 * 3600
    secret_cache_seconds: float = 60
    secret_refresh_seconds: float = 5
    dead_letter_queue_url: str | None = None

    def source(self, name: str) -> Source:
        if name not in self.sources:
            raise Rejected(404, f"unknown webhook source {name[:64]!r}")
        return self.sources[name]
