"""``send_each``: every body sent once to the one queue, with plain ``SendMessage`` (the action a role
granted ``sqs:SendMessage`` may call everywhere), a failure raised."""

from __future__ import annotations

import threading

import pytest

from functions.common.queues import queue_url, send_each


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
