"""What every pattern's e2e tests share: polling for asynchronous outcomes, and the catalog's routes."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float, interval: float = 0.5, what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


API_ID = re.compile(r"^https://(?P<api>[a-z0-9]+)\.execute-api\.|/_aws/execute-api/(?P<local>[a-z0-9]+)/")


def api_id_of(url: str) -> str:
    """The REST API id in an exported (AWS-style) or emulator (path-style) invoke URL."""
    match = API_ID.search(url)
    assert match, f"cannot tell the API id of {url}"
    return match["api"] or match["local"]


def exported_urls(outputs: Any) -> list[str]:
    if isinstance(outputs, dict):
        return [u for key, value in outputs.items()
                for u in ([value] if key == "url" and isinstance(value, str) else exported_urls(value))]
    return []


def catalog_routes(catalog: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(exported API URL, method, path template) for every method of every deployed API."""
    apigateway = boto3.client("apigateway")
    found = []
    for url in exported_urls(catalog):
        api_id = api_id_of(url)
        for resource in apigateway.get_resources(restApiId=api_id, limit=500)["items"]:
            for method in resource.get("resourceMethods") or {}:
                found.append((url, method, resource["path"]))
    return found


def set_environment(function_name: str, variables: dict[str, str], timeout: float = 30) -> None:
    """Replace a deployed function's environment and wait until the update is applied (polled every
    tenth of a second: boto3's own waiter sleeps five seconds between looks)."""
    lam = boto3.client("lambda")
    lam.update_function_configuration(FunctionName=function_name, Environment={"Variables": variables})
    wait_until(lambda: lam.get_function_configuration(FunctionName=function_name).get("LastUpdateStatus")
               in ("Successful", None), timeout, interval=0.1, what=f"{function_name} to be updated")


def environment_of(function_name: str) -> dict[str, str]:
    config = boto3.client("lambda").get_function_configuration(FunctionName=function_name)
    return dict((config.get("Environment") or {}).get("Variables", {}))


def peek_all(queue_url: str) -> list[dict]:
    """Every visible message of a queue with its attributes, then left visible for other readers.

    Reads until the queue answers empty, hiding what it read meanwhile: one receive returns at most
    ten, and always the same ten while they stay visible."""
    sqs = boto3.client("sqs")
    seen: list[dict] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                       MessageAttributeNames=["All"], VisibilityTimeout=30).get("Messages", []):
        seen.extend(batch)
    for start in range(0, len(seen), 10):
        sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(seen[start:start + 10])])
    return seen
