"""What the rate-limit components hand their functions, and what an in-process limiter takes.

One configuration class, :class:`RateLimitConfig` (``RATE_LIMIT_CONFIG``), with a section per role:
``limiter`` (the limits and their table, for the library, the authorizer and the decorator),
``authorizer`` (who is a caller and what identifies them) and ``buffer`` (the inbound buffer).
Pure: every check is written here once, so a limit that could not work fails at declaration.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from functions.common.config import HandoffConfig

Algorithm = Literal["token_bucket", "fixed_window", "sliding_log", "sliding_counter"]
ALGORITHMS: tuple[str, ...] = ("token_bucket", "fixed_window", "sliding_log", "sliding_counter")
FailMode = Literal["open", "closed"]
LimitBy = Literal["api_key", "header", "source_ip"]
POLICY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_LOG_LIMIT = 1000
"""The sliding log keeps one entry per admitted request in the window in one item (400 KB at most)."""
MAX_PERIOD_SECONDS = 366 * 24 * 3600


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True)
class Limit:
    """One limit: ``limit`` units per ``period_seconds``, enforced by ``algorithm``.

    name: the policy's name (``RateLimit-Policy``; lower-case letters, digits, ``_``).
    burst: token bucket only: the bucket's size (default ``limit``); it refills ``limit`` per period.
    """

    name: str
    limit: int
    period_seconds: float
    algorithm: Algorithm = "token_bucket"
    burst: int | None = None

    def __post_init__(self) -> None:
        where = f"Limit {self.name!r}"
        if not isinstance(self.name, str) or not POLICY_NAME.match(self.name):
            raise ValueError(f"{where}: name must be 1-32 lower-case letters, digits or '_', starting with a letter")
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"{where}: algorithm must be one of {', '.join(ALGORITHMS)}, got {self.algorithm!r}")
        if not _positive_int(self.limit):
            raise ValueError(f"{where}: limit must be a positive integer, got {self.limit!r}")
        period = self.period_seconds
        if isinstance(period, bool) or not isinstance(period, int | float) or not math.isfinite(period) \
                or not 0.001 <= period <= MAX_PERIOD_SECONDS:
            raise ValueError(f"{where}: period_seconds must be a number in 0.001..{MAX_PERIOD_SECONDS}, got {period!r}")
        if self.burst is not None and (self.algorithm != "token_bucket" or not _positive_int(self.burst)):
            raise ValueError(f"{where}: burst is a positive integer, for a token bucket only, got {self.burst!r}")
        if self.algorithm == "sliding_log" and self.limit > MAX_LOG_LIMIT:
            raise ValueError(f"{where}: a sliding log keeps one entry per request: limit must be at most "
                             f"{MAX_LOG_LIMIT}, got {self.limit} (use sliding_counter for larger limits)")

    @property
    def capacity(self) -> int:
        """The most units one key may spend at once: the bucket's size, or the window's limit."""
        return self.burst if self.burst is not None else self.limit

    @property
    def period_us(self) -> int:
        return round(self.period_seconds * 1_000_000)


@dataclass(frozen=True, kw_only=True)
class LimiterSettings:
    """The limits one key is held to (all at once, decided atomically) and where their state lives.

    table: the state table (hash key ``pk``, TTL attribute ``ttl``). namespace: prefixes every key, so
    several limiters share a table. fail_mode: what a decision is when DynamoDB throttles or cannot be
    reached (``open``: allow; ``closed``: refuse with 503). shards: split each key over this many items
    (each holding ``1/shards`` of every limit) to spread a hot key. max_attempts: conditional writes per
    decision before giving up under contention.
    """

    table: str
    limits: tuple[Limit, ...]
    namespace: str = "rl"
    fail_mode: FailMode = "closed"
    shards: int = 1
    max_attempts: int = 20

    def __post_init__(self) -> None:
        if not self.limits:
            raise ValueError("limits must hold at least one Limit")
        names = [limit.name for limit in self.limits]
        if len(set(names)) != len(names):
            raise ValueError(f"limits must have unique names, got {names}")
        if self.fail_mode not in ("open", "closed"):
            raise ValueError(f"fail_mode must be 'open' or 'closed', got {self.fail_mode!r}")
        if not re.match(r"^[A-Za-z0-9_.-]{1,64}$", self.namespace or ""):
            raise ValueError(f"namespace must be 1-64 letters, digits, '_', '.' or '-', got {self.namespace!r}")
        if not _positive_int(self.shards) or self.shards > 64:
            raise ValueError(f"shards must be an integer in 1..64, got {self.shards!r}")
        for limit in self.limits:
            if self.shards > 1 and (limit.limit % self.shards or limit.capacity % self.shards):
                raise ValueError(f"Limit {limit.name!r}: with {self.shards} shards, limit and burst must be "
                                 f"divisible by {self.shards} (each shard holds an equal part)")
        if not _positive_int(self.max_attempts) or self.max_attempts > 100:
            raise ValueError(f"max_attempts must be an integer in 1..100, got {self.max_attempts!r}")

    @property
    def capacity(self) -> int:
        """The largest cost one request may have: every limit (every shard of it) must be able to hold it."""
        return min(limit.capacity for limit in self.limits) // self.shards


@dataclass(frozen=True, kw_only=True)
class AuthorizerSettings:
    """Who may call, and what a limit is counted per.

    clients_table: registered API keys (hash key ``key_hash``: the SHA-256 of the key, hex; attribute
    ``client``). key_header: the header carrying the API key. limit_by: ``api_key`` (per key),
    ``header`` (per value of ``tenant_header``, e.g. a tenant id; the key must still be registered) or
    ``source_ip``.
    """

    clients_table: str
    key_header: str = "x-api-key"
    limit_by: LimitBy = "api_key"
    tenant_header: str = "x-tenant-id"

    def __post_init__(self) -> None:
        if self.limit_by not in ("api_key", "header", "source_ip"):
            raise ValueError(f"limit_by must be 'api_key', 'header' or 'source_ip', got {self.limit_by!r}")
        for option in ("key_header", "tenant_header"):
            value = getattr(self, option)
            if not isinstance(value, str) or not re.match(r"^[A-Za-z0-9-]{1,64}$", value):
                raise ValueError(f"{option} must be a header name (letters, digits, '-'), got {value!r}")


@dataclass(frozen=True, kw_only=True)
class BufferSettings:
    """The inbound buffer: its queue and status table (hash key ``id``), how many receives a request gets
    before it is parked in the DLQ, the downstream code the worker calls (``module.function``, taking a
    :class:`~functions.rate_limit.buffer.Request`) and that code's own settings."""

    status_table: str
    queue_url: str = ""
    max_receive_count: int = 3
    retry_delay_seconds: int = 1
    max_payload_bytes: int = 64 * 1024
    downstream_handler: str = "functions.rate_limit.buffer.acknowledge"
    downstream_settings: dict[str, str] = field(default_factory=dict)
    status_ttl_seconds: int = 7 * 24 * 3600

    def __post_init__(self) -> None:
        for option in ("max_receive_count", "status_ttl_seconds", "max_payload_bytes"):
            if not _positive_int(getattr(self, option)):
                raise ValueError(f"{option} must be a positive integer, got {getattr(self, option)!r}")
        if isinstance(self.retry_delay_seconds, bool) or not isinstance(self.retry_delay_seconds, int) \
                or not 0 <= self.retry_delay_seconds <= 43200:
            raise ValueError(f"retry_delay_seconds must be an integer in 0..43200, got {self.retry_delay_seconds!r}")
        if "." not in self.downstream_handler:
            raise ValueError(f"downstream_handler must be 'module.function', got {self.downstream_handler!r}")


@dataclass(frozen=True, kw_only=True)
class RateLimitConfig(HandoffConfig):
    """The one hand-off of the rate-limit pattern; each function gets the sections its role needs."""

    VARIABLE: ClassVar[str] = "RATE_LIMIT_CONFIG"

    limiter: LimiterSettings | None = None
    authorizer: AuthorizerSettings | None = None
    buffer: BufferSettings | None = None

    def __post_init__(self) -> None:
        if self.limiter is None and self.buffer is None:
            raise ValueError("a rate-limit configuration holds a limiter or a buffer section")
        if self.authorizer is not None and self.limiter is None:
            raise ValueError("an authorizer section needs a limiter section")
