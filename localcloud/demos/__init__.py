"""A short live demonstration of each deployed pattern: what was sent, what came back.

One module per pattern in this package, each registering a function with ``@demo("<stack output>")``;
``make up`` runs them all against the freshly deployed catalog.
"""

from __future__ import annotations

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


def exchange(say: Callable[[str], None], method: str, url: str, body: str | None = None) -> requests.Response:
    response = signed_session().request(method, url, data=body, timeout=30)
    sent = f"{method} {url}" + (f"  body={body}" if body else "")
    say(f"  -> {sent}\n  <- {response.status_code} {response.text.strip()}")
    return response


def run_all(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None] = print) -> None:
    from localcloud.demos import (  # noqa: F401  (each module registers its demo)
        counter,
        priority,
        rate_limit,
        scatter_gather,
        sequence,
        sharding,
        webhook,
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
