"""The DynamoDB side: the membership table (every published version and a ``current`` pointer,
changed by compare-and-set) and the ledger (:class:`functions.sharding.ledger.Ledger` as condition
expressions, so the fence holds for any number of routers and workers at once).

Membership table, key ``version`` (S): ``current`` and ``v#<n>``, each with ``number`` (N) and
``document`` (the membership as JSON). Keys table, key ``key`` (S) + ``item`` (S): ``#state`` (the
key's shard, ``seq``, ``settled``, ``version``, ``last_id``), ``seq#<n>`` (message ``n``: its outcome,
position, failures) and ``id#<message id>`` (the ``seq`` that processed it: deduplication).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection
from typing import Any

from botocore.exceptions import ClientError

from functions.common.errors import Unavailable
from functions.sharding.exceptions import (
    Draining,
    InvalidMembership,
    KeyContention,
    MembershipChanged,
    StaleMembership,
    UnknownMembershipVersion,
    UnknownShard,
)
from functions.sharding.ledger import MAX_ASSIGN_ATTEMPTS, Assignment, Delivery, KeyState, Ledger, Status, decide
from functions.sharding.membership import Membership, check_version

CURRENT = "current"
STATE = "#state"
ROUTABLE = ("ring", "ketama", "jump", "rendezvous")


def version_key(version: int) -> str:
    return f"v#{version}"


def seq_item(seq: int) -> str:
    return f"seq#{seq:015d}"


def id_item(message_id: str) -> str:
    return f"id#{message_id}"


def check_routable(membership: Membership, deployed: Collection[str]) -> None:
    """A membership the router can use: an algorithm that places one key at a time, deployed shards."""
    if membership.algorithm not in ROUTABLE:
        raise InvalidMembership(f"the router places keys one message at a time; {membership.algorithm!r} needs the "
                                f"whole set of keys (use one of {', '.join(ROUTABLE)})")
    missing = [n for n in membership.names if n not in deployed]
    if missing:
        raise UnknownShard(f"shard(s) {', '.join(missing)} have no queue; the deployed shards are "
                           f"{', '.join(sorted(deployed))} (add a shard to the component first)")


def initial_items(membership: Membership, published_at: int = 0) -> list[dict[str, Any]]:
    """The membership table's first two items (``current`` and ``v#1``), in DynamoDB's JSON."""
    document = json.dumps(membership.to_document(), sort_keys=True)
    return [{"version": {"S": key}, "number": {"N": str(membership.version)}, "document": {"S": document},
             "published_at": {"N": str(published_at)}} for key in (CURRENT, version_key(membership.version))]


class DynamoMembershipStore:
    """Reads and publishes memberships. ``dynamodb``: a low-level boto3 client."""

    def __init__(self, dynamodb: Any, table: str, deployed: Collection[str],
                 clock: Callable[[], float] = time.time) -> None:
        self.dynamodb, self.table, self.deployed, self.clock = dynamodb, table, set(deployed), clock

    def _read(self, key: str) -> Membership | None:
        item = self.dynamodb.get_item(TableName=self.table, Key={"version": {"S": key}},
                                      ConsistentRead=True).get("Item")
        return Membership.from_document(json.loads(item["document"]["S"])) if item else None

    def current(self) -> Membership:
        membership = self._read(CURRENT)
        if membership is None:
            raise Unavailable("the membership table holds no current membership (was it deployed?)")
        return membership

    def get(self, version: int) -> Membership:
        check_version(version)
        membership = self._read(version_key(version))
        if membership is None:
            raise UnknownMembershipVersion(f"membership version {version} was never published "
                                           f"(the current version is {self.current().version})")
        return membership

    def publish(self, following: Membership, expected_version: int) -> Membership:
        """Make ``following`` current, if the current version is still ``expected_version``."""
        current = self.current()
        if current.version != expected_version:
            raise MembershipChanged(f"the membership is at version {current.version}, not {expected_version}: "
                                    "read it again and decide on the change again")
        current.check_successor(following)
        check_routable(following, self.deployed)
        document = json.dumps(following.to_document(), sort_keys=True)
        number, now = str(following.version), str(int(self.clock() * 1000))
        try:
            self.dynamodb.transact_write_items(TransactItems=[
                {"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(#v)",
                         "ExpressionAttributeNames": {"#v": "version"},
                         "Item": {"version": {"S": version_key(following.version)}, "number": {"N": number},
                                  "document": {"S": document}, "published_at": {"N": now}}}},
                {"Update": {"TableName": self.table, "Key": {"version": {"S": CURRENT}},
                            "UpdateExpression": "SET #n = :n, #d = :d, #p = :p", "ConditionExpression": "#n = :e",
                            "ExpressionAttributeNames": {"#n": "number", "#d": "document", "#p": "published_at"},
                            "ExpressionAttributeValues": {":n": {"N": number}, ":d": {"S": document}, ":p": {"N": now},
                                                          ":e": {"N": str(expected_version)}}}},
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise MembershipChanged(f"another change published version {following.version} first") from None
            raise
        return following


def _state(key: str, item: dict[str, Any] | None) -> KeyState | None:
    if not item or "shard" not in item:
        return None
    return KeyState(key, item["shard"]["S"], int(item["seq"]["N"]), int(item["settled"]["N"]),
                    int(item["version"]["N"]), item.get("last_id", {}).get("S", ""))


def _cancellation_codes(error: ClientError) -> list[str]:
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code", "")) for reason in reasons]


class DynamoLedger(Ledger):
    """The ledger on the keys table. ``dynamodb``: a low-level boto3 client."""

    def __init__(self, dynamodb: Any, table: str, ttl_seconds: int = 7 * 24 * 3600,
                 clock: Callable[[], float] = time.time) -> None:
        self.dynamodb, self.table, self.ttl, self.clock = dynamodb, table, ttl_seconds, clock

    def _key(self, key: str, item: str) -> dict[str, Any]:
        return {"key": {"S": key}, "item": {"S": item}}

    def _get(self, key: str, item: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.dynamodb.get_item(TableName=self.table, Key=self._key(key, item),
                                                              ConsistentRead=True).get("Item")
        return found

    def assign(self, key: str, target: str, version: int, message_id: str, hold: bool = True) -> Assignment:
        names = {"#shard": "shard", "#seq": "seq", "#settled": "settled", "#version": "version", "#last": "last_id",
                 "#updated": "updated_at"}
        values = {":target": {"S": target}, ":v": {"N": str(version)}, ":id": {"S": message_id},
                  ":one": {"N": "1"}, ":zero": {"N": "0"}, ":now": {"N": str(int(self.clock() * 1000))}}
        for _ in range(MAX_ASSIGN_ATTEMPTS):
            try:
                old = self.dynamodb.update_item(
                    TableName=self.table, Key=self._key(key, STATE), ReturnValues="ALL_OLD",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    UpdateExpression="SET #shard = :target, #version = :v, #last = :id, #updated = :now, "
                                     "#settled = if_not_exists(#settled, :zero) ADD #seq :one",
                    ConditionExpression="(attribute_not_exists(#shard) OR #shard = :target OR #settled = #seq) AND "
                                        "(attribute_not_exists(#version) OR #version <= :v) AND "
                                        "(attribute_not_exists(#last) OR #last <> :id)",
                    ExpressionAttributeNames=names, ExpressionAttributeValues=values,
                ).get("Attributes")
                before = _state(key, old)
                seq = before.seq + 1 if before else 1
                return Assignment(key, target, seq, version, moved=before is not None and before.shard != target)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                before = _state(key, exc.response.get("Item")) or self.state(key)
            route = decide(before, target, version, message_id)
            if before is None or route == "assign":
                continue  # it changed under us: decide again
            if route == "replay":
                return Assignment(key, before.shard, before.seq, before.version, replayed=True)
            if route == "stale":
                raise StaleMembership(before.version)
            if not hold:
                raise Draining(before.shard, before.in_flight)
            try:  # hold: the key follows its messages still in flight on its shard
                self.dynamodb.update_item(
                    TableName=self.table, Key=self._key(key, STATE),
                    UpdateExpression="SET #version = :v, #last = :id, #updated = :now ADD #seq :one",
                    ConditionExpression="#shard = :held AND #seq = :seq AND #version <= :v",
                    ExpressionAttributeNames={k: names[k] for k in ("#shard", "#seq", "#version", "#last", "#updated")},
                    ExpressionAttributeValues={":v": values[":v"], ":id": values[":id"], ":now": values[":now"],
                                               ":one": values[":one"], ":held": {"S": before.shard},
                                               ":seq": {"N": str(before.seq)}},
                )
                return Assignment(key, before.shard, before.seq + 1, version, held=True)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        raise KeyContention(f"key {key!r} changed under the router {MAX_ASSIGN_ATTEMPTS} times; retry later")

    def state(self, key: str) -> KeyState | None:
        return _state(key, self._get(key, STATE))

    def delivery(self, key: str, seq: int) -> Delivery | None:
        item = self._get(key, seq_item(seq))
        if not item:
            return None
        text = {k: v.get("S", "") for k, v in item.items()}
        number = {k: int(v["N"]) for k, v in item.items() if "N" in v}
        return Delivery(key, seq, text.get("message_id", ""), text.get("status", ""), text.get("shard", ""),
                        number.get("version", 0), number.get("position", 0), number.get("failures", 0),
                        text.get("error", ""), number.get("at", 0))

    def seen(self, key: str, message_id: str) -> int | None:
        item = self._get(key, id_item(message_id))
        return int(item["seq"]["N"]) if item else None

    def record_failure(self, key: str, seq: int, error: str) -> int:
        result = self.dynamodb.update_item(
            TableName=self.table, Key=self._key(key, seq_item(seq)), ReturnValues="UPDATED_NEW",
            UpdateExpression="ADD #f :one SET #e = :e, #x = :x",
            ExpressionAttributeNames={"#f": "failures", "#e": "error", "#x": "expires_at"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":e": {"S": error or "-"},
                                       ":x": {"N": str(int(self.clock()) + self.ttl)}})
        return int(result["Attributes"]["failures"]["N"])

    def settle(self, key: str, seq: int, message_id: str, status: Status, shard: str, version: int,
               error: str = "") -> Delivery | None:
        for _ in range(MAX_ASSIGN_ATTEMPTS):
            state = self.state(key)
            if state is None:
                raise Unavailable(f"key {key!r} has no routing state; message {seq} was not routed by this router")
            position, now = state.settled + 1, int(self.clock() * 1000)
            expires = str(int(self.clock()) + self.ttl)
            values = {":s": {"S": status}, ":id": {"S": message_id}, ":shard": {"S": shard},
                      ":v": {"N": str(version)}, ":p": {"N": str(position)}, ":at": {"N": str(now)},
                      ":x": {"N": expires}}
            update = "SET #status = :s, #mid = :id, #shard = :shard, #version = :v, #position = :p, #at = :at, #x = :x"
            if error:
                update += ", #error = :e"
                values[":e"] = {"S": error}
            names = {"#status": "status", "#mid": "message_id", "#shard": "shard", "#version": "version",
                     "#position": "position", "#at": "at", "#x": "expires_at", **({"#error": "error"} if error else {})}
            items: list[dict[str, Any]] = [{"Update": {
                "TableName": self.table, "Key": self._key(key, seq_item(seq)), "UpdateExpression": update,
                "ConditionExpression": "attribute_not_exists(#status)", "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values}}]
            if status == "processed":
                items.append({"Put": {"TableName": self.table, "ConditionExpression": "attribute_not_exists(#item)",
                                      "ExpressionAttributeNames": {"#item": "item"},
                                      "Item": {**self._key(key, id_item(message_id)), "seq": {"N": str(seq)},
                                               "expires_at": {"N": expires}}}})
            items.append({"Update": {
                "TableName": self.table, "Key": self._key(key, STATE), "UpdateExpression": "SET #settled = :next",
                "ConditionExpression": "#settled = :settled", "ExpressionAttributeNames": {"#settled": "settled"},
                "ExpressionAttributeValues": {":next": {"N": str(position)}, ":settled": {"N": str(state.settled)}}}})
            try:
                self.dynamodb.transact_write_items(TransactItems=items)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                codes = _cancellation_codes(exc)
                if codes[:1] == ["ConditionalCheckFailed"] or (not codes and self._settled(key, seq)):
                    return None  # settled already: a redelivery
                if status == "processed" and (codes[1:2] == ["ConditionalCheckFailed"]
                                              or (not codes and self.seen(key, message_id) is not None)):
                    status = "duplicate"  # processed under another seq meanwhile
                continue
            return Delivery(key, seq, message_id, status, shard, version, position, 0, error, now)
        raise KeyContention(f"key {key!r}: could not record message {seq}; it will be retried")

    def _settled(self, key: str, seq: int) -> bool:
        done = self.delivery(key, seq)
        return bool(done and done.status)
