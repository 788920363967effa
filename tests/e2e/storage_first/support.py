"""Helpers of the storage-first e2e tests: a signed client for the routes, and the outcomes consumers record."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import requests

from functions.storage_first.config import StorageFirstConfig
from tests.e2e.support import api_id_of, environment_of, peek_all, set_environment, wait_until
from tests.gateway_templates import Request as GatewayRequest
from tests.gateway_templates import Route

JSON = {"Content-Type": "application/json"}


@dataclass
class Client:
    url: str
    http: requests.Session
    outputs: dict[str, Any]

    def store(self, target: str, body: bytes | str | dict, key: str | None = None,
              headers: dict[str, str] | None = None) -> requests.Response:
        """``POST /<target>`` with ``body`` sent as these exact bytes (a dict as compact JSON)."""
        data = json.dumps(body, separators=(",", ":")).encode() if isinstance(body, dict) else body
        sent = {**JSON, **({"Idempotency-Key": key} if key else {}), **(headers or {})}
        return self.http.post(f"{self.url}/{target}", data=data, headers=sent, timeout=30)

    def status(self, target: str, request_id: str) -> requests.Response:
        return self.http.get(f"{self.url}/{target}/{request_id}", timeout=30)

    def outcome(self, target: str, request_id: str, timeout: float = 20, settled: tuple[str, ...] = (
            "processed", "dead_lettered")) -> dict[str, Any]:
        """The request's recorded outcome once it is one of ``settled``."""
        def settled_outcome() -> dict[str, Any] | None:
            response = self.status(target, request_id)
            found = response.json() if response.status_code == 200 else None
            return found if found and found["status"] in settled else None
        return wait_until(settled_outcome, timeout, what=f"{target}/{request_id} to be settled")

    def outcomes(self, target: str, ids: list[str]) -> dict[str, str]:
        """id -> status of those recorded (read from the status table, 100 at a time)."""
        dynamodb = boto3.client("dynamodb")
        found: dict[str, str] = {}
        for start in range(0, len(ids), 100):
            keys = [{"id": {"S": f"{target}/{i}"}} for i in ids[start:start + 100]]
            request = {self.outputs["status_table_name"]: {"Keys": keys, "ConsistentRead": True}}
            while request:
                reply = dynamodb.batch_get_item(RequestItems=request)
                for item in reply["Responses"].get(self.outputs["status_table_name"], []):
                    found[item["id"]["S"].split("/", 1)[1]] = item["status"]["S"]
                request = reply.get("UnprocessedKeys") or {}
        return found


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unique_key() -> str:
    return f"key-{uuid.uuid4().hex}"


def dead_letters(queue_url: str) -> dict[str, dict[str, Any]]:
    """Requests parked in a DLQ by their consumer, by request id: body and attributes (left in place)."""
    found = {}
    for message in peek_all(queue_url):
        attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
        if "request-id" in attributes:
            found[attributes["request-id"]] = {"body": message["Body"], **attributes}
    return found


@contextlib.contextmanager
def downstream_down(function_name: str) -> Iterator[None]:
    """Make ``function_name``'s processor fail every request (the catalog processor's ``outage``), as a
    downstream that is down would, then restore its configuration."""
    variables = environment_of(function_name)
    config = StorageFirstConfig.from_environment(variables)
    down = dataclasses.replace(config, processor="catalog_processor.outage")
    set_environment(function_name, {**variables, StorageFirstConfig.VARIABLE: down.to_json()})
    try:
        yield
    finally:
        set_environment(function_name, variables)


def route_of(outputs: dict[str, Any], target: str) -> tuple[Route, str]:
    """The deployed ``POST /<target>`` integration, and the account it runs in."""
    account = boto3.client("sts").get_caller_identity()["Account"]
    return Route.read(api_id_of(outputs["url"]), "POST", f"/{target}"), account


def json_request(target: str, body: bytes, key: str | None = None) -> GatewayRequest:
    """What API Gateway receives for ``POST /<target>`` sent by the client with these bytes."""
    headers = {"Content-Type": "application/json", "User-Agent": "python-requests"}
    if key:
        headers["Idempotency-Key"] = key
    return GatewayRequest("POST", f"/{target}", body, headers)
