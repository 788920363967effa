"""The dispatcher on the deployed catalog, delivering to a real receiver on 127.0.0.1 that verifies every
request with the ``standardwebhooks`` and ``svix`` packages (catalog schedule: 4 attempts, 0/1/1/2 s)."""

from __future__ import annotations

import datetime
import json
import time

from localcloud.receiver import Reply
from tests.e2e.support import peek_all, wait_until
from tests.e2e.webhook_delivery.support import delivery_of, send, settled, verified


def test_a_message_reaches_its_subscribers_signed_once_each_and_not_others(http, base, receiver, register):
    paid = register(["invoice.paid"], description="billing")
    also_paid = register(["invoice.paid", "invoice.voided"])
    voided_only = register(["invoice.voided"])

    message = send(http, base, payload={"invoice": "in_1", "amount": 4200})

    assert message["endpoints"] == 2 and not message["duplicate"]
    for endpoint in (paid, also_paid):
        [request] = receiver.wait_for(endpoint["path"], 1)
        body = verified(request, endpoint["secret"])
        assert (body["type"], body["data"]) == ("invoice.paid", {"invoice": "in_1", "amount": 4200})
        assert request.headers["webhook-id"] == message["id"]
        settled(http, base, message["id"], endpoint["id"], "delivered")
    time.sleep(1)
    assert receiver.requests(voided_only["path"]) == []
    assert all(len(receiver.requests(e["path"])) == 1 for e in (paid, also_paid))
    attempts = http.get(f"{base}/endpoints/{paid['id']}/attempts").json()["attempts"]
    assert [(a["message_id"], a["status"], a["outcome"]) for a in attempts] == [(message["id"], 200, "delivered")]
    assert attempts[0]["latency_ms"] >= 0 and attempts[0]["excerpt"] == "ok"


def test_a_resent_message_id_is_not_delivered_again_and_a_changed_body_is_a_conflict(http, base, receiver, register):
    endpoint = register()
    first = send(http, base, payload={"n": 1}, message_id="msg_resent_" + endpoint["id"])
    again = send(http, base, payload={"n": 1}, message_id=first["id"])
    changed = http.post(f"{base}/messages", json={"event_type": "invoice.paid", "payload": {"n": 2},
                                                  "id": first["id"]})

    assert (again["duplicate"], changed.status_code, changed.json()["code"]) == (True, 409, "conflict")
    receiver.wait_for(endpoint["path"], 1)
    time.sleep(1.5)
    assert len(receiver.requests(endpoint["path"])) == 1


def test_three_failures_then_success_make_four_attempts_with_one_id_and_fresh_signatures(http, base, receiver,
                                                                                        register):
    endpoint = register()
    receiver.script(endpoint["path"], [Reply(500), Reply(502, body="bad gateway"), Reply(503)], then=Reply(200))

    message = send(http, base)

    requests = receiver.wait_for(endpoint["path"], 4)
    settled(http, base, message["id"], endpoint["id"], "delivered")
    assert {r.headers["webhook-id"] for r in requests} == {message["id"]}
    assert len({r.headers["webhook-signature"] for r in requests}) == 4  # re-signed per attempt
    assert all(verified(r, endpoint["secret"]) == verified(requests[0], endpoint["secret"]) for r in requests)
    assert len({r.body for r in requests}) == 1
    gaps = [b.at - a.at for a, b in zip(requests, requests[1:], strict=False)]
    assert all(gap >= 0.9 for gap in gaps), gaps  # the schedule's delays (1, 1, 2 s), not at once
    log = http.get(f"{base}/messages/{message['id']}").json()["attempts"]
    assert [(a["attempt"], a["status"], a["outcome"]) for a in log] == [
        (1, 500, "retry"), (2, 502, "retry"), (3, 503, "retry"), (4, 200, "delivered")]
    assert log[1]["excerpt"] == "bad gateway"


def test_retry_after_on_429_is_honoured(http, base, receiver, register):
    endpoint = register()
    receiver.script(endpoint["path"], [Reply(429, {"Retry-After": "4"})], then=Reply(200))

    message = send(http, base)

    first, second = receiver.wait_for(endpoint["path"], 2)
    assert second.at - first.at >= 3.9  # the schedule alone would retry after 1 s
    attempts = http.get(f"{base}/messages/{message['id']}").json()["attempts"]
    assert attempts[0]["next_attempt_in"] == 4


def test_410_gone_disables_the_endpoint_and_later_messages_skip_it(http, base, receiver, register):
    gone = register()
    healthy = register()
    receiver.script(gone["path"], [], then=Reply(410))

    first = send(http, base)
    settled(http, base, first["id"], gone["id"], "dead_lettered")
    state = http.get(f"{base}/endpoints/{gone['id']}").json()
    later = send(http, base)

    assert (state["disabled"], state["disabled_reason"]) == (True, "the endpoint answered 410 Gone")
    assert len(receiver.requests(gone["path"])) == 1  # not retried
    assert later["endpoints"] == 1  # only the healthy one
    receiver.wait_for(healthy["path"], 2)
    assert "410 Gone" in delivery_of(http, base, first["id"], gone["id"])["reason"]


def _dead_letters(outputs, message_id: str) -> list[dict]:
    return [m for m in peek_all(outputs["delivery_dlq_url"]) if json.loads(m["Body"])["message_id"] == message_id]


def test_an_exhausted_delivery_is_dead_lettered_with_its_reason_and_replay_delivers_it_once(http, base, receiver,
                                                                                           register, outputs):
    endpoint = register()
    receiver.script(endpoint["path"], [], then=Reply(500))
    message = send(http, base)
    dead = settled(http, base, message["id"], endpoint["id"], "dead_lettered")
    assert len(receiver.requests(endpoint["path"])) == 4
    assert dead["reason"] == "4 attempts failed; the last: HTTP 500"
    [letter] = _dead_letters(outputs, message["id"])
    assert letter["MessageAttributes"]["reason"]["StringValue"] == dead["reason"]

    receiver.script(endpoint["path"], [], then=Reply(200))
    replay = http.post(f"{base}/dead-letters/replay", json={"endpoint_id": endpoint["id"]})

    assert replay.status_code == 200, replay.text
    assert replay.json()["deliveries"] == [{"message_id": message["id"], "endpoint_id": endpoint["id"]}]
    settled(http, base, message["id"], endpoint["id"], "delivered")
    time.sleep(1.5)
    requests = receiver.requests(endpoint["path"])
    assert len(requests) == 5 and requests[-1].headers["webhook-id"] == message["id"]
    assert not _dead_letters(outputs, message["id"])


def _epoch(timestamp: str) -> float:
    return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def test_the_circuit_opens_on_a_dead_endpoint_and_a_half_open_probe_closes_it(http, base, receiver, register):
    endpoint = register()
    receiver.script(endpoint["path"], [], then=Reply(503))
    messages = [send(http, base, payload={"n": n}) for n in range(3)]

    def circuit_open() -> dict | None:
        state = http.get(f"{base}/endpoints/{endpoint['id']}").json()
        return state if state["circuit"]["state"] == "open" else None

    opened = wait_until(circuit_open, 20, interval=0.2, what="the circuit to open")
    receiver.script(endpoint["path"], [], then=Reply(200))  # the endpoint recovers during the cooldown
    for message in messages:
        settled(http, base, message["id"], endpoint["id"], "delivered", timeout=40)

    open_until = opened["circuit"]["open_until"]
    opened_at = open_until - 3  # the catalog's cooldown
    attempts = sorted((a for m in messages for a in http.get(f"{base}/messages/{m['id']}").json()["attempts"]),
                      key=lambda a: a["timestamp"])
    assert opened["circuit"]["failures"] >= 5
    assert not [a for a in attempts if opened_at + 0.5 < _epoch(a["timestamp"]) < open_until], \
        "an attempt was made while the circuit was open"
    probe = next(a for a in attempts if _epoch(a["timestamp"]) >= open_until)
    assert (probe.get("probe"), probe["status"]) == (True, 200)
    assert http.get(f"{base}/endpoints/{endpoint['id']}").json()["circuit"] == {
        "state": "closed", "failures": 0, "open_until": None}


def test_a_slow_endpoint_does_not_delay_a_healthy_one(http, base, receiver, register):
    """Delivered one after the other, the healthy endpoint's messages would wait 2 s (the request timeout)
    per message behind the slow one's; isolated, they arrive before half that total has passed, however
    many cold workers the emulator has to start. The slow endpoint never holds more than its share of
    workers (2 attempts at once in the catalog)."""
    slow = register()
    healthy = register()
    receiver.script(slow["path"], [], then=Reply(200, delay=6))  # longer than the 2 s request timeout

    started = time.time()
    messages = [send(http, base, payload={"n": n}) for n in range(10)]

    fast = receiver.wait_for(healthy["path"], len(messages))
    serial = len(messages) * 2
    assert max(r.at for r in fast) - started < serial / 2, "healthy deliveries waited behind the slow endpoint"
    # each attempt holds one of the endpoint's 2 slots until its 2 s timeout
    arrivals = sorted(r.at for r in receiver.requests(slow["path"]))
    assert all(later - earlier >= 1.8 for earlier, later in zip(arrivals, arrivals[2:], strict=False)), \
        "more than 2 attempts (the catalog's max_in_flight_per_endpoint) were in flight at once"
    timed_out = wait_until(lambda: [a for a in http.get(f"{base}/endpoints/{slow['id']}/attempts").json()["attempts"]
                                    if a.get("error")] or None, 15, what="a timed-out attempt")
    assert timed_out[0]["error"] == "no response within 2 s" and timed_out[0]["outcome"] == "retry"
