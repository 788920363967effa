"""The query API of the bank-accounts example, served from the read model only.

- ``GET /accounts/{id}?min_version=N`` -> 200 ``{"id", "owner", "balance", "version", "position"}`` once
  the read model has applied version N (read-your-writes: a client passes the version its command got;
  the query waits up to ``max_wait_seconds``), else 409 ``read_model_behind`` with the version it has
  and ``Retry-After``; 404 for an account the read model does not know (without ``min_version``).
- ``GET /projections/accounts`` -> the projection's checkpoint and the log's last position (its lag);
  404 for a projection this API does not have.
- ``POST /projections/accounts/rebuild`` -> empties the read model and replays the whole log into it.
"""

from __future__ import annotations

import time

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import Conflict, InvalidInput, NotFound
from functions.common.rest import rest_resolver
from functions.common.validation import validate_name
from functions.event_store.config import AccountsConfig
from functions.event_store.projection import CHECKPOINT, AccountsProjection
from functions.event_store.store import EventLog

config = AccountsConfig.from_environment()
logger = Logger(service="event-store-queries")
app = rest_resolver(logger)
dynamodb = boto3.client("dynamodb")
projection = AccountsProjection(config.read_model_table, dynamodb, boto3.client("sqs"), config.dlq_url)
log = EventLog(config.events_table, dynamodb, namespace=config.namespace)


class ReadModelBehind(Conflict):
    code = "read_model_behind"


def _min_version() -> int | None:
    raw = (app.current_event.query_string_parameters or {}).get("min_version")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 10**12:
        raise InvalidInput(f"'min_version' must be a whole number from 1, not {raw[:40]!r}")
    return int(raw)


@app.get("/accounts/<account_id>")
def account(account_id: str) -> dict:
    validate_name(account_id, "account id")
    wanted = _min_version()
    deadline = time.monotonic() + config.max_wait_seconds
    while True:
        item = projection.item(account_id)
        version = int(item["version"]["N"]) if item else 0
        if wanted is None or version >= wanted:
            break
        if time.monotonic() >= deadline:
            raise ReadModelBehind(f"the read model has account {account_id!r} at version {version}, not yet "
                                  f"{wanted}; retry shortly", headers={"Retry-After": "1"})
        time.sleep(0.1)
    if item is None:
        raise NotFound(f"no account {account_id!r} in the read model")
    return {"id": account_id, "owner": item.get("owner", {}).get("S", ""),
            "balance": int(item.get("balance", {}).get("N", 0)), "version": version,
            "position": int(item["position"]["N"]),
            "parked_versions": [int(v["N"]) for v in item.get("parked", {}).get("L", [])]}


def _projection(name: str) -> None:
    if name != "accounts":
        raise NotFound(f"no projection {name[:64]!r}: this API has 'accounts'")


@app.get("/projections/<name>")
def lag(name: str) -> dict:
    _projection(name)
    checkpoint = projection.item(CHECKPOINT)
    applied = int(checkpoint["position"]["N"]) if checkpoint else 0
    last = log.last_position() or 0
    return {"checkpoint": applied, "last_position": last, "behind": last - applied}


@app.post("/projections/<name>/rebuild")
def rebuild(name: str) -> dict:
    _projection(name)
    totals = projection.rebuild(log)
    logger.info("rebuilt", extra=totals)
    return {"rebuilt": True, **totals, "checkpoint": log.last_position() or 0}


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
