"""CQRS demo: open an account, deposit, a withdrawal that would overdraw (refused), then the read model
with read-your-writes (min_version)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localcloud.demos import demo, exchange
from localcloud.target import reachable_url


@demo("cqrs")
def cqrs(outputs: dict[str, Any], endpoint: str | None, say: Callable[[str], None]) -> None:
    base = reachable_url(outputs["url"], endpoint)
    say("bank accounts (CQRS on the event store): open, deposit 100, withdraw 150 (refused: no overdraft), "
        "then the read model at the deposit's version")
    opened = exchange(say, "POST", base + "/accounts", '{"owner": "ada"}')
    if opened.status_code != 201:
        return
    account = opened.json()["id"]
    deposited = exchange(say, "POST", f"{base}/accounts/{account}/deposits", '{"amount": 100}')
    exchange(say, "POST", f"{base}/accounts/{account}/withdrawals", '{"amount": 150}')
    exchange(say, "GET", f"{base}/accounts/{account}?min_version={deposited.json().get('version', 2)}")
