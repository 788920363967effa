"""``EventLog``: versioned event streams and one global, gap-free notification log on one DynamoDB table.

An append is **one** ``TransactWriteItems``:

- the log counter moves from the position read to ``position + n`` (conditioned on the value read,
  so two appends never take the same positions and none leaves a gap: the sequence generator's
  gap-free mode);
- each stream's head moves from ``first version - 1`` to its last version (conditioned: a stream
  never gets a duplicate version or a gap, and a conflicting append writes nothing);
- each stream gets one *commit* item holding the appended events, and the log one item holding the
  same events under their positions (two copies: reads of a stream and of the log are each one query);
- optionally a tracking record (a consumer's position, only ever moving up) in the same transaction.

So a transaction holds ``2 + 2 × streams`` items (+1 with tracking): at most 48 streams per append,
and each commit or log item is one DynamoDB item (400 KB). A lost race on the counter is retried
from a fresh read with jittered backoff; a lost race on a stream head is a :class:`VersionConflict`.

Key layout (table key ``pk`` string, ``sk`` number), all under an optional ``namespace`` prefix:

==============================  =======================  ==========================================
item                            pk                       sk
==============================  =======================  ==========================================
log counter                     ``log``                  0 (``last``: the last position)
log item                        ``log#<block>``          the first position it holds
stream head                     ``stream#<id>``          -1 (``last``: the last version)
stream commit                   ``stream#<id>``          the first version it holds
tracking record                 ``tracking#<name>``      0 (``last``: the last position tracked)
==============================  =======================  ==========================================
"""

from __future__ import annotations

import hashlib
import random
import time
from base64 import b64decode
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
from botocore.exceptions import ClientError

from functions.event_store.exceptions import (
    AppendTooLarge,
    Contention,
    TokenReused,
    TrackingConflict,
    VersionConflict,
)

BLOCK = 1_000_000  # positions per log partition
MAX_ITEMS = 100  # DynamoDB's limit of actions per transaction
MAX_ITEM_BYTES = 350_000  # under DynamoDB's 400 KB per item, leaving room for names and overhead
HEAD = -1
S = TypeVar("S")


@dataclass(frozen=True)
class NewEvent:
    """An event to append: its stream, its version in that stream, its type (topic) and its bytes."""

    stream_id: str
    version: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class RecordedEvent(NewEvent):
    """An event as stored: with its position in the notification log."""

    position: int


class EventLog:
    """Streams and the notification log on ``table``; see the module docstring for what one append writes.

    namespace: a prefix for every key (several independent stores in one table; tests use it).
    max_attempts: appends tried against a moving log counter before :class:`Contention`.
    upcasters: topic -> a function turning a stored event of that (old) topic into its current form;
    applied on every read, chained until no upcaster matches (stored events are never rewritten).
    """

    def __init__(self, table: str, dynamodb: Any = None, *, namespace: str = "", max_attempts: int = 50,
                 upcasters: Mapping[str, Callable[[RecordedEvent], RecordedEvent]] | None = None,
                 token_ttl_seconds: int = 86_400, sleep: Callable[[float], None] = time.sleep,
                 rand: Callable[[], float] = random.random, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.dynamodb = dynamodb or boto3.client("dynamodb")
        self.namespace = namespace
        self.max_attempts = max_attempts
        self.upcasters = dict(upcasters or {})
        self.token_ttl_seconds = token_ttl_seconds
        self._sleep, self._rand, self._clock = sleep, rand, clock

    # -- writing ---------------------------------------------------------------------------------

    def append(self, events: Sequence[NewEvent], tracking: tuple[str, int] | None = None,
               token: str | None = None) -> list[int]:
        """Append ``events`` (each stream's versions contiguous and ascending) atomically; return their
        positions in the log, in order.

        token: a client token making a retry safe: the same token with the same events returns the
        positions of the first append (kept ``token_ttl_seconds``), with other events
        :class:`TokenReused`. Raises :class:`VersionConflict` (a stream moved: nothing written),
        :class:`TrackingConflict`, :class:`AppendTooLarge` or :class:`Contention`."""
        if not events:
            return []
        streams = _by_stream(events)
        if 2 + 2 * len(streams) + (tracking is not None) + (token is not None) > MAX_ITEMS:
            raise AppendTooLarge(f"an append may touch at most {(MAX_ITEMS - 4) // 2} streams; "
                                 f"this one touches {len(streams)}")
        fingerprint = _fingerprint(events) if token is not None else ""
        for attempt in range(1, self.max_attempts + 1):
            last = self.last_position() or 0
            roles, items = self._transaction(streams, events, last, tracking, token, fingerprint)
            try:
                self.dynamodb.transact_write_items(TransactItems=items)
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                failed = {role for role, reason in zip(roles, error.response.get("CancellationReasons", []),
                                                       strict=False) if reason.get("Code") == "ConditionalCheckFailed"}
                if "token" in failed:
                    return self._replayed(token or "", fingerprint)
                self._raise_definitive(failed, tracking)
                self._sleep(min(0.2, 0.005 * 2 ** min(attempt, 6)) * (0.5 + self._rand()))
                continue
            return list(range(last + 1, last + 1 + len(events)))
        raise Contention(f"the notification log kept moving for {self.max_attempts} attempts; retry later")

    def _transaction(self, streams: dict[str, list[NewEvent]], events: Sequence[NewEvent], last: int,
                     tracking: tuple[str, int] | None, token: str | None,
                     fingerprint: str) -> tuple[list[str], list[dict[str, Any]]]:
        """The items of one append and the role of each (``counter``, ``stream:<id>``, ``commit``...)."""
        positions = dict(zip(map(id, events), range(last + 1, last + 1 + len(events)), strict=True))
        counter: dict[str, Any] = {
            "TableName": self.table, "Key": self._key("log", 0),
            "UpdateExpression": "SET #last = :next", "ExpressionAttributeNames": {"#last": "last"},
            "ExpressionAttributeValues": {":next": _n(last + len(events))}}
        if last:
            counter["ConditionExpression"] = "#last = :last"
            counter["ExpressionAttributeValues"][":last"] = _n(last)
        else:
            counter["ConditionExpression"] = "attribute_not_exists(#last)"
        roles, items = ["counter"], [{"Update": counter}]
        for stream_id, stream_events in streams.items():
            first, final = stream_events[0].version, stream_events[-1].version
            roles += [f"stream:{stream_id}", "commit"]
            items.append({"Update": {
                "TableName": self.table, "Key": self._key(f"stream#{stream_id}", HEAD),
                "UpdateExpression": "SET #last = :final", "ExpressionAttributeNames": {"#last": "last"},
                "ConditionExpression": "attribute_not_exists(#last) OR #last = :before",
                "ExpressionAttributeValues": {":final": _n(final), ":before": _n(first - 1)}}})
            items.append({"Put": {
                "TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
                "Item": {**self._key(f"stream#{stream_id}", first), "events": _list(
                    {"v": _n(e.version), "t": {"S": e.topic}, "d": {"B": e.state}, "p": _n(positions[id(e)])}
                    for e in stream_events)}}})
        roles.append("log")
        items.append({"Put": {
            "TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
            "Item": {**self._key(f"log#{(last + 1) // BLOCK}", last + 1), "events": _list(
                {"s": {"S": e.stream_id}, "v": _n(e.version), "t": {"S": e.topic}, "d": {"B": e.state}}
                for e in events)}}})
        if token is not None:
            expires = int(self._clock()) + self.token_ttl_seconds
            roles.append("token")
            items.append({"Put": {
                "TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
                "Item": {**self._key(f"token#{token}", 0), "first": _n(last + 1), "count": _n(len(events)),
                         "fingerprint": {"S": fingerprint}, "expires": _n(expires)}}})
        if tracking is not None:
            roles.append("tracking")
            items.append({"Update": self._tracking_update(*tracking)})
        return roles, items

    def _raise_definitive(self, failed: set[str], tracking: tuple[str, int] | None) -> None:
        """A failed condition on a stream head or a tracking record is final; on the counter, retry."""
        moved = sorted(role.split(":", 1)[1] for role in failed if role.startswith("stream:"))
        if moved:
            raise VersionConflict(f"stream {moved[0]} already has a version this append expected to write; "
                                  "nothing was appended")
        if "tracking" in failed and tracking is not None:
            raise TrackingConflict(f"{tracking[0]} already tracked position {tracking[1]} or a later one")

    def _replayed(self, token: str, fingerprint: str) -> list[int]:
        item = self.dynamodb.get_item(TableName=self.table, Key=self._key(f"token#{token}", 0),
                                      ConsistentRead=True).get("Item")
        if item is None:  # expired between the write and this read: the append went through earlier
            raise TokenReused(f"token {token!r} was used and has expired; use a new token")
        if item["fingerprint"]["S"] != fingerprint:
            raise TokenReused(f"token {token!r} was already used for a different append")
        first = int(item["first"]["N"])
        return list(range(first, first + int(item["count"]["N"])))

    # -- snapshots ---------------------------------------------------------------------------------

    def save_snapshot(self, stream_id: str, version: int, state: bytes) -> None:
        """Keep ``state`` as the stream's state at ``version`` (a snapshot; overwritten if taken again)."""
        if len(state) > MAX_ITEM_BYTES:
            raise AppendTooLarge(f"a snapshot is one DynamoDB item: at most {MAX_ITEM_BYTES:,} bytes")
        self.dynamodb.put_item(TableName=self.table, Item={**self._key(f"snapshot#{stream_id}", version),
                                                           "d": {"B": state}})

    def latest_snapshot(self, stream_id: str, up_to: int | None = None) -> tuple[int, bytes] | None:
        """The newest snapshot at or below ``up_to``: ``(version, state)``, or None."""
        answer = self.dynamodb.query(
            TableName=self.table, KeyConditionExpression="pk = :pk AND sk <= :high", ScanIndexForward=False,
            ExpressionAttributeValues={":pk": {"S": self._pk(f"snapshot#{stream_id}")},
                                       ":high": _n(2**62 if up_to is None else up_to)}, Limit=1, ConsistentRead=True)
        items = answer.get("Items", [])
        return (int(items[0]["sk"]["N"]), bytes(items[0]["d"]["B"])) if items else None

    def load(self, stream_id: str, apply: Callable[[S, RecordedEvent], S], initial: S, *,
             encode: Callable[[S], bytes], decode: Callable[[bytes], S],
             snapshot_every: int | None = None) -> tuple[S, int]:
        """A stream's state and version: from its latest snapshot plus the events after it (or from
        ``initial`` and every event), taking a new snapshot when ``snapshot_every`` events or more
        had to be replayed."""
        snapshot = self.latest_snapshot(stream_id)
        state, version = (decode(snapshot[1]), snapshot[0]) if snapshot else (initial, 0)
        tail = self.stream(stream_id, after=version if snapshot else None)
        for event in tail:
            state, version = apply(state, event), event.version
        if snapshot_every and len(tail) >= snapshot_every:
            self.save_snapshot(stream_id, version, encode(state))
        return state, version

    def track(self, name: str, position: int) -> None:
        """Record that consumer ``name`` has processed the log up to ``position`` (only ever upwards)."""
        try:
            self.dynamodb.update_item(**self._tracking_update(name, position))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise TrackingConflict(f"{name} already tracked position {position} or a later one") from None
            raise

    def _tracking_update(self, name: str, position: int) -> dict[str, Any]:
        return {"TableName": self.table, "Key": self._key(f"tracking#{name}", 0),
                "UpdateExpression": "SET #last = :position", "ExpressionAttributeNames": {"#last": "last"},
                "ConditionExpression": "attribute_not_exists(#last) OR #last < :position",
                "ExpressionAttributeValues": {":position": _n(position)}}

    # -- reading ---------------------------------------------------------------------------------

    def last_position(self) -> int | None:
        """The log's last position (None while it is empty); strongly consistent."""
        return self._last(self._key("log", 0))

    def tracked(self, name: str) -> int | None:
        """The last position consumer ``name`` recorded, or None."""
        return self._last(self._key(f"tracking#{name}", 0))

    def last_version(self, stream_id: str) -> int | None:
        """The stream's last version, or None for a stream with no events."""
        return self._last(self._key(f"stream#{stream_id}", HEAD))

    def stream(self, stream_id: str, *, after: int | None = None, up_to: int | None = None,
               backwards: bool = False, limit: int | None = None) -> list[RecordedEvent]:
        """The stream's events with ``after < version <= up_to``, oldest first (or newest first)."""
        pk = f"stream#{stream_id}"
        low = (self._item_holding(pk, after + 1) or 0) if after is not None else 0  # snapshot + tail
        condition = "pk = :pk AND sk BETWEEN :low AND :high"
        values = {":pk": {"S": self._pk(pk)}, ":low": _n(low), ":high": _n(up_to if up_to is not None else 2**62)}
        found = [self._upcast(event) for item in self.query(condition, values, forward=not backwards)
                 for event in self._stream_events(stream_id, item)]
        found = [e for e in found if (after is None or e.version > after) and (up_to is None or e.version <= up_to)]
        found.sort(key=lambda e: e.version, reverse=backwards)
        return found if limit is None else found[:limit]

    def notifications(self, start: int | None, limit: int, stop: int | None = None, topics: Sequence[str] = (),
                      *, inclusive: bool = True) -> list[RecordedEvent]:
        """At most ``limit`` events from the log, by position: from ``start`` (or after it), up to ``stop``,
        only of ``topics`` when given."""
        last = self.last_position()
        lowest = 1 if start is None else (start if inclusive else start + 1)
        highest = min(last or 0, stop if stop is not None else 2**62)
        if limit <= 0 or last is None or lowest > highest:
            return []
        wanted = set(topics)
        found: list[RecordedEvent] = []
        for event in self._log_from(lowest, highest):
            if event.position > highest:
                break
            if event.position >= lowest and (not wanted or event.topic in wanted):
                found.append(event)
                if len(found) == limit:
                    break
        return found

    def _log_from(self, lowest: int, highest: int) -> Iterator[RecordedEvent]:
        """Log events from the item holding ``lowest`` onwards, block after block, up to ``highest``."""
        block = lowest // BLOCK
        first = self._item_holding(f"log#{block}", lowest)
        if first is None and block > 0:  # an item that began in the previous block may hold it
            first = self._item_holding(f"log#{block - 1}", lowest)
        first = lowest if first is None else first
        for current in range(first // BLOCK, highest // BLOCK + 1):
            values = {":pk": {"S": self._pk(f"log#{current}")}, ":low": _n(first if current == first // BLOCK else 0),
                      ":high": _n(highest)}
            for item in self.query("pk = :pk AND sk BETWEEN :low AND :high", values):
                yield from map(self._upcast, log_events(item))

    def _item_holding(self, pk: str, position: int) -> int | None:
        """The sort key of the item of ``pk`` that starts at or before ``position`` (commits and log items
        hold runs of versions or positions, keyed by their first), or None."""
        answer = self.dynamodb.query(
            TableName=self.table, KeyConditionExpression="pk = :pk AND sk BETWEEN :zero AND :position",
            ExpressionAttributeValues={":pk": {"S": self._pk(pk)}, ":zero": _n(0), ":position": _n(position)},
            ScanIndexForward=False, Limit=1, ConsistentRead=True)
        return int(answer["Items"][0]["sk"]["N"]) if answer.get("Items") else None

    def _upcast(self, event: RecordedEvent) -> RecordedEvent:
        seen = set()
        while event.topic in self.upcasters and event.topic not in seen:
            seen.add(event.topic)
            event = self.upcasters[event.topic](event)
        return event

    def query(self, condition: str, values: dict[str, Any], forward: bool = True) -> Iterator[dict[str, Any]]:
        """Every item a key-condition query on the table returns, page after page, strongly consistent."""
        query: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": condition,
                                 "ExpressionAttributeValues": values, "ScanIndexForward": forward,
                                 "ConsistentRead": True}
        while True:
            page = self.dynamodb.query(**query)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _stream_events(self, stream_id: str, item: dict[str, Any]) -> list[RecordedEvent]:
        return [RecordedEvent(stream_id, int(e["M"]["v"]["N"]), e["M"]["t"]["S"], _bytes(e["M"]["d"]["B"]),
                              int(e["M"]["p"]["N"])) for e in item["events"]["L"]]

    def _last(self, key: dict[str, Any]) -> int | None:
        item = self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return int(item["last"]["N"]) if item and "last" in item else None

    def _pk(self, name: str) -> str:
        return f"{self.namespace}{name}"

    def _key(self, name: str, sort: int) -> dict[str, Any]:
        return {"pk": {"S": self._pk(name)}, "sk": _n(sort)}


def _by_stream(events: Sequence[NewEvent]) -> dict[str, list[NewEvent]]:
    """Events grouped by stream, each group's versions checked contiguous and ascending, sizes checked."""
    streams: dict[str, list[NewEvent]] = {}
    for event in events:
        if not isinstance(event.stream_id, str) or not event.stream_id:
            raise ValueError("every event needs a non-empty stream id")
        if isinstance(event.version, bool) or not isinstance(event.version, int) or event.version < 0:
            raise ValueError(f"a version is an integer >= 0, not {event.version!r}")
        streams.setdefault(event.stream_id, []).append(event)
    for stream_id, stream_events in streams.items():
        versions = [e.version for e in stream_events]
        if len(set(versions)) != len(versions):
            raise VersionConflict(f"stream {stream_id}: one append holds a version twice; nothing was appended")
        if versions != list(range(versions[0], versions[0] + len(versions))):
            raise ValueError(f"stream {stream_id}: versions in one append must be contiguous and ascending, "
                             f"not {versions[:5]}")
    total = sum(len(e.state) + len(e.topic) + len(e.stream_id) + 40 for e in events)
    if total > MAX_ITEM_BYTES:
        raise AppendTooLarge(f"this append holds about {total:,} bytes; one append is stored in one DynamoDB "
                             f"item, at most {MAX_ITEM_BYTES:,} bytes of events")
    return streams


def log_events(item: dict[str, Any]) -> Iterator[RecordedEvent]:
    """The events of one log item in DynamoDB's JSON, as read (binary as bytes) or as a stream record's
    image carries it (binary as base64 text)."""
    first = int(item["sk"]["N"])
    for offset, e in enumerate(item["events"]["L"]):
        m = e["M"]
        yield RecordedEvent(m["s"]["S"], int(m["v"]["N"]), m["t"]["S"], _bytes(m["d"]["B"]), first + offset)


def _fingerprint(events: Sequence[NewEvent]) -> str:
    digest = hashlib.sha256()
    for e in events:
        for part in (e.stream_id.encode(), str(e.version).encode(), e.topic.encode(), e.state):
            digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _list(maps: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"L": [{"M": m} for m in maps]}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _bytes(value: bytes | str) -> bytes:
    return b64decode(value) if isinstance(value, str) else bytes(value)
