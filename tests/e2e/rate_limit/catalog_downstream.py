"""The downstream of the test catalog's inbound buffer (never part of the library): a fragile service
that records, in its observations table, how many calls it is in at once (the peak) and how many times
each request reached it. The catalog bundles this file into the buffer's worker as ``catalog_downstream``.

Payload hooks: ``work_ms`` (sleep this long, at most 2 s), ``fail`` (raise with this message: a poison
request, which ends in the DLQ).
"""

from __future__ import annotations

import time
from typing import Any

import boto3

from functions.rate_limit.buffer import Request

_table = None


class DownstreamRefused(RuntimeError):
    """The request asked to fail (test hook)."""


def _observations(request: Request) -> Any:
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(request.settings["observations_table"])
    return _table


def call(request: Request) -> dict[str, Any]:
    table = _observations(request)
    if "fail" in request.payload:
        raise DownstreamRefused(str(request.payload["fail"]))
    inside = int(table.update_item(Key={"id": "in-flight"}, UpdateExpression="ADD #n :one",
                                   ExpressionAttributeNames={"#n": "n"}, ExpressionAttributeValues={":one": 1},
                                   ReturnValues="UPDATED_NEW")["Attributes"]["n"])
    try:
        try:
            table.update_item(Key={"id": "peak"}, UpdateExpression="SET #n = :n",
                              ConditionExpression="attribute_not_exists(#n) OR #n < :n",
                              ExpressionAttributeNames={"#n": "n"}, ExpressionAttributeValues={":n": inside})
        except table.meta.client.exceptions.ConditionalCheckFailedException:
            pass
        table.update_item(Key={"id": f"calls#{request.id}"}, UpdateExpression="ADD #n :one",
                          ExpressionAttributeNames={"#n": "n"}, ExpressionAttributeValues={":one": 1})
        time.sleep(min(max(int(request.payload.get("work_ms", 0)), 0), 2000) / 1000)
    finally:
        table.update_item(Key={"id": "in-flight"}, UpdateExpression="ADD #n :minus",
                          ExpressionAttributeNames={"#n": "n"}, ExpressionAttributeValues={":minus": -1})
    return {"calls_in_flight_seen": inside}
