"""Fault injection for the e2e tests: microburst (a protocol-aware AWS fault proxy, from PyPI) between
the deployed functions and the emulator's AWS APIs.

The proxy runs in this process on a free loopback port and forwards to the emulator. A function is
routed through it by giving it ``AWS_ENDPOINT_URL`` (an AWS SDK reads it), and back by restoring
its environment. Rules say which calls fail, how, and how often: throttling, 5xx, latency, on
DynamoDB, SQS, EventBridge or Step Functions, per operation, with a probability.

The proxy keeps the request's ``Host`` header: the emulator checks the functions' SigV4 signatures
(IAM enforcement on), and a signature covers the host it was made for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from aiohttp import web
from microburst.app import make_app
from microburst.core.pipeline import Microburst

from tests.e2e.support import environment_of, set_environment

RULE_KEYS = {"service", "operation", "resource", "probability", "times", "error", "latency"}
SERVICES = {"dynamodb", "sqs", "events", "stepfunctions", "sns", "secretsmanager"}


def throttle(service: str, operation: str, probability: float = 1.0, code: str = "ThrottlingException",
             times: int | None = None) -> dict:
    """A rule: ``operation`` answers a throttling error with ``probability`` (status 400, as AWS does;
    SQS's throttling is sent as 429 so the SDK retries it); with ``times``, only that many times."""
    status = 429 if service == "sqs" else 400
    rule = {"service": service, "operation": operation, "probability": probability,
            "error": {"code": code, "status": status, "message": "injected throttling"}}
    return {**rule, "times": times} if times is not None else rule


def server_error(service: str, operation: str, probability: float = 1.0, code: str = "InternalServerError",
                 times: int | None = None) -> dict:
    rule = {"service": service, "operation": operation, "probability": probability,
            "error": {"code": code, "status": 500, "message": "injected failure"}}
    return {**rule, "times": times} if times is not None else rule


def latency(service: str, operation: str, milliseconds: int, probability: float = 1.0) -> dict:
    return {"service": service, "operation": operation, "probability": probability, "latency": milliseconds}


class FaultProxy:
    """microburst in a background thread; ``rules(...)`` sets what fails, ``fired()`` counts what did."""

    def __init__(self, upstream: str) -> None:
        self._microburst = Microburst(upstream)
        forwarder = self._microburst.upstream
        outbound = forwarder._outbound_headers

        def keep_host(request: Any) -> dict[str, str]:
            headers = outbound(request)
            headers["host"] = request.headers.get("Host", headers["host"])
            return headers

        forwarder._outbound_headers = keep_host  # the signature covers the host the caller signed for
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0
        ready = threading.Event()

        async def start() -> None:
            self._runner = web.AppRunner(make_app(self._microburst))
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()

        def run() -> None:
            self._loop.run_until_complete(start())
            self._loop.run_forever()

        threading.Thread(target=run, name="fault-proxy", daemon=True).start()
        if not ready.wait(15):
            raise RuntimeError("the fault proxy did not start")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rules(self, rules: Sequence[dict]) -> None:
        """Replace the rules (validated: microburst silently drops keys it does not know)."""
        for rule in rules:
            unknown = set(rule) - RULE_KEYS
            if unknown or rule.get("service") not in SERVICES:
                raise ValueError(f"bad fault rule {rule}: unknown keys {unknown} or service")
        self._microburst.engine.set_rules([dict(rule) for rule in rules])
        self._microburst.fired.clear()

    def fired(self) -> Counter[tuple[str, str]]:
        """How many faults fired, by (service, operation), since the rules were set."""
        return Counter((event.service, event.operation) for event in list(self._microburst.fired))

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)


@contextlib.contextmanager
def routed_through(proxy: FaultProxy, function_names: Sequence[str]) -> Iterator[None]:
    """The functions make their AWS calls through ``proxy`` inside the block; their environment is
    restored after it (new invocations start with a fresh environment)."""
    saved: dict[str, dict[str, str]] = {}
    try:
        for name in function_names:
            saved[name] = environment_of(name)
            set_environment(name, {**saved[name], "AWS_ENDPOINT_URL": proxy.endpoint})
        yield
    finally:
        proxy.rules([])
        for name, variables in saved.items():
            set_environment(name, variables)


def describe(fired: Counter[tuple[str, str]]) -> str:
    return json.dumps({f"{service}:{operation}": count for (service, operation), count in sorted(fired.items())})
