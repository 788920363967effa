"""The command API of the bank-accounts example: each command loads the account (snapshot + tail),
decides against its current state, and appends; a refused command appends nothing.

- ``POST /accounts`` ``{"owner", "id"?}`` -> 201 ``{"id", "version": 1, "position"}``; 409 if the id exists.
- ``POST /accounts/{id}/deposits`` and ``/withdrawals`` ``{"amount", "expected_version"?}`` -> 200
  ``{"id", "version", "balance", "position"}``; 404 unknown account; 409 ``insufficient_funds`` (no
  overdraft), 409 ``version_conflict`` (``expected_version`` is stale, or another command came first).
  An ``Idempotency-Key`` header makes a retry return the first answer's version and position.
"""

from __future__ import annotations

import uuid

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import InvalidInput, NotFound
from functions.common.rest import rest_resolver
from functions.common.validation import json_object, positive_int, validate_name
from functions.event_store import accounts
from functions.event_store.config import AccountsConfig
from functions.event_store.exceptions import VersionConflict
from functions.event_store.store import EventLog, NewEvent

config = AccountsConfig.from_environment()
logger = Logger(service="event-store-commands")
app = rest_resolver(logger)
log = EventLog(config.events_table, boto3.client("dynamodb"), namespace=config.namespace)
MAX_OWNER = 200


def _load(account_id: str) -> tuple[accounts.Account, int]:
    account, version = log.load(account_id, accounts.apply, accounts.Account(), encode=accounts.encode,
                                decode=accounts.decode, snapshot_every=config.snapshot_every)
    if not version:
        raise NotFound(f"no account {account_id!r}")
    return account, version


def _token(account_id: str) -> str | None:
    key = app.current_event.headers.get("Idempotency-Key") or app.current_event.headers.get("idempotency-key")
    if key is None:
        return None
    validate_name(key, "Idempotency-Key")
    return f"{account_id}:{key}"


@app.post("/accounts")
def open_account() -> Response:
    body = json_object(app.current_event.body, required=True)
    unknown = set(body) - {"owner", "id"}
    if unknown:
        raise InvalidInput(f"unknown field(s) {sorted(unknown)}: use 'owner' and optionally 'id'")
    owner = body.get("owner")
    if not isinstance(owner, str) or not owner.strip() or len(owner) > MAX_OWNER:
        raise InvalidInput(f"'owner' must be a non-empty string of at most {MAX_OWNER} characters")
    if "id" in body and not isinstance(body["id"], str):
        raise InvalidInput("'id' must be a string")
    account_id = validate_name(body["id"], "account id") if "id" in body else uuid.uuid4().hex
    try:
        [position] = log.append([accounts.opened(account_id, owner)], token=_token(account_id))
    except VersionConflict:
        raise VersionConflict(f"account {account_id!r} already exists") from None
    return Response(201, "application/json", {"id": account_id, "version": 1, "position": position})


def _change(account_id: str, decide) -> dict:
    validate_name(account_id, "account id")
    body = json_object(app.current_event.body, required=True)
    unknown = set(body) - {"amount", "expected_version"}
    if unknown:
        raise InvalidInput(f"unknown field(s) {sorted(unknown)}: use 'amount' and optionally 'expected_version'")
    amount = positive_int(body, "amount", maximum=config.max_amount)
    expected = positive_int(body, "expected_version") if "expected_version" in body else None
    account, version = _load(account_id)
    if expected is not None and expected != version:
        raise VersionConflict(f"account {account_id!r} is at version {version}, not {expected}; nothing was appended")
    event: NewEvent = decide(account_id, version, account, amount)
    [position] = log.append([event], token=_token(account_id))
    balance = account.balance + (amount if event.topic == "Deposited" else -amount)
    return {"id": account_id, "version": event.version, "balance": balance, "position": position}


@app.post("/accounts/<account_id>/deposits")
def deposit(account_id: str) -> dict:
    return _change(account_id, lambda i, v, _account, amount: accounts.deposited(i, v, amount))


@app.post("/accounts/<account_id>/withdrawals")
def withdraw(account_id: str) -> dict:
    return _change(account_id, accounts.withdrawn)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
