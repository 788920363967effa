"""The frames clients and the broadcast exchange, and their checks (pure: no AWS calls).

A client may subscribe when it connects: ``?token=...&topics=news,sport`` (up to 24 topics).

Client -> server, one JSON object per frame, routed by its ``action``::

    {"action": "subscribe", "topic": "news"}        -> {"type": "subscribed", "topic": "news"}
    {"action": "unsubscribe", "topic": "news"}      -> {"type": "unsubscribed", "topic": "news"}
    {"action": "publish", "topic": "news", "data": ...}
                                                    -> {"type": "published", "topic", "id", "recipients"}
    {"action": "ping"}                              -> {"type": "pong"}   (with the heartbeat)

Server -> subscribers: ``{"type": "message", "topic", "id", "data"}``, once per publish.
Anything refused: ``{"type": "error", "code", "message"}`` (the codes of ``docs/http-errors.md``);
the socket stays open.

Examples
--------
>>> parse_frame('{"action": "subscribe", "topic": "news"}', "subscribe", 1024)
Request(action='subscribe', topic='news', data=None)
>>> error_frame(UnknownAction("no action shout"))
'{"type":"error","code":"unknown_action","message":"no action shout"}'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from functions.common.errors import HttpError, InvalidInput
from functions.common.validation import validate_name
from functions.websockets.exceptions import MessageTooLarge, NotJson, UnknownAction

ACTIONS = ("subscribe", "unsubscribe", "publish", "ping")
TOPIC_ACTIONS = ("subscribe", "unsubscribe", "publish")
MAX_CONNECT_TOPICS = 24  # with the connection's own row, one BatchWriteItem


@dataclass(frozen=True)
class Request:
    """One client frame, checked: its action, its topic (topic actions), its data (publish)."""

    action: str
    topic: str | None = None
    data: Any = None


def compact(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def size_of(text: str) -> int:
    return len(text.encode("utf-8"))


def check_size(text: str, max_bytes: int, what: str) -> None:
    size = size_of(text)
    if size > max_bytes:
        raise MessageTooLarge(f"{what} is {size} bytes; the largest WebSocket message is {max_bytes} bytes")


def validate_topic(topic: Any) -> str:
    if not isinstance(topic, str):
        raise InvalidInput("'topic' is required: a name of 1-64 letters, digits, '_', '.' or '-'")
    return validate_name(topic, "topic")


def connect_topics(query: dict[str, Any] | None, max_topics: int = MAX_CONNECT_TOPICS) -> list[str]:
    """The topics a connect asks for (``?topics=a,b``), checked; none without the parameter."""
    raw = (query or {}).get("topics")
    if raw is None or raw == "":
        return []
    if not isinstance(raw, str):
        raise InvalidInput("'topics' must be one comma-separated list of topic names")
    topics = list(dict.fromkeys(validate_topic(t.strip()) for t in raw.split(",")))
    if len(topics) > max_topics:
        raise InvalidInput(f"a connect subscribes to at most {max_topics} topics; subscribe to more with frames")
    return topics


def parse_frame(body: str | None, route: str, max_bytes: int, heartbeat: bool = True) -> Request:
    """The frame a route received, checked in full (size, JSON, action, topic); ``route`` is the
    route key API Gateway chose (``$default`` when the frame named no known action)."""
    text = body or ""
    check_size(text, max_bytes, "the frame")
    try:
        document = json.loads(text)
    except RecursionError:
        raise NotJson("the frame is nested too deeply to parse") from None
    except ValueError as exc:
        raise NotJson(f"the frame is not JSON ({str(exc)[:100]}): send an object such as "
                      '{"action": "subscribe", "topic": "news"}') from None
    if not isinstance(document, dict):
        raise NotJson(f"the frame must be a JSON object, got {type(document).__name__}")
    action = document.get("action")
    known = ACTIONS if heartbeat else tuple(a for a in ACTIONS if a != "ping")
    if action not in known or (route != "$default" and route != action):
        raise UnknownAction(f"no action {action!r}: use one of {', '.join(known)}"
                            if isinstance(action, str) else f"'action' must name one of {', '.join(known)}")
    if action not in TOPIC_ACTIONS:
        return Request(action)
    topic = validate_topic(document.get("topic"))
    if action != "publish":
        return Request(action, topic)
    if "data" not in document:
        raise InvalidInput("'data' is required: what to send to the topic's subscribers (any JSON value)")
    return Request(action, topic, document["data"])


def message_frame(topic: str, message_id: str, data: Any, max_bytes: int) -> str:
    """The frame every subscriber receives; refused when it would exceed the message size limit."""
    frame = compact({"type": "message", "topic": topic, "id": message_id, "data": data})
    check_size(frame, max_bytes, "the message to send (with its envelope)")
    return frame


def reply(kind: str, **fields: Any) -> str:
    return compact({"type": kind, **fields})


def error_frame(error: HttpError) -> str:
    return compact({"type": "error", "code": error.code, "message": error.message})
