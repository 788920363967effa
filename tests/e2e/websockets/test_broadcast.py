"""WebSocket broadcast, driven with real WebSocket clients: authorised connects, topics, a publish
that reaches every subscriber exactly once and no one else, bad frames answered with error frames."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from functions.websockets.tokens import issue
from tests.e2e.support import wait_until
from tests.e2e.websockets.support import (
    close_all,
    connection_ids_of,
    open_clients,
    row_count,
    rows_of,
    run,
    settled_row_count,
    subscribe_all,
    token_url,
    topic_name,
    wait_for_messages,
)

pytestmark = pytest.mark.requires("apigateway-websocket")


async def _refused(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, open_timeout=30):
            pass
    return refused.value.response.status_code


def test_an_unauthorised_connect_is_refused_and_stores_nothing(ws_url, secret, table):
    before = settled_row_count(table)

    async def scenario() -> list[int]:
        return [
            await _refused(ws_url),  # no token at all: refused before any code runs
            await _refused(ws_url + "?token=not-a-token"),
            await _refused(ws_url + "?token=" + issue(b"another secret", "mallory")),  # forged
            await _refused(ws_url + "?token=" + issue(secret, "late", ttl_seconds=1, now=0)),  # expired
        ]

    assert run(scenario()) == [401, 403, 403, 403]
    assert row_count(table) == before


def test_a_connect_asking_for_a_bad_topic_is_refused_and_stores_nothing(ws_url, secret, table):
    before = settled_row_count(table)

    async def scenario() -> None:
        await _refused(token_url(ws_url, secret, "picky", ["fine", "not a topic!"]))
        await _refused(token_url(ws_url, secret, "greedy", [f"t{i}" for i in range(25)]))

    run(scenario())
    assert row_count(table) == before


def test_a_publish_reaches_every_subscriber_of_the_topic_exactly_once_and_no_one_else(ws_url, secret):
    news, sport = topic_name("news"), topic_name("sport")

    async def scenario() -> None:
        readers, others, idle = await asyncio.gather(  # subscribed as they connect (?topics=)
            open_clients(ws_url, secret, 30, "reader", topics=[news], concurrency=4),
            open_clients(ws_url, secret, 15, "other", topics=[sport, f"{news}-not"], concurrency=2),
            open_clients(ws_url, secret, 5, "idle", concurrency=2))
        clients = readers + others + idle
        try:
            publisher = idle[0]
            reply = await publisher.request({"action": "publish", "topic": news, "data": {"headline": "hello"}})
            assert reply["type"] == "published" and reply["recipients"] == 30, reply
            await wait_for_messages(readers, news, 1, timeout=30)
            await asyncio.sleep(1)  # time for a duplicate or a stray delivery to show up
            for client in readers:
                assert client.messages() == [{"type": "message", "topic": news, "id": reply["id"],
                                              "data": {"headline": "hello"}}], client.name
            assert all(c.messages() == [] for c in others + idle)
        finally:
            await close_all(clients)

    run(scenario())


def test_concurrent_publishers_each_reach_every_subscriber_exactly_once(ws_url, secret):
    topic = topic_name("chorus")

    async def scenario() -> None:
        subscribers = await open_clients(ws_url, secret, 20, "listener", topics=[topic])
        publishers = await open_clients(ws_url, secret, 5, "speaker")
        try:
            replies = await asyncio.gather(*(p.request({"action": "publish", "topic": topic, "data": f"{p.name}/{n}"})
                                             for p in publishers for n in range(2)))
            assert all(r["type"] == "published" and r["recipients"] == 20 for r in replies), replies
            ids = sorted(r["id"] for r in replies)
            await wait_for_messages(subscribers, topic, 10, timeout=30)
            await asyncio.sleep(1)
            for client in subscribers:
                assert sorted(m["id"] for m in client.messages()) == ids, client.name  # each once, none lost
            assert all(p.messages() == [] for p in publishers)
        finally:
            await close_all(subscribers + publishers)

    run(scenario())


def test_bad_frames_get_an_error_frame_and_leave_the_socket_and_the_others_unaffected(ws_url, secret):
    topic = topic_name("bad-frames")

    async def scenario() -> None:
        clients = await open_clients(ws_url, secret, 2, "bad")
        sender, bystander = clients
        try:
            await subscribe_all(clients, topic)
            cases = [
                ("this is not json", "invalid_json"),
                ("[1, 2]", "invalid_json"),
                ({"action": "shout", "topic": topic}, "unknown_action"),
                ({"no": "action"}, "unknown_action"),
                ({"action": "subscribe"}, "invalid_input"),
                ({"action": "subscribe", "topic": "-not a topic-"}, "invalid_input"),
                ({"action": "subscribe", "topic": ["news"]}, "invalid_input"),  # wrong type
                ({"action": "publish", "topic": topic}, "invalid_input"),  # no data
                ({"action": "publish", "topic": topic, "data": "x" * (128 * 1024)}, "payload_too_large"),
            ]
            for frame, code in cases:
                reply = await sender.request(frame)
                assert reply["type"] == "error" and reply["code"] == code, (frame if isinstance(frame, str)
                                                                            else json.dumps(frame)[:80], reply)
                assert reply["message"] and "Traceback" not in reply["message"]
            assert await sender.request({"action": "ping"}) == {"type": "pong"}
            reply = await sender.request({"action": "publish", "topic": topic, "data": 42})
            assert reply["recipients"] == 2
            await wait_for_messages(clients, topic, 1, timeout=30)
            await asyncio.sleep(0.5)
            assert [len(c.messages()) for c in clients] == [1, 1]  # nothing refused was sent
        finally:
            await close_all(clients)

    run(scenario())


def test_unsubscribe_stops_delivery_and_disconnect_removes_every_row(ws_url, secret, table):
    topic = topic_name("leave")

    async def scenario() -> list[str]:
        clients = await open_clients(ws_url, secret, 2, "leave")
        stays, leaves = clients
        try:
            await subscribe_all(clients, topic)
            ids = list(connection_ids_of(table, {stays.name, leaves.name}).values())
            assert len(ids) == 2 and all(len(rows_of(table, i)) == 2 for i in ids)  # connection + subscription
            assert await leaves.request({"action": "unsubscribe", "topic": topic}) == {"type": "unsubscribed",
                                                                                       "topic": topic}
            reply = await stays.request({"action": "publish", "topic": topic, "data": "only you"})
            assert reply["recipients"] == 1
            await wait_for_messages([stays], topic, 1, timeout=30)
            await asyncio.sleep(0.5)
            assert leaves.messages() == []
            return ids
        finally:
            await close_all(clients)

    ids = run(scenario())
    # $disconnect runs after the socket closed: each connection's rows go
    wait_until(lambda: not any(rows_of(table, i) for i in ids), 20, what="the disconnected connections' rows to go")
