"""``send_each``: every body sent once to the one queue, with plain ``SendMessage`` (the action a role
granted ``sqs:SendMessage`` may call everywhere), a failure raised."""

from __future__ import annotations

import threading

import pytest

from functions.common.queues import dead_letter, queue_url, send_each


class Queue:
    def __init__(self, fail_on: str | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail_on, self.lock = fail_on, threading.Lock()

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict:  # noqa: N803 (boto3's names)
        if MessageBody == self.fail_on:
            raise RuntimeError("refused")
        with self.lock:
            self.sent.append((QueueUrl, MessageBody))
        return {"MessageId": MessageBody}


@pytest.mark.parametrize("count", [0, 1, 25])
def test_every_body_is_sent_once_to_the_queue(count):
    queue = Queue()
    bodies = [f"m{i}" for i in range(count)]
    send_each(queue, "q", bodies)
    assert sorted(queue.sent) == sorted(("q", b) for b in bodies)


def test_a_refused_message_is_raised():
    with pytest.raises(RuntimeError, match="refused"):
        send_each(Queue(fail_on="m3"), "q", [f"m{i}" for i in range(5)])


def test_a_queue_url_is_asked_for_once_per_arn():
    class Lookup:
        calls: list[dict] = []

        def get_queue_url(self, **request: str) -> dict:
            self.calls.append(request)
            return {"QueueUrl": f"https://sqs/{request['QueueOwnerAWSAccountId']}/{request['QueueName']}"}

    lookup, arn = Lookup(), "arn:aws:sqs:eu-west-1:123456789012:orders-once"
    assert queue_url(lookup, arn) == queue_url(lookup, arn) == "https://sqs/123456789012/orders-once"
    assert lookup.calls == [{"QueueName": "orders-once", "QueueOwnerAWSAccountId": "123456789012"}]


def test_a_dead_letter_carries_its_reason_cut_to_the_limit_and_its_other_attributes():
    calls: list[dict] = []

    class DeadLetters:
        def send_message(self, **request) -> dict:
            calls.append(request)
            return {}

    dead_letter(DeadLetters(), "dlq", "body", "x" * 2000, endpoint_id="ep_1")
    dead_letter(DeadLetters(), "dlq", "body", "", attribute="error", limit=500)
    assert calls[0]["QueueUrl"] == "dlq" and calls[0]["MessageBody"] == "body"
    assert {k: v["StringValue"] for k, v in calls[0]["MessageAttributes"].items()} == {
        "reason": "x" * 1000, "endpoint_id": "ep_1"}
    assert calls[1]["MessageAttributes"] == {"error": {"DataType": "String", "StringValue": "unknown"}}
