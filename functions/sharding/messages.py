"""Keys, message ids and the envelope a routed message travels in.

A key becomes the SQS FIFO message group id, so it follows that id's rules: 1-128 characters,
letters, digits and ASCII punctuation. The envelope carries the key's ``seq`` (its place in the
key's order), the message id (idempotency: a retried send is recognised) and the membership version
it was routed under.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from functions.common.errors import InvalidInput
from functions.sharding.exceptions import InvalidKey
from functions.sharding.placement import check_key

MAX_KEY_LENGTH = 128
_KEY = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def validate_key(key: Any) -> str:
    """A message key: what placement accepts, and a valid SQS message group id."""
    key = check_key(key)
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"the key is {len(key)} characters; at most {MAX_KEY_LENGTH} (it is the SQS message group id)")
    if not _KEY.match(key):
        raise InvalidKey(f"the key {key[:40]!r} has a character SQS does not take in a message group id: use "
                         "letters, digits and ASCII punctuation, no spaces")
    return key


def validate_message_id(value: Any) -> str:
    if not isinstance(value, str) or not MESSAGE_ID.match(value):
        raise InvalidInput(f"invalid message id {str(value)[:40]!r}: use 1-100 letters, digits, '_', '.', ':' or '-'")
    return value


@dataclass(frozen=True)
class Envelope:
    """One routed message. ``body``: any JSON value the producer sent."""

    key: str
    seq: int
    id: str
    version: int
    shard: str
    body: Any
    sent_at: int

    @property
    def deduplication_id(self) -> str:
        """SQS FIFO deduplication id: the same for a replayed send of the same message and ``seq``."""
        return f"{self.seq}.{self.id}"

    def to_json(self) -> str:
        return json.dumps({"key": self.key, "seq": self.seq, "id": self.id, "version": self.version,
                           "shard": self.shard, "body": self.body, "sent_at": self.sent_at},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Envelope:
        """Parse an envelope; ``ValueError`` when it is not one (a message nobody routed)."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("an envelope is a JSON object")
        try:
            envelope = cls(data["key"], data["seq"], data["id"], data["version"], data["shard"], data.get("body"),
                           data["sent_at"])
        except KeyError as exc:
            raise ValueError(f"an envelope has no {exc.args[0]!r}") from None
        numbers = (envelope.seq, envelope.version)
        if not isinstance(envelope.key, str) or not envelope.key or not isinstance(envelope.id, str) \
                or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in numbers):
            raise ValueError("an envelope needs a key, an id, and a seq and version of at least 1")
        return envelope
