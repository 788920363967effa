"""Publishing to a topic: the frame checked against the size limit, the topic's subscribers read
from the index, and deliveries of ``chunk_size`` connections sent to the deliveries queue, where
sender workers push them in parallel. Shared by the socket's ``publish`` action and the backend's
``POST /topics/{topic}/messages``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from functions.common.queues import send_each
from functions.websockets.config import WebSocketsConfig
from functions.websockets.fanout import deliveries
from functions.websockets.protocol import message_frame
from functions.websockets.store import ConnectionStore


@dataclass(frozen=True)
class Published:
    topic: str
    id: str
    recipients: int
    deliveries: int

    def to_document(self) -> dict[str, Any]:
        return {"topic": self.topic, "id": self.id, "recipients": self.recipients, "deliveries": self.deliveries}


class Broadcaster:
    def __init__(self, config: WebSocketsConfig, store: ConnectionStore, sqs: Any) -> None:
        self.config, self.store, self.sqs = config, store, sqs

    def publish(self, topic: str, data: Any, message_id: str | None = None) -> Published:
        """Fan ``data`` out to ``topic``'s subscribers; refused (nothing sent) when too large."""
        message_id = message_id or uuid.uuid4().hex
        frame = message_frame(topic, message_id, data, self.config.max_message_bytes)
        planned = deliveries(topic, message_id, frame, self.store.subscribers(topic), self.config.chunk_size)
        send_each(self.sqs, self.config.deliveries_queue_url, [delivery.to_body() for delivery in planned])
        recipients = sum(len(d.connections) for d in planned)
        return Published(topic, message_id, recipients, len(planned))
