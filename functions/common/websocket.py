"""Reaching the @connections management API of a WebSocket API, the same way on every target.

A component hands its functions the AWS form of the endpoint,
``https://<api>.execute-api.<region>.amazonaws.com/<stage>``. Where ``AWS_ENDPOINT_URL`` is set (an
emulator), the same API answers at ``<AWS_ENDPOINT_URL>/_aws/execute-api/<api>/<stage>``: the
endpoint is derived from it at run time, so the deployed configuration does not depend on the target.

Examples
--------
>>> management_endpoint("https://abc123.execute-api.eu-west-1.amazonaws.com/ws", {})
'https://abc123.execute-api.eu-west-1.amazonaws.com/ws'
>>> management_endpoint("https://abc123.execute-api.eu-west-1.amazonaws.com/ws",
...                     {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566/"})
'http://127.0.0.1:4566/_aws/execute-api/abc123/ws'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

_AWS_ENDPOINT = re.compile(r"^https://(?P<api>[a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/(?P<stage>[^/]+)/?$")


def management_endpoint(configured: str, environ: Mapping[str, str] | None = None) -> str:
    """The @connections endpoint to call: ``configured`` (AWS form), or its emulator form when
    ``AWS_ENDPOINT_URL`` is set."""
    environ = os.environ if environ is None else environ
    match = _AWS_ENDPOINT.match(configured)
    if match is None:
        raise ValueError(f"not an execute-api endpoint https://<api>.execute-api.<region>.amazonaws.com/<stage>: "
                         f"{configured!r}")
    override = (environ.get("AWS_ENDPOINT_URL") or "").rstrip("/")
    if not override:
        return configured.rstrip("/")
    return f"{override}/_aws/execute-api/{match['api']}/{match['stage']}"


def connections_client(configured: str, **kwargs: Any) -> Any:
    """A boto3 ``apigatewaymanagementapi`` client for the API's @connections endpoint."""
    import boto3

    return boto3.client("apigatewaymanagementapi", endpoint_url=management_endpoint(configured), **kwargs)
