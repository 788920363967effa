"""What the dispatcher does, behind its handlers: fan a message out to its subscribers, make one
delivery attempt, and replay dead-lettered deliveries.

Guarantees: at least once per (message, subscribed endpoint); every attempt of a message carries the
same ``webhook-id`` (the message id), so receivers deduplicate on it; no ordering between messages.
A fan-out that crashes half-way is finished by the redelivered event (the message is stored
first and marked ``fanned_out`` last; deliveries already done are not repeated).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from functions.common.errors import NotFound
from functions.common.queues import dead_letter, send_each
from functions.webhook import schemes
from functions.webhook_delivery import policy, transport
from functions.webhook_delivery.addresses import RefusedAddress, Resolver, parse_url, resolve, system_resolver
from functions.webhook_delivery.config import DispatcherConfig
from functions.webhook_delivery.requests import Task, active_secrets, digest, envelope
from functions.webhook_delivery.store import DispatcherStore, circuit_of

SQS_MAX_DELAY = 900
STANDARD = schemes.standard_webhooks()
Post = Callable[..., transport.Outcome]


@dataclass(frozen=True)
class Published:
    message_id: str
    endpoints: int
    duplicate: bool

    def to_document(self) -> dict[str, Any]:
        return {"id": self.message_id, "endpoints": self.endpoints, "duplicate": self.duplicate}


def signature_headers(message_id: str, timestamp: int, body: bytes, secrets: list[str]) -> dict[str, str]:
    """Standard Webhooks headers, one ``v1,`` signature per active secret (rotation overlap)."""
    signatures = [schemes.sign(STANDARD, s.encode(), body, timestamp, message_id)["webhook-signature"]
                  for s in secrets]
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": " ".join(signatures)}


class Dispatcher:
    def __init__(self, config: DispatcherConfig, store: DispatcherStore, sqs: Any, logger: Logger,
                 post: Post = transport.post, resolver: Resolver = system_resolver) -> None:
        self.config, self.store, self.sqs, self.logger = config, store, sqs, logger
        self.post, self.resolver = post, resolver

    # Fan-out

    def publish(self, message_id: str, event_type: str, data: Any) -> Published:
        """Store the message (once per id) and queue one delivery per subscribed, enabled endpoint."""
        body = envelope(event_type, data, time.time(), self.config.max_payload_bytes)
        stored = self.store.put_message(message_id, event_type, body, digest(event_type, data))
        if stored is not None and stored.get("fanned_out"):
            return Published(message_id, int(stored.get("endpoint_count", 0)), duplicate=True)
        endpoints = [e["endpoint_id"] for e in self.store.subscribers(event_type)]
        for endpoint_id in endpoints:
            self.store.open_delivery(message_id, endpoint_id)
        self.enqueue([Task(message_id, endpoint_id) for endpoint_id in endpoints])
        self.store.mark_fanned_out(message_id, len(endpoints))
        self.logger.info("fanned out", message_id=message_id, event_type=event_type, endpoints=len(endpoints))
        return Published(message_id, len(endpoints), duplicate=stored is not None)

    def enqueue(self, tasks: list[Task]) -> None:
        send_each(self.sqs, self.config.delivery_queue_url, [task.to_json() for task in tasks])

    def _later(self, task: Task, delay: int) -> None:
        later = Task(task.message_id, task.endpoint_id, task.attempt, time.time() + delay, task.replay)
        self.sqs.send_message(QueueUrl=self.config.delivery_queue_url, MessageBody=later.to_json(),
                              DelaySeconds=min(delay, SQS_MAX_DELAY))

    # One delivery

    def deliver(self, task: Task) -> str:
        """Run the task's attempt (or hold it back); the outcome's name, for the logs."""
        now = time.time()
        if task.not_before > now + 1:
            self._later(task, int(task.not_before - now))
            return "held"
        endpoint = self.store.endpoint(task.endpoint_id)
        delivery = self.store.delivery(task.message_id, task.endpoint_id)
        if delivery is not None and delivery.get("status") == "delivered":
            return "duplicate"
        if endpoint is None:
            self.store.settle_delivery(task.message_id, task.endpoint_id, "cancelled", reason="endpoint deleted")
            return "cancelled"
        if endpoint.get("disabled"):
            return self._dead_letter(task, f"endpoint disabled: {endpoint.get('disabled_reason') or 'by its owner'}")
        circuit = circuit_of(endpoint)
        gate = policy.gate(circuit, now)
        probing = gate.action == "probe"
        if gate.action == "wait" or (probing and not self.store.claim_probe(
                task.endpoint_id, now, self.config.request_timeout + 5)):
            self._later(task, gate.seconds or 1)
            return "circuit_open"
        if not self.store.acquire_slot(task.endpoint_id, self.config.max_in_flight_per_endpoint, now,
                                       self.config.request_timeout + 30):
            # it already has its share of workers: a healthy endpoint frees them within a second, a failing
            # one (slow or down) may hold them for the request timeout
            self._later(task, 1 if circuit == policy.Circuit() else math.ceil(self.config.request_timeout))
            return "endpoint_busy"
        try:
            return self._read_and_attempt(task, endpoint, probing)
        finally:
            self.store.release_slot(task.endpoint_id)

    def _read_and_attempt(self, task: Task, endpoint: dict[str, Any], probing: bool) -> str:
        message = self.store.message(task.message_id)
        if message is None:
            return self._dead_letter(task, "the message is no longer stored (retention)")
        return self._attempt(task, endpoint, message, probing)

    def _attempt(self, task: Task, endpoint: dict[str, Any], message: dict[str, Any], probing: bool) -> str:
        number = self.store.next_attempt_number(task.message_id, task.endpoint_id)
        body = message["body"].encode()
        now = time.time()
        headers = signature_headers(task.message_id, int(now), body, active_secrets(endpoint, now))
        try:
            target = parse_url(endpoint["url"], self.config.require_https)
            address = resolve(target, self.config.allowed_networks, self.resolver)[0]
            outcome = self.post(target, address, body, headers, self.config.request_timeout,
                                self.config.response_excerpt_bytes)
        except RefusedAddress as exc:  # the name now points inside the network: never called
            outcome = transport.Outcome(None, {}, "", f"refused: {exc.message}", 0)
        except Exception as exc:  # a name that stopped resolving, a URL made invalid by a config change
            outcome = transport.Outcome(None, {}, "", f"not sent: {getattr(exc, 'message', exc)}"[:300], 0)
        record = {"status": outcome.status, "latency_ms": outcome.latency_ms, "excerpt": outcome.excerpt or None,
                  "error": outcome.error, "probe": probing or None, "replay": task.replay or None,
                  "cycle_attempt": task.attempt}
        if outcome.delivered:
            self.store.log_attempt(task.message_id, task.endpoint_id, number, {**record, "outcome": "delivered"})
            self.store.settle_delivery(task.message_id, task.endpoint_id, "delivered", outcome.status)
            self.store.record_success(endpoint)
            return "delivered"
        if outcome.status == 410:
            self.store.log_attempt(task.message_id, task.endpoint_id, number, {**record, "outcome": "gone"})
            self.store.update_endpoint(task.endpoint_id, {"disabled": True,
                                                          "disabled_reason": "the endpoint answered 410 Gone"})
            self.logger.warning("endpoint gone: disabled", endpoint_id=task.endpoint_id)
            return self._dead_letter(task, "the endpoint answered 410 Gone and was disabled")
        self.store.record_failure(task.endpoint_id, self.config.circuit_threshold, self.config.circuit_cooldown,
                                  probing)
        retry_after = policy.retry_after_seconds(outcome.headers, outcome.status, now)
        delay = policy.next_delay(task.attempt, self.config.schedule, self.config.jitter, retry_after,
                                  self.config.max_retry_after)
        what = f"HTTP {outcome.status}" if outcome.status is not None else outcome.error
        if delay is None:
            self.store.log_attempt(task.message_id, task.endpoint_id, number, {**record, "outcome": "exhausted"})
            return self._dead_letter(task, f"{task.attempt} attempts failed; the last: {what}", outcome.status)
        self.store.log_attempt(task.message_id, task.endpoint_id, number,
                               {**record, "outcome": "retry", "next_attempt_in": delay})
        self._later(Task(task.message_id, task.endpoint_id, task.attempt + 1, 0.0, task.replay), delay)
        return "retry"

    def _dead_letter(self, task: Task, reason: str, last_status: int | None = None) -> str:
        fresh = Task(task.message_id, task.endpoint_id, 1, 0.0, task.replay)
        dead_letter(self.sqs, self.config.dlq_url, fresh.to_json(), reason, endpoint_id=task.endpoint_id)
        self.store.settle_delivery(task.message_id, task.endpoint_id, "dead_lettered", last_status, reason)
        self.logger.warning("dead-lettered", message_id=task.message_id, endpoint_id=task.endpoint_id, reason=reason)
        return "dead_lettered"

    # Replay

    def replay(self, endpoint_id: str | None, limit: int) -> list[dict[str, str]]:
        """Move up to ``limit`` dead-lettered deliveries (of one endpoint, or all) back to the queue, as new
        delivery cycles. Others read on the way are left in the DLQ, visible again at once."""
        if endpoint_id is not None and self.store.endpoint(endpoint_id) is None:
            raise NotFound(f"no endpoint {endpoint_id!r}")
        replayed: list[dict[str, str]] = []
        seen: set[str] = set()
        deadline = time.monotonic() + 10
        while len(replayed) < limit and time.monotonic() < deadline:
            received = self.sqs.receive_message(QueueUrl=self.config.dlq_url, MaxNumberOfMessages=10,
                                                VisibilityTimeout=30, MessageAttributeNames=["All"]).get("Messages", [])
            fresh = [m for m in received if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen.add(message["MessageId"])
                try:
                    task = Task.from_json(message["Body"])
                except ValueError:
                    task = None
                if task is None or (endpoint_id and task.endpoint_id != endpoint_id) or len(replayed) >= limit:
                    self.sqs.change_message_visibility(QueueUrl=self.config.dlq_url,
                                                       ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
                    continue
                self.store.settle_delivery(task.message_id, task.endpoint_id, "pending")
                self.enqueue([Task(task.message_id, task.endpoint_id, 1, 0.0, task.replay + 1)])
                self.sqs.delete_message(QueueUrl=self.config.dlq_url, ReceiptHandle=message["ReceiptHandle"])
                replayed.append({"message_id": task.message_id, "endpoint_id": task.endpoint_id})
        self.logger.info("replayed", count=len(replayed), endpoint_id=endpoint_id)
        return replayed


def attempts_view(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attempt log items as the API shows them."""
    fields = ("message_id", "endpoint_id", "attempt", "timestamp", "status", "latency_ms", "outcome", "error",
              "excerpt", "next_attempt_in", "probe", "replay", "cycle_attempt")
    return [{k: item.get(k) for k in fields if item.get(k) is not None} for item in items]


def message_view(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A message, its deliveries (per endpoint) and its attempts, from its items."""
    message = next((i for i in items if i["item"] == "message"), None)
    if message is None:
        raise NotFound("no such message")
    deliveries = [{"endpoint_id": i["endpoint"], "status": i.get("status"), "attempts": i.get("attempts", 0),
                   "last_status": i.get("last_status"), "reason": i.get("reason")}
                  for i in items if i["item"].startswith("delivery#")]
    return {"id": message["message_id"], "event_type": message["event_type"], "body": json.loads(message["body"]),
            "created_at": message.get("created_at"), "fanned_out": bool(message.get("fanned_out")),
            "deliveries": deliveries,
            "attempts": attempts_view([i for i in items if i["item"].startswith("attempt#")])}
