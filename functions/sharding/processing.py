"""What a shard's worker does with each message, on top of the ledger: exactly-once processing in
the key's order, failures retried, and a message that keeps failing moved to the shard's DLQ.

- A message whose ``seq`` is already settled is a redelivery: skipped.
- A message id already processed under another ``seq`` (a producer retried after its first send
  went through) is settled as a duplicate, without running the handler.
- The handler raises: the failure is counted in the ledger; below ``max_attempts`` the message is
  retried (the caller makes it visible again); at ``max_attempts`` it is sent to the DLQ with the
  error and settled as ``dead_lettered``, so the key's next messages go on, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from functions.common import user_code
from functions.common.user_code import load_callable
from functions.sharding.ledger import Ledger
from functions.sharding.messages import Envelope

Outcome = Literal["processed", "duplicate", "skipped", "dead_lettered"]
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class ShardMessage:
    """What a message handler receives: ``(key, seq)`` identifies the message for its own idempotency."""

    key: str
    seq: int
    id: str
    body: Any
    shard: str
    membership_version: int
    attempt: int


def acknowledge(message: ShardMessage) -> dict[str, Any]:
    """The default handler: does nothing and says so (replace it with your own code)."""
    return {"acknowledged": message.id}


def load_handler(path: str) -> Callable[[ShardMessage], Any]:
    """``module.function`` (e.g. ``my_handlers.on_message``) as a callable."""
    return load_callable(path, "message handler")


def describe_error(error: BaseException) -> str:
    return user_code.describe_error(error, MAX_ERROR_LENGTH)


class ShardWorker:
    """Processes the messages of one shard. ``dead_letter(envelope, error)`` sends to its DLQ."""

    def __init__(self, shard: str, ledger: Ledger, handler: Callable[[ShardMessage], Any],
                 dead_letter: Callable[[Envelope, str], None], max_attempts: int = 3) -> None:
        self.shard, self.ledger, self.handler = shard, ledger, handler
        self.dead_letter, self.max_attempts = dead_letter, max_attempts

    def process(self, envelope: Envelope, attempt: int = 1) -> Outcome:
        """Process one message; raises when it should be retried."""
        key, seq = envelope.key, envelope.seq
        done = self.ledger.delivery(key, seq)
        if done is not None and done.status:
            return "skipped"
        earlier = self.ledger.seen(key, envelope.id)
        if earlier is not None and earlier != seq:
            return self._settle(envelope, "duplicate")
        try:
            self.handler(ShardMessage(key, seq, envelope.id, envelope.body, self.shard, envelope.version, attempt))
        except Exception as exc:
            error = describe_error(exc)
            if self.ledger.record_failure(key, seq, error) < self.max_attempts:
                raise
            self.dead_letter(envelope, error)
            return self._settle(envelope, "dead_lettered", error)
        return self._settle(envelope, "processed")

    def _settle(self, envelope: Envelope, status: Literal["processed", "duplicate", "dead_lettered"],
                error: str = "") -> Outcome:
        settled = self.ledger.settle(envelope.key, envelope.seq, envelope.id, status, self.shard, envelope.version,
                                     error)
        return "skipped" if settled is None else settled.status  # type: ignore[return-value]
