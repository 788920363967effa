"""What the WebSocket broadcast refuses, each with the catalog's error codes
(``docs/http-errors.md``); on a socket they become error frames (:mod:`functions.websockets.protocol`)."""

from __future__ import annotations

from functions.common.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge


class WebSocketError(Exception):
    """Base of the WebSocket broadcast's own refusals."""


class NotJson(WebSocketError, InvalidInput):
    """A frame that is not a JSON object."""

    code = "invalid_json"


class UnknownAction(WebSocketError, InvalidInput):
    """A frame whose ``action`` no route serves."""

    code = "unknown_action"


class MessageTooLarge(WebSocketError, PayloadTooLarge):
    """A frame (received or to be sent) above the message size limit (128 KB on AWS)."""


class UnknownConnection(WebSocketError, NotFound):
    """The connection has no row (it disconnected, or its row expired)."""

    code = "unknown_connection"


class InvalidToken(WebSocketError, Forbidden):
    """A connect token that is malformed, badly signed or expired."""

    code = "invalid_token"
