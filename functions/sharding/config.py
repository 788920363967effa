"""What the router API and the shard workers receive from ``ShardedQueue`` (see
:mod:`functions.common.config`); the in-process client takes the same document (``client_config``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from functions.common.config import HandoffConfig

DEFAULT_HANDLER = "functions.sharding.processing.acknowledge"  # harmless: replace it with your own code


@dataclass(frozen=True, kw_only=True)
class ShardingConfig(HandoffConfig):
    """membership_table: the published memberships (``current`` and every version). keys_table: the
    ledger (each key's routing state, the outcome of each message). queue_urls: shard -> its FIFO
    queue (every deployed shard, member or not). membership_cache_seconds: how long a router reuses
    the membership it read. drain_wait_seconds: how long a send waits for a moving key's old shard
    to finish the key's messages before it follows them there. max_body_bytes: the largest message
    body. max_plan_keys: most keys in a plan.

    Worker only: shard (its own), dlq_url (its DLQ), max_attempts (handler failures before the DLQ),
    retry_delay_seconds (wait before a retry), message_handler (``module.function``),
    record_ttl_seconds (how long message outcomes are kept, for deduplication and audit).
    """

    VARIABLE: ClassVar[str] = "SHARDING_CONFIG"

    membership_table: str
    keys_table: str
    queue_urls: dict[str, str] = field(default_factory=dict)
    membership_cache_seconds: float = 5.0
    drain_wait_seconds: float = 2.0
    max_body_bytes: int = 64 * 1024
    max_plan_keys: int = 100_000
    shard: str = ""
    dlq_url: str = ""
    max_attempts: int = 3
    retry_delay_seconds: int = 1
    message_handler: str = DEFAULT_HANDLER
    record_ttl_seconds: int = 7 * 24 * 3600

    def __post_init__(self) -> None:
        if not self.queue_urls:
            raise ValueError("queue_urls must name at least one shard queue")
        if self.shard and self.shard not in self.queue_urls:
            raise ValueError(f"shard {self.shard!r} has no queue in queue_urls")
        if self.max_attempts < 1 or self.retry_delay_seconds < 0 or self.membership_cache_seconds < 0:
            raise ValueError("max_attempts must be at least 1, delays and cache times at least 0")
        if "." not in self.message_handler:
            raise ValueError(f"message handler {self.message_handler!r} must be 'module.function'")
