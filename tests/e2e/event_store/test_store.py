"""The event store's own guarantees on the emulator's DynamoDB, under real concurrency: one winner per
version, all-or-nothing appends, no gap and no duplicate in any stream or in the notification log;
and an ``eventsourcing`` application running on it by configuration alone."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from functions.event_store.exceptions import AppendTooLarge, TokenReused, VersionConflict
from functions.event_store.store import EventLog, NewEvent, RecordedEvent


def _event(stream: str, version: int, data: bytes = b"{}") -> NewEvent:
    return NewEvent(stream, version, "Deposited", data)


def test_two_concurrent_appends_at_the_same_version_exactly_one_wins(new_log):
    log = new_log()
    log.append([_event("acct", 1)])
    barrier, outcomes = threading.Barrier(2), []

    def append(data: bytes) -> None:
        barrier.wait()
        try:
            log.append([_event("acct", 2, data), _event("acct", 3, data)])
            outcomes.append(("won", data))
        except VersionConflict:
            outcomes.append(("lost", data))

    threads = [threading.Thread(target=append, args=(d,)) for d in (b'{"w":1}', b'{"w":2}')]
    [t.start() for t in threads]
    [t.join() for t in threads]

    assert sorted(o for o, _ in outcomes) == ["lost", "won"]
    winner = next(d for o, d in outcomes if o == "won")
    assert [(e.version, e.state) for e in log.stream("acct")] == [(1, b"{}"), (2, winner), (3, winner)]
    assert [e.position for e in log.notifications(None, 10)] == [1, 2, 3]  # the loser took no position


def test_an_append_whose_second_stream_conflicts_writes_nothing(new_log):
    log = new_log()
    log.append([_event("a", 1), _event("b", 1)])

    with pytest.raises(VersionConflict, match="stream b"):
        log.append([_event("a", 2), _event("b", 1)])

    assert [e.version for e in log.stream("a")] == [1]
    assert log.last_position() == 2 and log.last_version("a") == 1


def test_16_writers_on_4_streams_leave_no_gap_and_no_duplicate(new_log):
    log, streams, per_writer = new_log(), [f"s{n}" for n in range(4)], 6
    conflicts = Counter[str]()

    def writer(number: int) -> None:
        stream = streams[number % 4]
        for index in range(per_writer):
            while True:  # decide on the current version, append, and start over when another writer came first
                version = (log.last_version(stream) or 0) + 1
                try:
                    log.append([_event(stream, version, f'{{"writer":{number},"n":{index}}}'.encode())])
                    break
                except VersionConflict:
                    conflicts[stream] += 1

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(writer, range(16)))

    total = 16 * per_writer
    notifications = log.notifications(None, total + 10)
    assert [n.position for n in notifications] == list(range(1, total + 1))  # strictly increasing, no gap
    for stream in streams:
        events = log.stream(stream)
        assert [e.version for e in events] == list(range(1, 4 * per_writer + 1))  # no gap, no duplicate
        assert {e.state for e in events} == {f'{{"writer":{w},"n":{i}}}'.encode()
                                             for w in range(16) if w % 4 == int(stream[1:]) for i in range(per_writer)}
    by_position = {(n.stream_id, n.version): n.position for n in notifications}
    assert all(by_position[(s, e.version)] == e.position for s in streams for e in log.stream(s))
    print(f"event store: {total} appends by 16 writers on 4 streams, "
          f"{sum(conflicts.values())} version conflicts retried")


def test_reads_forwards_backwards_and_after_a_version(new_log):
    log = new_log()
    log.append([_event("x", v) for v in (1, 2, 3)])
    log.append([_event("x", 4)])
    log.append([_event("x", v) for v in (5, 6)])

    assert [e.version for e in log.stream("x", after=3)] == [4, 5, 6]
    assert [e.version for e in log.stream("x", after=1, up_to=4)] == [2, 3, 4]
    assert [e.version for e in log.stream("x", backwards=True, limit=2)] == [6, 5]
    assert [e.position for e in log.notifications(2, 3, inclusive=False)] == [3, 4, 5]
    assert [e.position for e in log.notifications(None, 10, stop=4)] == [1, 2, 3, 4]


@pytest.mark.parametrize(("events", "error", "message"), [
    ([_event("x", 1), _event("x", 3)], ValueError, "contiguous"),
    ([_event("x", 1), _event("x", 1)], VersionConflict, "twice"),
    ([_event("", 1)], ValueError, "non-empty stream id"),
    ([_event("x", -1)], ValueError, "integer >= 0"),
    ([_event("x", 1, b"x" * 400_000)], AppendTooLarge, "one DynamoDB item"),
    ([_event(f"s{n}", 1) for n in range(60)], AppendTooLarge, "at most 48 streams"),
])
def test_bad_appends_are_refused_with_a_clear_error_and_write_nothing(new_log, events, error, message):
    log = new_log()
    with pytest.raises(error, match=message):
        log.append(events)
    assert log.last_position() is None


class Account(Aggregate):
    @event("Opened")
    def __init__(self, owner: str) -> None:
        self.owner, self.balance = owner, 0

    @event("Deposited")
    def deposit(self, amount: int) -> None:
        self.balance += amount


def test_an_eventsourcing_application_runs_on_it_by_configuration(events_table, monkeypatch):
    monkeypatch.setenv("PERSISTENCE_MODULE", "functions.event_store.persistence")
    monkeypatch.setenv("EVENT_STORE_TABLE", events_table)
    monkeypatch.setenv("EVENT_STORE_NAMESPACE", "app-test/")
    app = Application(env={"IS_SNAPSHOTTING_ENABLED": "y"})
    account = Account("ada")
    for amount in range(1, 11):
        account.deposit(amount)
    app.save(account)
    app.take_snapshot(account.id, version=6)
    for amount in (100, 200):
        account.deposit(amount)
    app.save(account)

    [snapshot] = app.snapshots.get(account.id, desc=True, limit=1)  # type: ignore[union-attr]
    assert snapshot.originator_version == 6
    loaded = app.repository.get(account.id)  # from the snapshot at version 6, then the tail
    assert loaded.balance == 355 and loaded.version == 13
    replayed = None
    for domain_event in app.events.get(account.id):  # every event, from version 1
        replayed = domain_event.mutate(replayed)
    assert (replayed.balance, replayed.version) == (loaded.balance, loaded.version)
    assert app.recorder.max_notification_id() >= 13


def test_a_retried_append_with_the_same_token_changes_nothing(new_log):
    log = new_log()
    first = log.append([_event("acct", 1), _event("acct", 2)], token="req-1")

    assert log.append([_event("acct", 1), _event("acct", 2)], token="req-1") == first  # a retry: the same answer
    assert [e.version for e in log.stream("acct")] == [1, 2] and log.last_position() == 2
    with pytest.raises(TokenReused, match="different append"):
        log.append([_event("acct", 3)], token="req-1")
    assert log.last_position() == 2


def _apply(balance: int, event: RecordedEvent) -> int:
    return balance + json.loads(event.state)["amount"]


def test_state_from_a_snapshot_plus_the_tail_equals_a_full_replay(new_log):
    log = new_log()
    for start in range(1, 1001, 100):
        log.append([_event("big", v, json.dumps({"amount": v}).encode()) for v in range(start, start + 100)])
    codec = {"encode": lambda s: str(s).encode(), "decode": lambda b: int(b)}

    assert log.load("big", _apply, 0, snapshot_every=100, **codec) == (500_500, 1000)  # replayed all, snapshot taken
    assert log.latest_snapshot("big") == (1000, b"500500")
    log.append([_event("big", 1001, b'{"amount": 7}'), _event("big", 1002, b'{"amount": -3}')])

    from_snapshot = log.load("big", _apply, 0, snapshot_every=100, **codec)
    full_replay = (sum(json.loads(e.state)["amount"] for e in log.stream("big")), 1002)
    assert from_snapshot == full_replay == (500_504, 1002)
    assert log.latest_snapshot("big") == (1000, b"500500")  # a 2-event tail takes no new snapshot


def test_old_events_are_read_in_their_current_form_by_upcasters(new_log, events_table):
    old = new_log()
    old.append([NewEvent("acct", 1, "Deposited.v1", b'{"cents": "1250"}'), _event("acct", 2, b'{"amount": 5}')])

    def v1_to_v2(event: RecordedEvent) -> RecordedEvent:  # v1 stored cents as a string; v2 has amount in units
        amount = int(json.loads(event.state)["cents"]) // 100
        return replace(event, topic="Deposited", state=json.dumps({"amount": amount}).encode())

    log = EventLog(events_table, old.dynamodb, namespace=old.namespace, upcasters={"Deposited.v1": v1_to_v2})
    assert [(e.topic, json.loads(e.state)) for e in log.stream("acct")] == [
        ("Deposited", {"amount": 12}), ("Deposited", {"amount": 5})]
    assert [e.topic for e in log.notifications(None, 10)] == ["Deposited", "Deposited"]
    assert [e.topic for e in old.stream("acct")] == ["Deposited.v1", "Deposited"]  # stored as written
