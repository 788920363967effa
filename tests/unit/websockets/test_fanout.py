"""Fan-out rules: every subscriber in exactly one delivery; 410 removes, anything else retries, then
the DLQ; deliveries survive SQS as they were sent."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.websockets.fanout import Delivery, Report, chunks, classify_error, deliveries, next_step


@given(st.lists(st.text(min_size=1, max_size=5), unique=True, max_size=300), st.integers(1, 60))
def test_every_connection_is_in_exactly_one_delivery_of_at_most_chunk_size(connections, size):
    planned = deliveries("t", "id", "{}", connections, size)
    assert [c for d in planned for c in d.connections] == connections
    assert all(1 <= len(d.connections) <= size for d in planned)
    assert len(planned) == -(-len(connections) // size)


def test_chunks_refuses_a_size_below_one():
    with pytest.raises(ValueError):
        list(chunks(["a"], 0))


@given(st.text(min_size=1, max_size=2000))
def test_a_delivery_round_trips_and_holds_its_frame_unescaped(frame):
    delivery = Delivery("news", "m1", frame, ("c1", "c2"), attempt=2)
    body = delivery.to_body()
    assert Delivery.from_body(body) == delivery
    assert body.endswith(frame)


def test_a_large_frame_costs_its_own_size_once():
    frame = json.dumps({"data": '"' * 100_000})  # doubled by JSON once: it must not double again
    assert len(Delivery("t", "m", frame, ("c",)).to_body()) < len(frame) + 200


@pytest.mark.parametrize("body", ["", "{}", "not json\n{}", '{"topic": "t", "id": "m", "connections": []}\n{}',
                                  '{"topic": "t", "id": "m", "connections": ["c"]}', '{"topic": "t"}\nframe'])
def test_a_message_that_is_not_a_delivery_is_refused(body):
    with pytest.raises(ValueError, match="not a delivery"):
        Delivery.from_body(body)


def test_gone_is_410_and_everything_else_is_retried():
    assert classify_error("GoneException", 410) == "gone"
    assert classify_error("", 410) == "gone"
    for code, status in [("LimitExceededException", 429), ("InternalServerError", 500), ("ForbiddenException", 403),
                         ("PayloadTooLargeException", 413), ("", 0)]:
        assert classify_error(code, status) == "retry"


def test_only_the_failed_connections_are_retried_then_dead_lettered():
    delivery = Delivery("t", "m", "{}", ("a", "b", "c", "d"))
    report = Report()
    for connection, outcome in [("a", "delivered"), ("b", "gone"), ("c", "retry"), ("d", "retry")]:
        report.record(connection, outcome, "LimitExceededException (429)")  # type: ignore[arg-type]
    assert report.delivered == ["a"] and report.gone == ["b"] and set(report.failed) == {"c", "d"}
    step, retry = next_step(delivery, report, max_attempts=2)
    assert step == "retry" and retry is not None and retry.connections == ("c", "d") and retry.attempt == 2
    step, dead = next_step(retry, report, max_attempts=2)
    assert step == "dead_letter" and dead is not None and dead.connections == ("c", "d") and dead.attempt == 2
    assert next_step(delivery, Report(delivered=["a"]), 2) == ("done", None)
