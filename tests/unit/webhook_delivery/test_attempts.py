"""One attempt of the dispatcher with its store, queue and HTTP replaced by recorders: a name that now
resolves inside the network is never called (DNS rebinding), 2xx settles, 410 disables, a failure is
queued again after the schedule's delay and the last one is dead-lettered with its reason."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from functions.webhook_delivery.config import DispatcherConfig
from functions.webhook_delivery.dispatcher import Dispatcher
from functions.webhook_delivery.requests import Task, new_secret
from functions.webhook_delivery.transport import Outcome

CONFIG = DispatcherConfig(endpoints_table="e", messages_table="m", delivery_queue_url="tasks", dlq_url="dlq",
                          event_types=["ping"], schedule=[0, 1, 5], jitter=0, require_https=False)
ENDPOINT = {"endpoint_id": "ep_1", "url": "http://hooks.example.com/in", "secrets": [{"key": new_secret()}]}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str):
        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, kwargs or args))
            return 1 if name == "next_attempt_number" else None
        return record

    def named(self, name: str) -> list[Any]:
        return [args for called, args in self.calls if called == name]


def _attempt(outcome: Outcome | None, addresses: list[str], attempt: int = 1) -> tuple[Recorder, Recorder, list]:
    store, sqs, posted = Recorder(), Recorder(), []

    def post(*args: Any) -> Outcome:
        posted.append(args)
        assert outcome is not None
        return outcome

    dispatcher = Dispatcher(CONFIG, store, sqs, Logger(service="test"), post=post,  # type: ignore[arg-type]
                            resolver=lambda host, port: addresses)
    dispatcher._attempt(Task("msg_1", "ep_1", attempt), ENDPOINT, {"body": '{"type":"ping"}'}, probing=False)
    return store, sqs, posted


def test_a_name_rebound_to_a_private_address_is_never_called_and_retried_later():
    store, sqs, posted = _attempt(None, ["10.0.0.7"])
    assert posted == []
    [(_, _, _, record)] = store.named("log_attempt")
    assert record["error"].startswith("refused:") and "10.0.0.7" in record["error"]
    [sent] = sqs.named("send_message")
    assert (json.loads(sent["MessageBody"])["attempt"], sent["DelaySeconds"]) == (2, 1)


def test_the_connection_goes_to_the_address_that_was_checked():
    _, _, [call] = _attempt(Outcome(204, {}, "", None, 3), ["93.184.216.34"])
    target, address = call[0], call[1]
    assert (target.host, str(address)) == ("hooks.example.com", "93.184.216.34")


def test_2xx_settles_and_resets_the_circuit():
    store, sqs, _ = _attempt(Outcome(200, {}, "ok", None, 3), ["93.184.216.34"])
    assert store.named("settle_delivery") == [("msg_1", "ep_1", "delivered", 200)]
    assert store.named("record_success") == [(ENDPOINT,)] and sqs.calls == []


def test_410_disables_the_endpoint_and_dead_letters_without_retrying():
    store, sqs, _ = _attempt(Outcome(410, {}, "", None, 3), ["93.184.216.34"])
    assert store.named("update_endpoint") == [("ep_1", {"disabled": True,
                                                        "disabled_reason": "the endpoint answered 410 Gone"})]
    [letter] = sqs.named("send_message")
    assert letter["QueueUrl"] == "dlq" and "410" in letter["MessageAttributes"]["reason"]["StringValue"]
    assert store.named("record_failure") == []


def test_the_last_failure_is_dead_lettered_with_the_reason():
    store, sqs, _ = _attempt(Outcome(None, {}, "", "no response within 15 s", 15000), ["93.184.216.34"], attempt=3)
    [letter] = sqs.named("send_message")
    assert letter["QueueUrl"] == "dlq"
    assert letter["MessageAttributes"]["reason"]["StringValue"] == \
        "3 attempts failed; the last: no response within 15 s"
    assert store.named("record_failure") == [("ep_1", 5, 60, False)]
