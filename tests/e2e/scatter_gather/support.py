"""Driving the scatter-gather variants from outside: request quotes over HTTP, wait for the aggregate."""

from __future__ import annotations

from typing import Any

from tests.e2e.support import wait_until

VARIANTS = ("pubsub", "recipient_list")
SMALL_LOAN = 50_000  # reaches bank-universal, bank-premium, bank-slow (slower than the deadline), bank-flaky
LARGE_LOAN = 2_000_000  # reaches bank-universal, bank-premium and the three jumbo banks, all healthy;
# bank-jumbo-3 answers a second after the others
SMALL_LOAN_BANKS = ["bank-flaky", "bank-premium", "bank-slow", "bank-universal"]
LARGE_LOAN_BANKS = ["bank-jumbo-1", "bank-jumbo-2", "bank-jumbo-3", "bank-premium", "bank-universal"]


def request_quotes(http, url: str, body: dict[str, Any]) -> str:
    response = http.post(f"{url}/quotes", json=body, timeout=60)
    assert response.status_code == 202, response.text
    return response.json()["correlationId"]


def aggregate(http, url: str, correlation_id: str) -> dict[str, Any]:
    response = http.get(f"{url}/quotes/{correlation_id}", timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def completed(http, url: str, correlation_id: str, timeout: float = 30) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        view = aggregate(http, url, correlation_id)
        return view if view["status"] == "complete" else None

    return wait_until(check, timeout, interval=0.2, what=f"aggregate {correlation_id} to complete")
