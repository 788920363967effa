"""The @connections endpoint is the same deployed value on every target, and the configuration
refuses settings that would break the pattern."""

from __future__ import annotations

import pytest

from components.core.websocket_api import management_endpoint_of
from functions.common.websocket import management_endpoint
from functions.websockets.config import WebSocketsConfig

AWS_FORM = "https://abc123.execute-api.eu-west-1.amazonaws.com/ws"


def test_the_component_builds_the_aws_endpoint_from_the_execution_arn():
    assert management_endpoint_of("arn:aws:execute-api:eu-west-1:123456789012:abc123", "ws") == AWS_FORM


def test_the_endpoint_is_used_as_deployed_on_aws_and_derived_from_aws_endpoint_url_elsewhere():
    assert management_endpoint(AWS_FORM, {}) == AWS_FORM
    assert management_endpoint(AWS_FORM, {"AWS_ENDPOINT_URL": ""}) == AWS_FORM
    assert management_endpoint(AWS_FORM, {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566/"}) == \
        "http://127.0.0.1:4566/_aws/execute-api/abc123/ws"


def test_anything_but_an_execute_api_endpoint_is_refused():
    for wrong in ("", "http://127.0.0.1/_aws/execute-api/abc/ws", "https://example.com/ws"):
        with pytest.raises(ValueError, match="execute-api"):
            management_endpoint(wrong, {})


@pytest.mark.parametrize("settings", [{"max_message_bytes": 128 * 1024 + 1}, {"connection_ttl_seconds": 3600},
                                      {"chunk_size": 0}, {"max_attempts": 0}, {"sender_threads": 0}])
def test_the_configuration_refuses_what_would_break_the_pattern(settings):
    with pytest.raises(ValueError):
        WebSocketsConfig(connections_table="t", **settings)
