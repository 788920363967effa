"""A short live demonstration of each deployed pattern: what was sent, what came back.

One module per pattern in this package, each registering a function with ``@demo("<stack output>")``;
``make up`` runs them all against the freshly deployed catalog.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import requests

from localcloud.http import signed_session

Demo = Callable[[dict[str, Any], str | None, Callable[[str], None]], None]
DEMOS: dict[str, Demo] = {}


def demo(output_name: str) -> Callable[[Demo], Demo]:
    def register(fn: Demo) -> Demo:
        DEMOS[output_name] = fn
        return fn

    return register


def aws_client(service: str, endpoint: str | None) -> Any:
    """A boto3 client on the deployed target (the emulator takes any credentials)."""
    import boto3

    if endpoint:
        return boto3.client(service, endpoint_url=endpoint, aws_access_key_id="test",
                            aws_secret_access_key="test", region_name="us-east-1")
    return boto3.client(service)


def exchange(say: Callable[[str], None], method: str, url: str, body: str | None = None) -> requests.Response:
    response = signed_session().request(method, url, data=body, timeout=30)
    sent = f"{method} {url}" + (f"  body={body}" if body else "")
    say(f"  -> {sent}\n  <- {response.status_code} {response.text.strip()}")
    return response


def run_all(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None] = print) -> None:
    if endpoint:  # an emulator takes any credentials: sign with placeholders when the shell has none
        import boto3

        if boto3.session.Session().get_credentials() is None:
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from localcloud.demos import (  # noqa: F401  (each module registers its demo)
        counter,
        cqrs,
        event_store,
        priority,
        rate_limit,
        scatter_gather,
        sequence,
        sharding,
        storage_first,
        webhook,
        webhook_delivery,
        websockets,
    )

    for name, run in DEMOS.items():
        if name not in outputs:
            say(f"[{name}] not deployed; skipped")
            continue
        say(f"[{name}]")
        try:
            run(outputs[name], endpoint, say)
        except requests.RequestException as exc:
            say(f"  demo failed: {exc}")
