"""What the storage-first consumers and the status route receive from ``StorageFirstApi`` (see
:mod:`functions.common.config`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from functions.common.config import HandoffConfig

Kind = Literal["sqs", "sqs-fifo", "eventbridge", "dynamodb", "stepfunctions", "s3"]
KINDS: tuple[Kind, ...] = ("sqs", "sqs-fifo", "eventbridge", "dynamodb", "stepfunctions", "s3")
DEFAULT_PROCESSOR = "functions.storage_first.processing.acknowledge"  # harmless: replace it with your own code


@dataclass(frozen=True)
class TargetSettings:
    """One storage target: its route name, its kind, and where its consumer dead-letters (``dlq_url``);
    ``source``: the ARN its records arrive from (a queue, the table's stream, the queue a bucket
    notifies; for ``stepfunctions`` the state machine's name), so one consumer can tell which target a
    record belongs to.
    ``max_attempts``: this target's own retry budget (``None``: the API's)."""

    name: str
    kind: Kind
    source: str
    dlq_url: str
    max_attempts: int | None = None


@dataclass(frozen=True, kw_only=True)
class StorageFirstConfig(HandoffConfig):
    """targets: by name. status_table: one record per processed (or given-up) request, keyed
    ``<target>/<id>``. processor: ``module.function`` run on each stored request (raise to fail).
    max_attempts: failures before a request goes to its target's DLQ with the reason.
    retry_delay_seconds: wait before a failed queued request comes back. status_ttl_seconds: how long
    status records are kept."""

    VARIABLE: ClassVar[str] = "STORAGE_FIRST_CONFIG"

    targets: dict[str, TargetSettings] = field(default_factory=dict)
    status_table: str
    processor: str = DEFAULT_PROCESSOR
    max_attempts: int = 3
    retry_delay_seconds: int = 1
    status_ttl_seconds: int = 7 * 24 * 3600

    def __post_init__(self) -> None:
        if not self.targets:
            raise ValueError("targets must name at least one target")
        if self.max_attempts < 1 or self.retry_delay_seconds < 0:
            raise ValueError("max_attempts must be at least 1, retry_delay_seconds at least 0")

    def attempts_for(self, target: str) -> int:
        """How many processor failures a request of ``target`` is given before its DLQ."""
        return self.targets[target].max_attempts or self.max_attempts

    def target_for(self, source: str) -> TargetSettings:
        """The target whose records come from ``source`` (a queue ARN, or a stream ARN by its table)."""
        for target in self.targets.values():
            if source == target.source or (target.kind == "dynamodb" and source.startswith(target.source + "/")):
                return target
        raise LookupError(f"no storage-first target reads from {source}")
