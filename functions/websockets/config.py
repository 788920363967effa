"""What the WebSocket broadcast's functions receive from ``WebSocketBroadcast`` (see
:mod:`functions.common.config`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from functions.common.config import HandoffConfig

AWS_MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway WebSocket message (and PostToConnection data) limit
AWS_MAX_CONNECTION_SECONDS = 2 * 3600  # API Gateway closes every connection after 2 hours


@dataclass(frozen=True, kw_only=True)
class WebSocketsConfig(HandoffConfig):
    """connections_table: connection rows and their subscriptions; topic_index: its index by topic.
    deliveries_queue_url: where publishes are fanned out, ``chunk_size`` connections per message.
    management_endpoint: the API's @connections endpoint (AWS form; see
    :mod:`functions.common.websocket`). token_secret_arn: the secret that signs connect tokens.
    max_message_bytes: the largest frame sent or received. connection_ttl_seconds: how long a row
    outlives its connection's start (DynamoDB TTL removes rows whose $disconnect never came).
    max_attempts / retry_delay_seconds: a delivery to a connection that fails otherwise than gone is
    retried this often, this far apart, then sent to ``dlq_url``. sender_threads: PostToConnection
    calls in flight per worker. heartbeat: answer ``{"action": "ping"}`` with a pong frame.
    """

    VARIABLE: ClassVar[str] = "WEBSOCKETS_CONFIG"

    connections_table: str
    topic_index: str = "by-topic"
    deliveries_queue_url: str = ""
    dlq_url: str = ""
    management_endpoint: str = ""
    token_secret_arn: str = ""
    max_message_bytes: int = AWS_MAX_MESSAGE_BYTES
    connection_ttl_seconds: int = AWS_MAX_CONNECTION_SECONDS + 600
    chunk_size: int = 50
    max_attempts: int = 3
    retry_delay_seconds: int = 1
    sender_threads: int = 8
    heartbeat: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.max_message_bytes <= AWS_MAX_MESSAGE_BYTES:
            raise ValueError(f"max_message_bytes must be 1..{AWS_MAX_MESSAGE_BYTES}")
        if self.connection_ttl_seconds < AWS_MAX_CONNECTION_SECONDS:
            raise ValueError(f"connection_ttl_seconds must be at least {AWS_MAX_CONNECTION_SECONDS} (a connection's "
                             "longest life): a shorter TTL would forget live connections")
        if not 1 <= self.chunk_size <= 500 or self.max_attempts < 1 or self.retry_delay_seconds < 0:
            raise ValueError("chunk_size must be 1..500, max_attempts at least 1, retry_delay_seconds at least 0")
        if not 1 <= self.sender_threads <= 64:
            raise ValueError("sender_threads must be 1..64")
