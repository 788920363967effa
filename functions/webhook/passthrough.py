"""Benchmark baseline only: a pass-through receiver as in the public generic webhook-to-EventBridge
reference. Every request body is published as an event, with no signature check and no
de-duplication; never deploy it to take real traffic. It lives in this package so that it is
packaged exactly like the verifier (same archive and layer), and the benchmark compares only what
the handlers do."""

from __future__ import annotations

import json

import boto3

from functions.webhook.config import WebhookConfig

config = WebhookConfig.from_environment()
events = boto3.client("events")


def handler(event: dict, context: object) -> dict:
    source = (event.get("pathParameters") or {}).get("source", "unknown")
    response = events.put_events(Entries=[{
        "EventBusName": config.event_bus_name,
        "Source": f"passthrough.{source}",
        "DetailType": (event.get("headers") or {}).get("X-GitHub-Event", "webhook"),
        "Detail": json.dumps({"body": event.get("body") or ""}),
    }])
    status = 500 if response.get("FailedEntryCount") else 200
    print(json.dumps({"message": "published", "event_id": response["Entries"][0].get("EventId")}))  # one log line
    return {"statusCode": status, "body": json.dumps({"event_id": response["Entries"][0].get("EventId")})}
