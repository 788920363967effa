"""The dispatcher's HTTP API (behind IAM by default: it is the owner's control plane).

- ``POST /endpoints`` ``{"url", "event_types", "description"?, "secret"?}`` -> 201 the endpoint and its
  ``secret`` (``whsec_...``; generated unless given). ``GET /endpoints`` (``?limit=&after=``) lists them.
- ``GET /endpoints/{id}``, ``PATCH /endpoints/{id}`` ``{"url"?, "event_types"?, "description"?,
  "disabled"?}`` (enabling also closes the circuit), ``DELETE /endpoints/{id}``.
- ``GET /endpoints/{id}/secret``; ``POST /endpoints/{id}/secret/rotate`` ``{"secret"?,
  "overlap_seconds"?}``: the previous secret keeps signing, beside the new one, for the overlap.
- ``GET /endpoints/{id}/attempts`` (``?limit=``): the endpoint's latest attempts.
- ``POST /messages`` ``{"event_type", "payload", "id"?}`` -> 202 ``{"id", "endpoints", "duplicate"}``.
- ``GET /messages/{id}``: the message, each endpoint's delivery and every attempt.
- ``POST /dead-letters/replay`` ``{"endpoint_id"?, "limit"?}``: re-send dead-lettered deliveries.
"""

from __future__ import annotations

import time

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import InvalidInput, NotFound
from functions.common.rest import rest_resolver
from functions.common.validation import json_object, positive_int
from functions.webhook_delivery.dispatcher import attempts_view, message_view
from functions.webhook_delivery.requests import (
    check_id,
    check_secret,
    new_id,
    new_secret,
    parse_endpoint,
    parse_message,
    parse_patch,
    public_view,
    refuse_unknown_fields,
    rotated,
)
from functions.webhook_delivery.runtime import dispatcher as build
from functions.webhook_delivery.store import CLOSED_CIRCUIT

config, dispatcher, logger = build("webhook-delivery-api")
store = dispatcher.store
app = rest_resolver(logger)
MAX_PAGE = 100


def _endpoint(endpoint_id: str) -> dict:
    found = store.endpoint(check_id(endpoint_id, "the endpoint id"))
    if found is None:
        raise NotFound(f"no endpoint {endpoint_id!r}")
    return found


def _query_int(name: str, default: int, maximum: int) -> int:
    raw = app.current_event.get_query_string_value(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise InvalidInput(f"{name!r} must be a whole number from 1 to {maximum}")
    return positive_int({name: int(raw)}, name, maximum=maximum)


@app.post("/endpoints")
def create_endpoint() -> Response:
    fields = parse_endpoint(json_object(app.current_event.body, required=True), config)
    endpoint = {"endpoint_id": new_id("ep"), "url": fields["url"], "event_types": fields["event_types"],
                "description": fields["description"], "disabled": False, "created_at": int(time.time()),
                "secrets": [{"key": fields["secret"], "expires_at": None}]}
    store.create_endpoint(endpoint)
    logger.info("endpoint registered", endpoint_id=endpoint["endpoint_id"], event_types=fields["event_types"])
    return Response(201, "application/json", {**public_view(endpoint), "secret": fields["secret"]})


@app.get("/endpoints")
def list_endpoints() -> dict:
    after = app.current_event.get_query_string_value("after")
    endpoints, cursor = store.list_endpoints(_query_int("limit", 50, MAX_PAGE),
                                             check_id(after, "'after'") if after else None)
    return {"endpoints": [public_view(e) for e in endpoints], "next": cursor}


@app.get("/endpoints/<endpoint_id>")
def get_endpoint(endpoint_id: str) -> dict:
    return public_view(_endpoint(endpoint_id))


@app.patch("/endpoints/<endpoint_id>")
def change_endpoint(endpoint_id: str) -> dict:
    changes = parse_patch(json_object(app.current_event.body, required=True), config)
    remove: tuple[str, ...] = ()
    if changes.get("disabled") is False:  # enabled again: a fresh start
        changes.update(CLOSED_CIRCUIT)
        remove = ("disabled_reason",)
    elif changes.get("disabled"):
        changes["disabled_reason"] = "disabled by its owner"
    updated = store.update_endpoint(check_id(endpoint_id, "the endpoint id"), changes, remove)
    if updated is None:
        raise NotFound(f"no endpoint {endpoint_id!r}")
    return public_view(updated)


@app.delete("/endpoints/<endpoint_id>")
def delete_endpoint(endpoint_id: str) -> Response:
    if not store.delete_endpoint(check_id(endpoint_id, "the endpoint id")):
        raise NotFound(f"no endpoint {endpoint_id!r}")
    return Response(204, "application/json", "")


@app.get("/endpoints/<endpoint_id>/secret")
def get_secret(endpoint_id: str) -> dict:
    return {"secret": _endpoint(endpoint_id)["secrets"][0]["key"]}


@app.post("/endpoints/<endpoint_id>/secret/rotate")
def rotate_secret(endpoint_id: str) -> dict:
    body = json_object(app.current_event.body)
    refuse_unknown_fields(body, {"secret", "overlap_seconds"})
    secret = check_secret(body["secret"]) if "secret" in body else new_secret()
    overlap = positive_int(body, "overlap_seconds", config.secret_overlap_seconds, maximum=7 * 24 * 3600)
    endpoint = _endpoint(endpoint_id)
    secrets = rotated(endpoint, secret, overlap, time.time())
    if store.update_endpoint(endpoint["endpoint_id"], {"secrets": secrets}) is None:
        raise NotFound(f"no endpoint {endpoint_id!r}")
    logger.info("secret rotated", endpoint_id=endpoint_id, signing_secrets=len(secrets))
    return {"secret": secret, "previous_expires_at": secrets[1]["expires_at"] if len(secrets) > 1 else None}


@app.get("/endpoints/<endpoint_id>/attempts")
def endpoint_attempts(endpoint_id: str) -> dict:
    limit = _query_int("limit", 50, MAX_PAGE)  # the whole request is checked before any read
    return {"attempts": attempts_view(store.endpoint_attempts(_endpoint(endpoint_id)["endpoint_id"], limit))}


@app.post("/messages")
def send_message() -> Response:
    body = json_object(app.current_event.body, max_bytes=config.max_payload_bytes + 1024, required=True)
    message_id, event_type, payload = parse_message(body, config)
    published = dispatcher.publish(message_id, event_type, payload)
    return Response(202, "application/json", published.to_document())


@app.get("/messages/<message_id>")
def get_message(message_id: str) -> dict:
    items = list(store.message_items(check_id(message_id, "the message id")))
    if not items:
        raise NotFound(f"no message {message_id!r}")
    return message_view(items)


@app.post("/dead-letters/replay")
def replay() -> dict:
    body = json_object(app.current_event.body)
    refuse_unknown_fields(body, {"endpoint_id", "limit"})
    endpoint_id = check_id(body["endpoint_id"], "'endpoint_id'") if "endpoint_id" in body else None
    replayed = dispatcher.replay(endpoint_id, positive_int(body, "limit", 100, maximum=1000))
    return {"replayed": len(replayed), "deliveries": replayed}


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
