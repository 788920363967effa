"""The target is recognised from its health API, and each target's gaps are named: a fake health
endpoint per kind of emulator, served on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from localcloud.capabilities import identify, missing_capabilities
from localcloud.target import Target


@contextmanager
def health_server(routes: dict[str, dict]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(json.dumps(body or {}).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


LOCALSTACK = {"/_localstack/health": {"services": {"lambda": "running"}, "edition": "community", "version": "4.14.0"}}
MINISTACK = {"/_ministack/health": {"services": {}, "edition": "light", "auth": "enabled"},
             "/_localstack/health": {"services": {}, "edition": "light"}}  # MiniStack answers both


@pytest.mark.parametrize(("routes", "kind"), [(LOCALSTACK, "localstack"), (MINISTACK, "ministack"), ({}, "unknown")])
def test_the_target_is_recognised_from_its_health_api(routes, kind):
    with health_server(routes) as endpoint:
        assert identify(endpoint)[0] == kind


def test_localstack_community_gaps_are_named_with_its_version():
    with health_server(LOCALSTACK) as endpoint:
        gaps = missing_capabilities(Target("endpoint", endpoint))
    assert {"iam-enforcement", "apigateway-v2", "eventbridge-archive-replay", "sqs-esm-maximum-concurrency",
            "eventbridge-putevents-failure", "apigateway-sqs-raw-utf8-body"} <= set(gaps)
    assert gaps["eventbridge-archive-replay"].startswith("LocalStack 4.14.0 (community): StartReplay")
    assert "apigateway-v1-service-integrations" not in gaps  # LocalStack has them


def test_ministack_without_iam_enforcement_says_so():
    enforcing = missing_capabilities_for(MINISTACK)
    assert "iam-enforcement" not in enforcing and "apigateway-v1-service-integrations" in enforcing
    relaxed = {**MINISTACK, "/_ministack/health": {**MINISTACK["/_ministack/health"], "auth": "disabled"}}
    assert "iam-enforcement" in missing_capabilities_for(relaxed)


def test_real_aws_lacks_nothing():
    assert missing_capabilities(Target("aws")) == {}


def missing_capabilities_for(routes: dict[str, dict]) -> dict[str, str]:
    with health_server(routes) as endpoint:
        return missing_capabilities(Target("endpoint", endpoint))
