"""Connections that vanished without ``$disconnect`` are removed by the next broadcast (410
GoneException), other push failures are retried then dead-lettered with the reason, and the backend
publishes over a signed HTTP POST."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import boto3
import pytest

from tests.e2e.support import peek_all, wait_until
from tests.e2e.websockets.support import (
    close_all,
    connection_ids_of,
    open_clients,
    pushing_elsewhere,
    rows_of,
    run,
    subscribe_all,
    topic_name,
    wait_for_messages,
)

pytestmark = pytest.mark.requires("apigateway-websocket")


def ghost(table: str, topic: str) -> str:
    """The rows a connection leaves when its $disconnect never runs (API Gateway does not guarantee
    it): registered and subscribed, but unknown to API Gateway."""
    connection_id = "ghost" + uuid.uuid4().hex[:11]
    expires = str(int(time.time()) + 7200)
    ddb = boto3.client("dynamodb")
    ddb.put_item(TableName=table, Item={"connection_id": {"S": connection_id}, "sk": {"S": "#connection"},
                                        "subject": {"S": "ghost"}, "expires_at": {"N": expires}})
    ddb.put_item(TableName=table, Item={"connection_id": {"S": connection_id}, "sk": {"S": f"topic#{topic}"},
                                        "topic": {"S": topic}, "expires_at": {"N": expires}})
    return connection_id


def test_a_client_gone_without_disconnect_is_removed_by_the_next_broadcast_and_the_others_receive(
        ws_url, secret, table):
    topic = topic_name("stale")
    ghosts = [ghost(table, topic) for _ in range(3)]

    async def scenario() -> None:
        clients = await open_clients(ws_url, secret, 5, "stale")
        try:
            await subscribe_all(clients, topic)
            reply = await clients[0].request({"action": "publish", "topic": topic, "data": "first"})
            assert reply["recipients"] == 8
            await wait_for_messages(clients, topic, 1, timeout=30)
            wait_until(lambda: all(not rows_of(table, g) for g in ghosts), 30,
                       what="the gone connections' rows to be removed")
            reply = await clients[1].request({"action": "publish", "topic": topic, "data": "second"})
            assert reply["recipients"] == 5
            await wait_for_messages(clients, topic, 2, timeout=30)
            assert all([m["data"] for m in c.messages()] == ["first", "second"] for c in clients)
        finally:
            await close_all(clients)

    run(scenario())


def test_a_client_dropped_without_closing_stops_receiving_and_the_others_still_do(ws_url, secret, table):
    topic = topic_name("dropped")

    async def scenario() -> None:
        clients = await open_clients(ws_url, secret, 4, "dropped")
        try:
            await subscribe_all(clients, topic)
            dropped = clients[0]
            ids = connection_ids_of(table, {dropped.name})
            dropped.socket.transport.abort()  # no close frame: the TCP connection just ends
            reply = await clients[1].request({"action": "publish", "topic": topic, "data": "after the drop"})
            assert reply["recipients"] in (3, 4)  # the drop may or may not be known yet
            await wait_for_messages(clients[1:], topic, 1, timeout=30)
            wait_until(lambda: not rows_of(table, ids[dropped.name]), 30, what="the dropped connection's rows to go")
            assert dropped.messages() == []
        finally:
            await close_all(clients)

    run(scenario())


def test_the_backend_publishes_over_signed_http(broadcast, api_url, http, anonymous_http, ws_url, secret):
    topic = topic_name("backend")
    url = api_url(broadcast["url"]) + f"/topics/{topic}/messages"

    async def scenario() -> None:
        clients = await open_clients(ws_url, secret, 3, "backend")
        try:
            await subscribe_all(clients, topic)
            assert anonymous_http.post(url, json={"data": "x"}, timeout=30).status_code == 403
            refused = http.post(url, json={"nodata": 1}, timeout=30)
            assert refused.status_code == 400 and refused.json()["code"] == "invalid_input"
            too_big = http.post(url, json={"data": "x" * (128 * 1024)}, timeout=30)
            assert too_big.status_code == 413 and too_big.json()["code"] == "payload_too_large"
            accepted = http.post(url, json={"data": {"from": "backend"}}, timeout=30)
            assert accepted.status_code == 202, accepted.text
            assert accepted.json()["recipients"] == 3
            await wait_for_messages(clients, topic, 1, timeout=30)
            await asyncio.sleep(0.5)
            assert all([m["data"] for m in c.messages()] == [{"from": "backend"}] for c in clients)
        finally:
            await close_all(clients)

    run(scenario())


def test_a_push_that_keeps_failing_otherwise_than_gone_is_retried_then_dead_lettered(broadcast, ws_url, secret, table):
    topic = topic_name("failing")

    async def scenario() -> tuple[str, dict]:
        [client] = await open_clients(ws_url, secret, 1, "failing", topics=[topic])
        try:
            connection_id = connection_ids_of(table, {client.name})[client.name]
            with pushing_elsewhere(broadcast["sender_function_name"]):
                reply = await client.request({"action": "publish", "topic": topic, "data": "lost?"})
                dead = wait_until(lambda: [m for m in peek_all(broadcast["deliveries_dlq_url"])
                                           if json.loads(m["Body"].split("\n", 1)[0])["id"] == reply["id"]],
                                  30, what="the failing delivery in the DLQ")
            await asyncio.sleep(0.5)  # let the reader record anything that did arrive
            assert client.messages() == [] and rows_of(table, connection_id)  # not gone: kept
            return connection_id, dead[0]
        finally:
            await close_all([client])

    connection_id, dead = run(scenario())
    header = json.loads(dead["Body"].split("\n", 1)[0])
    assert header["connections"] == [connection_id] and header["attempt"] == 2  # max_attempts in the catalog
    assert "failed 2 time(s)" in dead["MessageAttributes"]["error"]["StringValue"]
    assert "403" in dead["MessageAttributes"]["error"]["StringValue"]


def test_a_message_that_is_not_a_delivery_goes_to_the_dlq_with_the_reason(broadcast):
    sqs = boto3.client("sqs")
    marker = uuid.uuid4().hex
    sqs.send_message(QueueUrl=broadcast["deliveries_queue_url"], MessageBody=f"not a delivery {marker}")
    dead = wait_until(lambda: [m for m in peek_all(broadcast["deliveries_dlq_url"]) if marker in m["Body"]], 30,
                      what="the unreadable message in the DLQ")
    assert "not a delivery" in dead[0]["MessageAttributes"]["error"]["StringValue"]


def test_the_backend_publishes_with_an_event_on_the_bus(broadcast, ws_url, secret):
    topic = topic_name("evented")
    events = boto3.client("events")

    async def scenario() -> tuple[dict, str]:
        clients = await open_clients(ws_url, secret, 3, "evented", topics=[topic])
        try:
            sent = events.put_events(Entries=[
                {"Source": "tests.websockets", "DetailType": "WebSocket publish", "EventBusName": "default",
                 "Detail": json.dumps({"topic": topic, "data": {"from": "the bus"}})},
                {"Source": "tests.websockets", "DetailType": "Something else", "EventBusName": "default",
                 "Detail": json.dumps({"topic": topic, "data": "not for the sockets"})},
            ])
            assert sent["FailedEntryCount"] == 0
            await wait_for_messages(clients, topic, 1, timeout=30)
            await asyncio.sleep(1)
            [message] = clients[0].messages()
            assert all(c.messages() == [message] for c in clients) and message["data"] == {"from": "the bus"}
            return message, sent["Entries"][0]["EventId"]
        finally:
            await close_all(clients)

    message, event_id = run(scenario())
    assert message["id"] == event_id  # a redelivered event carries the same id to every client


def test_an_event_that_cannot_be_published_goes_to_the_events_dlq_with_the_reason(broadcast):
    marker = uuid.uuid4().hex
    boto3.client("events").put_events(Entries=[{
        "Source": "tests.websockets", "DetailType": "WebSocket publish", "EventBusName": "default",
        "Detail": json.dumps({"topic": "not a topic!", "data": marker})}])
    dead = wait_until(lambda: [m for m in peek_all(broadcast["events_dlq_url"]) if marker in m["Body"]], 30,
                      what="the unpublishable event in the events DLQ")
    assert "invalid topic" in dead[0]["MessageAttributes"]["error"]["StringValue"]
