"""A short live demonstration of each deployed pattern: what was sent, what came back.

One function per pattern, keyed by the stack output it reads. ``make up`` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from localcloud.target import reachable_url

Demo = Callable[[dict[str, Any], str | None, Callable[[str], None]], None]
DEMOS: dict[str, Demo] = {}


def demo(output_name: str) -> Callable[[Demo], Demo]:
    def register(fn: Demo) -> Demo:
        DEMOS[output_name] = fn
        return fn

    return register


def _exchange(say: Callable[[str], None], method: str, url: str, body: str | None = None) -> requests.Response:
    response = requests.request(method, url, data=body, timeout=30)
    sent = f"{method} {url}" + (f"  body={body}" if body else "")
    say(f"  -> {sent}\n  <- {response.status_code} {response.text.strip()}")
    return response


@demo("counter")
def counter(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    base = reachable_url(outputs["url"], endpoint) + "/counters/demo"
    say("atomic counter: three increments, then one malformed body (refused, nothing added)")
    for body in (None, None, '{"increment": 10}', "{not json"):
        _exchange(say, "POST", base, body)
    _exchange(say, "GET", base)


def run_all(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None] = print) -> None:
    for name, run in DEMOS.items():
        if name not in outputs:
            say(f"[{name}] not deployed; skipped")
            continue
        say(f"[{name}]")
        try:
            run(outputs[name], endpoint, say)
        except requests.RequestException as exc:
            say(f"  demo failed: {exc}")
