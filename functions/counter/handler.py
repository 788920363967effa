"""``POST /counters/{name}`` adds to a named counter atomically; ``GET /counters/{name}`` reads it.

Body (optional): ``{"increment": n}`` with 1 <= n <= ``max_increment`` (default 1). The name and
body are validated before DynamoDB is touched, so bad input increments nothing.
"""

from __future__ import annotations

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.rest import rest_resolver
from functions.common.validation import json_object, positive_int, validate_name
from functions.counter.config import CounterConfig

config = CounterConfig.from_environment()
logger = Logger(service="counter")
app = rest_resolver(logger)
table = boto3.resource("dynamodb").Table(config.table_name)


@app.post("/counters/<name>")
def increment(name: str) -> dict:
    validate_name(name, "counter name")
    body = json_object(app.current_event.body)
    by = positive_int(body, "increment", default=1, maximum=config.max_increment)
    result = table.update_item(
        Key={"name": name},
        UpdateExpression="ADD #value :by",
        ExpressionAttributeNames={"#value": "value"},
        ExpressionAttributeValues={":by": by},
        ReturnValues="UPDATED_NEW",
    )
    return {"name": name, "value": int(result["Attributes"]["value"])}


@app.get("/counters/<name>")
def read(name: str) -> dict:
    validate_name(name, "counter name")
    item = table.get_item(Key={"name": name}, ConsistentRead=True).get("Item") or {}
    return {"name": name, "value": int(item.get("value", 0))}


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
