"""500 connections on one topic: one publish reaches every one of them exactly once, fanned out over
20 deliveries handled by parallel sender invocations, within a bounded time."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.websockets.support import close_all, open_clients, run, topic_name, wait_for_messages

pytestmark = pytest.mark.requires("apigateway-websocket")
CONNECTIONS = 500
DELIVERY_BOUND_SECONDS = 30  # publish -> the last client received, with the other worker's load


def test_a_broadcast_to_500_connections_loses_nothing(ws_url, secret):
    topic = topic_name("crowd")

    async def scenario() -> None:
        started = time.monotonic()
        clients = await open_clients(ws_url, secret, CONNECTIONS, "crowd", topics=[topic])
        try:
            print(f"500 connected and subscribed in {time.monotonic() - started:.1f}s")
            reply = await clients[0].request({"action": "publish", "topic": topic, "data": "to everyone"})
            assert reply["recipients"] == CONNECTIONS and reply["deliveries"] == CONNECTIONS // 25
            took = await wait_for_messages(clients, topic, 1, timeout=DELIVERY_BOUND_SECONDS)
            print(f"publish -> last of 500 received in {took:.2f}s")
            await asyncio.sleep(0.5)
            assert all(len(c.messages()) == 1 for c in clients)
        finally:
            await close_all(clients)

    run(scenario())
