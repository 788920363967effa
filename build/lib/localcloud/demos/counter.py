"""Atomic counter demo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localcloud.demos import demo, exchange
from localcloud.target import reachable_url


@demo("counter")
def counter(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    base = reachable_url(outputs["url"], endpoint) + "/counters/demo"
    say("atomic counter: three increments, then one malformed body (refused, nothing added)")
    for body in (None, None, '{"increment": 10}', "{not json"):
        exchange(say, "POST", base, body)
    exchange(say, "GET", base)
