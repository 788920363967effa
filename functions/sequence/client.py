"""``SequenceClient``: take ids from DynamoDB counters, in-process or behind the REST handler.

Three modes, chosen per sequence in the configuration (see :class:`GeneratorConfig`):

- atomic: one ``UpdateItem`` per request (``SET value = if_not_exists(value, start - 1) + count``, the
  ``ADD`` of a counter that has a starting value). Unique and increasing; a caller that fails after
  taking a number leaves a gap.
- gap-free: read the counter, then one ``TransactWriteItems``: the counter moves from the value read to
  the next (condition on the value read) and the caller's item is inserted with that id (condition
  ``attribute_not_exists``). A conflicting writer cancels the transaction and the client retries with
  jittered backoff; a duplicate item cancels it for good, so a failed insert consumes no number.
- block: ``allocator(name)`` leases ``block_size`` ids with one ``UpdateItem`` and hands them out locally;
  unused ids at the tail of a block are gaps.

An idempotency key makes a retried request return the ids of the first: in gap-free mode the key
record is written in the same transaction; in atomic mode the key is claimed first (a conditional
put of an in-progress record), then the counter moves, then the record is completed with the ids,
so concurrent copies of one request take one range and the counter moves once.

Examples
--------
>>> client = SequenceClient.from_environment()          # SEQUENCE_CONFIG, exported by the component
>>> client.next("ticket").first                          # doctest: +SKIP
1000
>>> orders = client.allocator("order-eu")                # doctest: +SKIP
>>> orders.next(), orders.next()                         # doctest: +SKIP
(1, 2)
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from functions.common.validation import InvalidInput
from functions.sequence.config import MAX_VALUE, GeneratorConfig, SequenceSettings
from functions.sequence.exceptions import Contention, IdempotencyKeyReused, ItemExists, SequenceExhausted
from functions.sequence.sequences import (
    IdRange,
    NextRequest,
    backoff_delay,
    check_fits,
    key_record_id,
    parse_request,
)

_REUSE_RETURNED_VALUE_ATTEMPTS = 8
"""Gap-free attempts that retry from the counter value a cancellation returns (backoff up to ~0.3 s);
later ones read it afresh. Measured on the emulator at 16 writers: reusing the value always starves a
few requests; reading always cancels 2-3 times more transactions."""
_COUNTER = {"#v": "value"}
_IN_PROGRESS = "in-progress"
_CLAIM_SECONDS = 30  # a claim whose holder died is free again after this (its record expires)
_CLAIM_POLLS = 12  # with backoff, about 2 s of waiting for the holder's ids
_serializer = TypeSerializer()


class SequenceClient:
    """Issues ids for the sequences of one generator (one counters table).

    dynamodb: a low-level boto3 DynamoDB client (default: a new one; it honours ``AWS_ENDPOINT_URL``).
    sleep / rand / clock: injectable for tests.
    """

    def __init__(
        self,
        config: GeneratorConfig | str,
        dynamodb: Any = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config if isinstance(config, GeneratorConfig) else GeneratorConfig.from_json(config)
        self._ddb = dynamodb or boto3.client("dynamodb")
        self._sleep, self._rand, self._clock = sleep, rand, clock

    @classmethod
    def from_environment(cls, dynamodb: Any = None) -> SequenceClient:
        """A client configured by ``SEQUENCE_CONFIG`` (the JSON the component exports as ``client_config``)."""
        return cls(GeneratorConfig.from_environment(), dynamodb)

    def next(
        self,
        name: str,
        count: int | None = None,
        *,
        item: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> IdRange:
        """Take ``count`` ids (default: 1, or a block in block mode); gap-free mode takes ``item``."""
        settings = self.config.resolve(name)
        body: dict[str, Any] = {}
        if count is not None:
            body["count"] = count
        if item is not None:
            body["item"] = dict(item)
        return self.take(settings, parse_request(settings, body, idempotency_key, self.config.max_count))

    def take(self, settings: SequenceSettings, request: NextRequest) -> IdRange:
        """Serve an already validated request (the REST handler validates, then calls this)."""
        if request.idempotency_key:
            stored = self._replay(settings.name, request.idempotency_key, request.fingerprint)
            if stored is not None:
                return stored
        if settings.mode == "gap-free":
            assert request.item is not None
            return self._insert_gap_free(settings, request)
        if request.idempotency_key:
            return self._increment_once(settings, request)
        return self._increment(settings, request.count)

    def allocator(self, name: str, block_size: int | None = None) -> BlockAllocator:
        """Hands out ids of ``name`` one at a time, leasing ``block_size`` of them per table write."""
        settings = self.config.resolve(name)
        if settings.mode == "gap-free":
            raise InvalidInput(f"gap-free sequence {name!r} cannot lease blocks: unused ids would be gaps")
        return BlockAllocator(self, settings, settings.block_size if block_size is None else block_size)

    def current(self, name: str) -> int | None:
        """The last id issued by ``name``, or ``None`` before the first."""
        settings = self.config.resolve(name)
        return self._read_counter(settings.name)

    # -- atomic and block ------------------------------------------------------------------------

    def _increment(self, settings: SequenceSettings, count: int) -> IdRange:
        check_fits(settings, None, count)
        try:
            result = self._ddb.update_item(
                TableName=self.config.counters_table,
                Key={"name": {"S": settings.name}},
                UpdateExpression="SET #v = if_not_exists(#v, :base) + :count",
                ConditionExpression="attribute_not_exists(#v) OR #v <= :limit",
                ExpressionAttributeNames=_COUNTER,
                ExpressionAttributeValues={
                    ":base": {"N": str(settings.start - 1)},
                    ":count": {"N": str(count)},
                    ":limit": {"N": str(MAX_VALUE - count)},
                },
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise SequenceExhausted(
                    f"sequence {settings.name!r} is exhausted: {count} more id(s) would exceed {MAX_VALUE}"
                ) from None
            raise
        last = int(result["Attributes"]["value"]["N"])
        return IdRange(settings.name, last - count + 1, last)

    # -- gap-free --------------------------------------------------------------------------------

    def _insert_gap_free(self, settings: SequenceSettings, request: NextRequest) -> IdRange:
        items = settings.items
        assert items is not None and request.item is not None
        item = _to_attributes(request.item)
        expected = self._read_counter(settings.name)
        for attempt in range(self.config.max_attempts):
            value = check_fits(settings, expected, 1)
            actions = [
                {"Update": self._counter_move(settings.name, expected, value)},
                {"Put": {
                    "TableName": items.table,
                    "Item": {**item, items.id_attribute: {"N": str(value)}},
                    "ConditionExpression": "attribute_not_exists(#k)",
                    "ExpressionAttributeNames": {"#k": items.key_attributes[0]},
                }},
            ]
            if request.idempotency_key:
                actions.append({"Put": self._key_record(settings.name, request, value, value)})
            try:
                self._ddb.transact_write_items(TransactItems=actions)
                return IdRange(settings.name, value, value)
            except ClientError as exc:
                if _code(exc) == "ValidationException":  # the item broke a rule we do not pre-check
                    raise InvalidInput(f"the items table refused the item: {exc.response['Error'].get('Message')}"
                                       ) from None
                if _code(exc) != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                details = exc.response.get("CancellationReasons", [])
            if request.idempotency_key and _failed(reasons, 2):
                stored = self._replay(settings.name, request.idempotency_key, request.fingerprint)
                if stored is not None:
                    return stored
            if _failed(reasons, 1):
                raise ItemExists(
                    f"an item with this {items.key_attributes[0]!r} already exists; no number was consumed"
                )
            invalid = [r.get("Message", "") for r in details if r.get("Code") == "ValidationError"]
            if invalid:
                raise InvalidInput(f"the items table refused the item: {'; '.join(invalid)}")
            # Another writer took the number (or the transaction conflicted): back off, then retry from
            # the value the cancellation returned, the freshest there is. Once the backoff has grown
            # long, that value is stale by the time we wake, so read the counter again instead.
            self._sleep(backoff_delay(attempt, self._rand))
            if _failed(reasons, 0) and "Item" in details[0] and attempt < _REUSE_RETURNED_VALUE_ATTEMPTS:
                expected = int(details[0]["Item"]["value"]["N"])
            else:
                expected = self._read_counter(settings.name)
        raise Contention(
            f"sequence {settings.name!r} is busy: {self.config.max_attempts} attempts conflicted; retry later"
        )

    def _counter_move(self, name: str, expected: int | None, value: int) -> dict[str, Any]:
        """The counter goes from exactly ``expected`` (or absent) to ``value``: never backwards, never
        skipping."""
        update: dict[str, Any] = {
            "TableName": self.config.counters_table,
            "Key": {"name": {"S": name}},
            "UpdateExpression": "SET #v = :next",
            "ExpressionAttributeNames": _COUNTER,
            "ExpressionAttributeValues": {":next": {"N": str(value)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if expected is None:
            update["ConditionExpression"] = "attribute_not_exists(#v)"
        else:
            update["ConditionExpression"] = "#v = :expected"
            update["ExpressionAttributeValues"][":expected"] = {"N": str(expected)}
        return update

    def _read_counter(self, name: str) -> int | None:
        item = self._ddb.get_item(
            TableName=self.config.counters_table, Key={"name": {"S": name}}, ConsistentRead=True
        ).get("Item")
        return int(item["value"]["N"]) if item and "value" in item else None

    # -- idempotency -----------------------------------------------------------------------------

    def _key_record(self, sequence: str, request: NextRequest, first: int, last: int,
                    expires_in: int | None = None) -> dict[str, Any]:
        """A conditional put of key -> ids; an expired record (TTL deletes lazily) counts as absent."""
        assert request.idempotency_key is not None
        now = int(self._clock())
        expires_in = self.config.key_ttl_seconds if expires_in is None else expires_in
        return {
            "TableName": self.config.keys_table,
            "Item": {
                "key": {"S": key_record_id(sequence, request.idempotency_key)},
                "first": {"N": str(first)},
                "last": {"N": str(last)},
                "fingerprint": {"S": request.fingerprint},
                "expires_at": {"N": str(now + expires_in)},
            },
            "ConditionExpression": "attribute_not_exists(#k) OR #exp < :now",
            "ExpressionAttributeNames": {"#k": "key", "#exp": "expires_at"},
            "ExpressionAttributeValues": {":now": {"N": str(now)}},
        }

    def _increment_once(self, settings: SequenceSettings, request: NextRequest) -> IdRange:
        """Claim the key, move the counter, complete the claim with the ids; a copy of the request that
        finds the key claimed waits for the ids (or is told to retry), so the counter moves once."""
        assert request.idempotency_key is not None
        key = {"key": {"S": key_record_id(settings.name, request.idempotency_key)}}
        claim = self._key_record(settings.name, request, 0, 0, expires_in=_CLAIM_SECONDS)
        claim["Item"]["status"] = {"S": _IN_PROGRESS}
        try:
            self._ddb.put_item(**claim)
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise
            return self._await_claimed(settings.name, request)
        try:
            ids = self._increment(settings, request.count)
        except Exception:
            self._ddb.delete_item(TableName=self.config.keys_table, Key=key)  # nothing issued: free the key
            raise
        self._ddb.update_item(
            TableName=self.config.keys_table, Key=key,
            UpdateExpression="SET #f = :first, #l = :last, #exp = :exp REMOVE #s",
            ExpressionAttributeNames={"#f": "first", "#l": "last", "#exp": "expires_at", "#s": "status"},
            ExpressionAttributeValues={":first": {"N": str(ids.first)}, ":last": {"N": str(ids.last)},
                                       ":exp": {"N": str(int(self._clock()) + self.config.key_ttl_seconds)}},
        )
        return ids

    def _await_claimed(self, sequence: str, request: NextRequest) -> IdRange:
        """Another copy of this request holds the key: answer with its ids once it has them."""
        assert request.idempotency_key is not None
        for attempt in range(_CLAIM_POLLS):
            stored = self._replay(sequence, request.idempotency_key, request.fingerprint)
            if stored is not None:
                return stored
            self._sleep(backoff_delay(attempt + 3, self._rand))
        raise Contention(f"a request with this idempotency key is being processed for {sequence!r}; retry later")

    def _replay(self, sequence: str, key: str, request_fingerprint: str) -> IdRange | None:
        record = self._ddb.get_item(
            TableName=self.config.keys_table, Key={"key": {"S": key_record_id(sequence, key)}}, ConsistentRead=True
        ).get("Item")
        if not record or int(record["expires_at"]["N"]) < int(self._clock()):
            return None
        if record["fingerprint"]["S"] != request_fingerprint:
            raise IdempotencyKeyReused(
                "this idempotency key was already used with a different request; use a new key"
            )
        if record.get("status", {}).get("S") == _IN_PROGRESS:
            return None
        return IdRange(sequence, int(record["first"]["N"]), int(record["last"]["N"]), replayed=True)


class BlockAllocator:
    """Block (hi/lo) mode: one table write leases ``block_size`` ids, handed out locally.

    Thread-safe. Ids are unique across every allocator and request of the sequence, increasing within
    one allocator; ids left in a block when the allocator is dropped are never issued (gaps).
    """

    def __init__(self, client: SequenceClient, settings: SequenceSettings, block_size: int) -> None:
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
            raise InvalidInput(f"block_size must be a positive integer, got {block_size!r}")
        self._client, self._settings, self.block_size = client, settings, block_size
        self._lock = threading.Lock()
        self._next = 1
        self._last = 0
        self.leases = 0

    def next(self) -> int:
        with self._lock:
            if self._next > self._last:
                block = self._client._increment(self._settings, self.block_size)
                self._next, self._last = block.first, block.last
                self.leases += 1
            value = self._next
            self._next += 1
            return value


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _failed(reasons: list[str], index: int) -> bool:
    return len(reasons) > index and reasons[index] == "ConditionalCheckFailed"


def _to_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON object as DynamoDB attribute values (floats become exact decimals)."""
    try:
        return {key: _serializer.serialize(_decimals(value)) for key, value in item.items()}
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise InvalidInput(f"'item' cannot be stored in DynamoDB: {exc}") from None


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


__all__ = ["BlockAllocator", "SequenceClient"]
