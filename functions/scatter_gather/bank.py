"""A demonstration bank: quotes its base rate plus a little per year of term, after its delay, or
fails with its failure message when it has one (:class:`BankConfig`). The catalog deploys a few to
show fast, slow and failing providers."""

from __future__ import annotations

import time
from typing import Any

from functions.scatter_gather.config import BankConfig
from functions.scatter_gather.provider import quote_provider

config = BankConfig.from_environment()


class BankUnavailable(RuntimeError):
    """The bank cannot quote right now."""


def quote(request: dict[str, Any]) -> dict[str, Any]:
    if config.delay_seconds:
        time.sleep(config.delay_seconds)
    if config.failure:
        raise BankUnavailable(config.failure)
    rate = round(config.base_rate + 0.05 * (int(request["term"]) // 12), 3)
    return {"rate": rate}


handler = quote_provider(config.bank_id, quote)
