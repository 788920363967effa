"""``RateLimiter``: ``hit(key, cost=1)`` against DynamoDB, one conditional ``UpdateItem`` per decision.

All the limits of a key live in one item (attributes ``<limit name>:<field>``), so a request is decided
against every limit at once: one ``UpdateItem`` charges all of them, its condition the conjunction of
each limit's, or charges none. The writes are conditioned on the limits, not on a version, so concurrent
requests on one key do not conflict in the steady state:

================  ===============================================  =========================================
algorithm         the write (steady state)                         a second write when
================  ===============================================  =========================================
token_bucket      ``SET tat = tat + :cost*T`` if ``tat`` in range  the bucket was full (``tat`` in the past)
fixed_window      ``SET n = n + :cost`` if window unchanged, room  a window opens
sliding_counter   ``SET c = c + :cost`` if window, room            a window rolls over
sliding_log       the whole log, if its version is unchanged       any other writer got in first (contention)
================  ===============================================  =========================================

The limiter remembers the last state it saw per key (``hint``) to pick the write; a wrong guess fails
its condition, DynamoDB returns the item as it is (``ReturnValuesOnConditionCheckFailure``), and the
second attempt is exact. Without a hint (a cold process), it reads the item first (one consistent read).
A refusal is only ever decided on a state DynamoDB just returned, and writes nothing.

Expired state is removed by the table's TTL (attribute ``ttl``), set past the moment it stops mattering.
When DynamoDB throttles or cannot be reached, ``fail_mode`` decides: ``open`` admits (``degraded``),
``closed`` raises :class:`LimiterUnavailable` (a 503 with ``Retry-After``).

Examples
--------
>>> limiter = RateLimiter.from_environment()        # RATE_LIMIT_CONFIG, as the component writes it
>>> decision = limiter.hit("tenant-42", cost=3)     # doctest: +SKIP
>>> decision.allowed, decision.remaining, decision.retry_after   # doctest: +SKIP
(True, 7, 0.0)
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.errors import error_code, is_transient
from functions.common.validation import InvalidInput
from functions.rate_limit.algorithms import Decision, State, Step, combine, decide, emission_interval_us, horizon_us
from functions.rate_limit.config import Limit, LimiterSettings, RateLimitConfig
from functions.rate_limit.exceptions import Contention, LimiterUnavailable

logger = logging.getLogger(__name__)
TTL_ATTRIBUTE = "ttl"
MAX_KEY_BYTES = 1024
_HINTS = 10_000
_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


@dataclass
class Update:
    """One ``UpdateItem``'s expression parts, built limit by limit."""

    sets: list[str]
    conditions: list[str]
    names: dict[str, str]
    values: dict[str, Any]

    def expression(self) -> dict[str, Any]:
        return {
            "UpdateExpression": "SET " + ", ".join(self.sets),
            "ConditionExpression": " AND ".join(f"({c})" for c in self.conditions),
            "ExpressionAttributeNames": self.names,
            "ExpressionAttributeValues": {k: _serializer.serialize(v) for k, v in self.values.items()},
        }


def build_update(steps: Sequence[Step], old: dict[str, State], now: int, cost: int) -> Update:
    """The one conditional write that charges every limit: each limit's transition (``step.case``) as a
    SET and the condition under which it is right, whatever other writers did meanwhile."""
    update = Update([], [], {}, {})
    for index, step in enumerate(steps):
        limit, state = step.limit, old.get(step.limit.name, {})

        def name(field: str, i: int = index, lim: Limit = limit) -> str:
            update.names[f"#l{i}{field}"] = f"{lim.name}:{field}"
            return f"#l{i}{field}"

        def value(field: str, v: Any, i: int = index) -> str:
            update.values[f":l{i}{field}"] = v
            return f":l{i}{field}"

        match limit.algorithm, step.case:
            case "token_bucket", "advance":
                increment = cost * emission_interval_us(limit)
                tat, ceiling = name("tat"), emission_interval_us(limit) * limit.capacity + now - increment
                update.sets.append(f"{tat} = {tat} + {value('inc', increment)}")
                update.conditions.append(f"{tat} > {value('now', now)} AND {tat} <= {value('max', ceiling)}")
            case "token_bucket", "restart":
                tat = name("tat")
                update.sets.append(f"{tat} = {value('tat', step.new_state['tat'])}")
                update.conditions.append(f"attribute_not_exists({tat}) OR {tat} <= {value('now', now)}")
            case "fixed_window", "count":
                n, end = name("n"), name("exp")
                update.sets.append(f"{n} = {n} + {value('cost', cost)}")
                update.conditions.append(f"{end} = {value('exp', state['exp'])} AND "
                                         f"{n} <= {value('max', limit.limit - cost)}")
            case "fixed_window", "open":
                n, end = name("n"), name("exp")
                update.sets += [f"{n} = {value('n', cost)}", f"{end} = {value('exp', step.new_state['exp'])}"]
                update.conditions.append(f"attribute_not_exists({end}) OR {end} <= {value('now', now)}")
            case "sliding_log", "append":
                log, version = name("log"), name("v")
                update.sets += [f"{log} = {value('log', step.new_state['log'])}",
                                f"{version} = {value('v', step.new_state['v'])}"]
                update.conditions.append(f"{version} = {value('v0', state['v'])}" if state.get("v")
                                         else f"attribute_not_exists({version})")
            case "sliding_counter", "count":
                w, c, p = name("w"), name("c"), name("p")
                room = step.new_state["c"] + step.remaining  # the largest current count this write may see
                update.sets.append(f"{c} = {c} + {value('cost', cost)}")
                update.conditions.append(f"{w} = {value('w', step.new_state['w'])} AND "
                                         f"{p} = {value('p', step.new_state['p'])} AND "
                                         f"{c} <= {value('max', room - cost)}")
            case "sliding_counter", "roll":
                w, c, p = name("w"), name("c"), name("p")
                update.sets += [f"{w} = {value('w', step.new_state['w'])}", f"{p} = {value('p', step.new_state['p'])}",
                                f"{c} = {value('c', cost)}"]
                update.conditions.append(f"{w} = {value('w0', step.new_state['w'] - 1)} AND "
                                         f"{c} = {value('p', step.new_state['p'])}")
            case "sliding_counter", "reset":
                w, c, p = name("w"), name("c"), name("p")
                update.sets += [f"{w} = {value('w', step.new_state['w'])}", f"{p} = {value('p', 0)}",
                                f"{c} = {value('c', cost)}"]
                update.conditions.append(f"attribute_not_exists({w}) OR {w} < {value('w0', step.new_state['w'] - 1)}")
            case _:
                raise AssertionError(f"no write for {limit.algorithm} {step.case}")
    expires = math.ceil((now + max(horizon_us(step.limit) for step in steps)) / 1_000_000) + 1
    update.names["#ttl"] = TTL_ATTRIBUTE
    update.values[":ttl"] = expires
    update.sets.append("#ttl = :ttl")
    return update


def states_of(item: dict[str, Any] | None, limits: Sequence[Limit]) -> dict[str, State]:
    """Each limit's state in a DynamoDB item (low-level attribute values)."""
    if not item:
        return {}
    plain = {k: _deserializer.deserialize(v) for k, v in item.items()}
    states: dict[str, State] = {}
    for limit in limits:
        prefix = f"{limit.name}:"
        state = {k[len(prefix):]: _plain(v) for k, v in plain.items() if k.startswith(prefix)}
        if state:
            states[limit.name] = state
    return states


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) or (hasattr(value, "to_integral_value") and value == value.to_integral_value()):
        return int(value)
    return value


class RateLimiter:
    """Decides requests against the limits of ``settings``, state in DynamoDB.

    dynamodb: a low-level boto3 client (default: a new one; it honours ``AWS_ENDPOINT_URL``).
    clock: seconds since the epoch (injectable: tests freeze it). rand: picks shards.
    ``stats`` counts the calls made (``writes``, ``failed_writes``, ``reads``).
    """

    def __init__(self, settings: LimiterSettings, dynamodb: Any = None, *,
                 clock: Callable[[], float] = time.time, rand: random.Random | None = None) -> None:
        self.settings = settings
        self.limits = tuple(settings.limits)
        self._shard_limits = tuple(replace(limit, limit=limit.limit // settings.shards,
                                           burst=None if limit.burst is None else limit.burst // settings.shards)
                                   for limit in self.limits)
        self._ddb = dynamodb or boto3.client("dynamodb")
        self._clock = clock
        self._rand = rand or random.Random()
        self._hints: OrderedDict[str, dict[str, State]] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = {"writes": 0, "failed_writes": 0, "reads": 0}

    @classmethod
    def from_environment(cls, dynamodb: Any = None) -> RateLimiter:
        config = RateLimitConfig.from_environment()
        if config.limiter is None:
            raise ValueError("RATE_LIMIT_CONFIG has no limiter section")
        return cls(config.limiter, dynamodb)

    @property
    def capacity(self) -> int:
        return self.settings.capacity

    def hit(self, key: str, cost: int = 1) -> Decision:
        """Charge ``cost`` units to ``key`` if every limit admits them; refuse (charging nothing) if not."""
        check_request(key, cost, self.capacity)
        shards = list(range(self.settings.shards))
        self._rand.shuffle(shards)
        decision: Decision | None = None
        try:
            for shard in shards:  # a refusing shard may be full while another is not: try them all
                pk = f"{self.settings.namespace}#{key}" + (f"#{shard}" if self.settings.shards > 1 else "")
                decision = self._decide(pk, cost)
                if decision.allowed:
                    break
        except (BotoCoreError, ClientError) as error:
            if isinstance(error, ClientError) and not is_transient(error):
                raise
            code = error_code(error) if isinstance(error, ClientError) else type(error).__name__
            logger.warning("rate limit store unavailable (%s); failing %s", code, self.settings.fail_mode)
            if self.settings.fail_mode == "open":
                return self._degraded()
            raise LimiterUnavailable("the rate limiter's store did not answer; retry later", retry_after=1) \
                from None
        assert decision is not None
        if self.settings.shards > 1:  # report the whole limit, not one shard's part
            decision = replace(decision, limit=decision.limit * self.settings.shards, policies=self.limits)
        return decision

    def _degraded(self) -> Decision:
        tightest = min(self.limits, key=lambda limit: limit.limit)
        return Decision(allowed=True, limit=tightest.limit, remaining=0, reset=0.0, retry_after=0.0,
                        policy=tightest.name, policies=self.limits, degraded=True)

    def _decide(self, pk: str, cost: int) -> Decision:
        limits = self._shard_limits
        with self._lock:
            hinted = self._hints.get(pk)
        fresh = hinted is None
        state = self._read(pk) if hinted is None else hinted
        for attempt in range(self.settings.max_attempts):
            now = round(self._clock() * 1_000_000)
            steps = [decide(limit, state.get(limit.name, {}), now, cost) for limit in limits]
            decision = combine(steps, now, limits)
            if not decision.allowed:
                if fresh:
                    self._remember(pk, state)
                    return decision
                state, fresh = self._read(pk), True
                continue
            update = build_update(steps, state, now, cost)
            try:
                result = self._ddb.update_item(
                    TableName=self.settings.table, Key={"pk": {"S": pk}}, ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD", **update.expression())
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
                self._count("failed_writes")
                state, fresh = states_of(error.response.get("Item"), limits), True
                if attempt >= 2:  # real contention (a sliding log, or a window changing hands): back off
                    time.sleep(self._rand.uniform(0, min(0.05, 0.002 * 2 ** attempt)))
                continue
            self._count("writes")
            new_state = states_of(result.get("Attributes"), limits)
            self._remember(pk, new_state)
            return combine([decide(limit, _undo(limit, new_state.get(limit.name, {}), cost, step), now, cost)
                            for limit, step in zip(limits, steps, strict=True)], now, limits)
        raise Contention(f"the limit of this key changed under {self.settings.max_attempts} attempts; retry later",
                         retry_after=1)

    def _read(self, pk: str) -> dict[str, State]:
        self._count("reads")
        item = self._ddb.get_item(TableName=self.settings.table, Key={"pk": {"S": pk}}, ConsistentRead=True)
        return states_of(item.get("Item"), self._shard_limits)

    def _remember(self, pk: str, state: dict[str, State]) -> None:
        with self._lock:
            self._hints[pk] = state
            self._hints.move_to_end(pk)
            while len(self._hints) > _HINTS:
                self._hints.popitem(last=False)

    def _count(self, what: str) -> None:
        with self._lock:
            self.stats[what] += 1

    def forget(self) -> None:
        """Drop every remembered state (the next decision per key reads first)."""
        with self._lock:
            self._hints.clear()


def _undo(limit: Limit, new_state: State, cost: int, step: Step) -> State:
    """The state just before this write's charge, as DynamoDB applied it (other writers included), so the
    reported ``remaining`` is that of the stored state, not of the guess."""
    match limit.algorithm:
        case "token_bucket":
            return {"tat": new_state["tat"] - cost * emission_interval_us(limit)} if step.case == "advance" else {}
        case "fixed_window":
            return {"n": new_state["n"] - cost, "exp": new_state["exp"]} if step.case == "count" else {}
        case "sliding_counter":
            return {**new_state, "c": new_state["c"] - cost}
        case _:  # the log: the write replaced it whole, as decided
            log = [list(e) for e in new_state.get("log", [])]
            if log:
                log[-1][1] -= cost
                if log[-1][1] == 0:
                    log.pop()
            return {"log": log, "v": new_state.get("v", 1) - 1}


def check_request(key: object, cost: object, capacity: int) -> None:
    """Refuse a key or cost no limit could take, with the reason (a 400 at an HTTP entry point)."""
    if not isinstance(key, str) or not key or len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidInput(f"a rate limit key is a string of 1 to {MAX_KEY_BYTES} bytes")
    if isinstance(cost, bool) or not isinstance(cost, int) or cost < 1:
        raise InvalidInput(f"cost must be a positive integer, got {cost!r}")
    if cost > capacity:
        raise InvalidInput(f"cost {cost} is above the limit's capacity of {capacity}: it could never be admitted")
