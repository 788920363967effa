"""Write a quote provider once, serve both variants: :func:`quote_provider` turns a pure
``quote(request) -> {"rate": ...}`` into a Lambda handler that

- invoked directly by the recipient-list state machine, returns the reply;
- fed by its queue (subscribed to the request topic), sends each reply to the request's ``replyTo``
  queue (the return address); a failing quote is a batch item failure, retried by SQS and then
  dead-lettered by the provider queue's redrive policy.

Examples
--------
>>> handler = quote_provider("bank-a", lambda request: {"rate": 4.2})
>>> handler({"correlationId": "0d6f...", "amount": 1000, "term": 12}, None)["rate"]
4.2
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

Quote = Callable[[dict[str, Any]], dict[str, Any]]


def quote_provider(provider_id: str, quote: Quote) -> Callable[[dict[str, Any], Any], Any]:
    def reply_to(request: dict[str, Any]) -> dict[str, Any]:
        return {**quote(request), "correlationId": request["correlationId"], "providerId": provider_id}

    def handler(event: dict[str, Any], context: Any) -> Any:
        if "Records" not in event:
            return reply_to(event)
        sqs = boto3.client("sqs")

        def answer(record: Any) -> None:
            request = json.loads(record.body)
            sqs.send_message(QueueUrl=request["replyTo"], MessageBody=json.dumps(reply_to(request)))

        return process_partial_response(event=event, record_handler=answer,
                                        processor=BatchProcessor(event_type=EventType.SQS), context=context)

    return handler
