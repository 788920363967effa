"""The frames: every refusal has its code and a message, and what is accepted is exactly what was sent."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.common.errors import HttpError, InvalidInput
from functions.websockets.exceptions import MessageTooLarge, NotJson, UnknownAction
from functions.websockets.protocol import (
    MAX_CONNECT_TOPICS,
    Request,
    connect_topics,
    error_frame,
    message_frame,
    parse_frame,
    reply,
)

LIMIT = 128 * 1024


@pytest.mark.parametrize(("frame", "route", "expected"), [
    ('{"action": "subscribe", "topic": "news"}', "subscribe", Request("subscribe", "news")),
    ('{"action": "unsubscribe", "topic": "a.b-c_1"}', "unsubscribe", Request("unsubscribe", "a.b-c_1")),
    ('{"action": "publish", "topic": "news", "data": {"x": [1]}}', "publish", Request("publish", "news", {"x": [1]})),
    ('{"action": "publish", "topic": "news", "data": null}', "publish", Request("publish", "news", None)),
    ('{"action": "ping"}', "ping", Request("ping")),
    ('{"action": "ping"}', "$default", Request("ping")),  # a deployment without the ping route
])
def test_accepted_frames(frame, route, expected):
    assert parse_frame(frame, route, LIMIT) == expected


@pytest.mark.parametrize(("frame", "error", "code"), [
    ("", NotJson, "invalid_json"),
    ("not json", NotJson, "invalid_json"),
    ("[1]", NotJson, "invalid_json"),
    ('"text"', NotJson, "invalid_json"),
    ("[" * 100_000, NotJson, "invalid_json"),
    ('{"action": "shout"}', UnknownAction, "unknown_action"),
    ('{"action": 7}', UnknownAction, "unknown_action"),
    ("{}", UnknownAction, "unknown_action"),
    ('{"action": "subscribe"}', InvalidInput, "invalid_input"),
    ('{"action": "subscribe", "topic": 5}', InvalidInput, "invalid_input"),
    ('{"action": "subscribe", "topic": "has space"}', InvalidInput, "invalid_input"),
    ('{"action": "subscribe", "topic": "' + "x" * 65 + '"}', InvalidInput, "invalid_input"),
    ('{"action": "publish", "topic": "news"}', InvalidInput, "invalid_input"),
])
def test_refused_frames_say_why(frame, error, code):
    with pytest.raises(error) as refused:
        parse_frame(frame, "$default", LIMIT)
    assert refused.value.code == code and refused.value.message


def test_an_oversized_frame_is_refused_before_it_is_parsed():
    with pytest.raises(MessageTooLarge) as refused:
        parse_frame('{"action": "publish", "topic": "t", "data": "' + "x" * LIMIT + '"}', "publish", LIMIT)
    assert refused.value.status == 413 and str(LIMIT) in refused.value.message


def test_the_ping_action_exists_only_with_the_heartbeat():
    with pytest.raises(UnknownAction):
        parse_frame('{"action": "ping"}', "$default", LIMIT, heartbeat=False)


def test_a_frame_reaching_another_actions_route_is_refused():
    with pytest.raises(UnknownAction):
        parse_frame('{"action": "publish", "topic": "t", "data": 1}', "subscribe", LIMIT)


def test_the_message_frame_is_refused_when_its_envelope_makes_it_too_large():
    data = "x" * (LIMIT - 60)
    with pytest.raises(MessageTooLarge):
        message_frame("t", "0" * 32, data, LIMIT)
    assert len(message_frame("t", "0" * 32, "x" * (LIMIT - 100), LIMIT).encode()) <= LIMIT


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                    max_leaves=10))
def test_a_message_frame_carries_the_data_unchanged(data):
    assert json.loads(message_frame("t", "id1", data, LIMIT)) == {"type": "message", "topic": "t", "id": "id1",
                                                                    "data": data}


def test_reply_and_error_frames():
    assert json.loads(reply("subscribed", topic="t")) == {"type": "subscribed", "topic": "t"}
    assert json.loads(error_frame(UnknownAction("no action 'x'"))) == {
        "type": "error", "code": "unknown_action", "message": "no action 'x'"}
    assert json.loads(error_frame(HttpError("boom")))["code"] == "internal_error"


def test_topics_on_connect():
    assert connect_topics(None) == [] and connect_topics({}) == [] and connect_topics({"topics": ""}) == []
    assert connect_topics({"topics": "a, b,a"}) == ["a", "b"]
    with pytest.raises(InvalidInput):
        connect_topics({"topics": "a,,b"})
    with pytest.raises(InvalidInput):
        connect_topics({"topics": ",".join(f"t{i}" for i in range(MAX_CONNECT_TOPICS + 1))})
    with pytest.raises(InvalidInput):
        connect_topics({"topics": ["a", "b"]})
