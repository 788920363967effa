"""A demonstration bank: quotes ``BASE_RATE`` plus a little per year of term, after ``DELAY_SECONDS``,
or fails with ``FAILURE`` when set. The catalog deploys a few to show fast, slow and failing providers."""

from __future__ import annotations

import os
import time
from typing import Any

from functions.scatter_gather.provider import quote_provider

BANK_ID = os.environ["BANK_ID"]
BASE_RATE = float(os.environ["BASE_RATE"])
DELAY_SECONDS = float(os.environ.get("DELAY_SECONDS", "0"))
FAILURE = os.environ.get("FAILURE", "")


class BankUnavailable(RuntimeError):
    """The bank cannot quote right now."""


def quote(request: dict[str, Any]) -> dict[str, Any]:
    if DELAY_SECONDS:
        time.sleep(DELAY_SECONDS)
    if FAILURE:
        raise BankUnavailable(FAILURE)
    rate = round(BASE_RATE + 0.05 * (int(request["term"]) // 12), 3)
    return {"rate": rate}


handler = quote_provider(BANK_ID, quote)
