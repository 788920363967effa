"""``POST /quotes`` scatters a quote request; ``GET /quotes/{correlationId}`` reads its aggregate.

The request is validated first (bad input: 400, nothing written or published). Then the aggregate
is opened with its deadline (``deadlineSeconds`` or the default), and only then is the request sent
out, so no reply can arrive before its aggregate:

- ``MODE=pubsub``: the providers that quote for the amount are looked up (to know how many replies
  to expect), a deadline timer execution is started, and the request is published to the topic
  with the amount as a message attribute (providers' filter policies select on it);
- ``MODE=recipient-list``: the broker state machine is started; it looks up the recipients itself.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.errors import NotFound
from functions.common.rest import rest_resolver
from functions.scatter_gather.config import ScatterGatherConfig
from functions.scatter_gather.messages import parse_quote_request, validate_correlation_id
from functions.scatter_gather.registry import providers_for
from functions.scatter_gather.store import AggregateStore, public_view

config = ScatterGatherConfig.from_environment()
logger = Logger(service="scatter-gather")
app = rest_resolver(logger)
dynamodb = boto3.resource("dynamodb")
store = AggregateStore(dynamodb.Table(config.aggregates_table), boto3.client("events"), config.event_bus)
sfn = boto3.client("stepfunctions")
sns = boto3.client("sns")


@contextlib.contextmanager
def _undone_on_failure(correlation_id: str) -> Iterator[None]:
    """If the request cannot be sent out (a service throttled or failed), take back what was done,
    so the caller's retry (503) starts clean: stop the deadline timer, remove the aggregate."""
    try:
        yield
    except Exception:
        execution_arn = f"{config.state_machine_arn or ''}:{correlation_id}".replace(":stateMachine:", ":execution:")
        with contextlib.suppress(Exception):  # not started, or already gone: nothing to stop
            sfn.stop_execution(executionArn=execution_arn, cause="the request could not be sent out")
        store.discard(correlation_id)
        raise


@app.post("/quotes")
def request_quotes() -> Response:
    request = parse_quote_request(app.current_event.body, config.deadline_seconds, config.max_deadline_seconds)
    correlation_id = str(uuid.uuid4())
    deadline = time.time() + request.deadline_seconds
    message = request.to_message(correlation_id)
    deadline_at = datetime.fromtimestamp(deadline, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if config.mode == "pubsub":
        providers = [p["providerId"] for p in providers_for(dynamodb.Table(config.registry_table), request.amount)]
        store.open(correlation_id, message, request.strategy.to_dict(), deadline, providers)
        with _undone_on_failure(correlation_id):
            if providers:
                sfn.start_execution(stateMachineArn=config.state_machine_arn, name=correlation_id,
                                    input=json.dumps({"correlationId": correlation_id, "deadlineAt": deadline_at}))
                sns.publish(
                    TopicArn=config.topic_arn,
                    Message=json.dumps({**message, "replyTo": config.reply_queue_url}),
                    MessageAttributes={"amount": {"DataType": "Number", "StringValue": repr(request.amount)}},
                )
        asked: int | None = len(providers)
    else:
        store.open(correlation_id, message, request.strategy.to_dict(), deadline, None)
        with _undone_on_failure(correlation_id):
            sfn.start_execution(stateMachineArn=config.state_machine_arn, name=correlation_id,
                                input=json.dumps({**message, "deadlineAt": deadline_at}))
        asked = None
    logger.info("scattered", extra={"correlation_id": correlation_id, "providers": asked})
    body = {"correlationId": correlation_id, "status": "open", "deadline": deadline, "providers": asked}
    return Response(202, "application/json", json.dumps(body), headers={"Location": f"/quotes/{correlation_id}"})


@app.get("/quotes/<correlation_id>")
def read_aggregate(correlation_id: str) -> dict:
    correlation_id = validate_correlation_id(correlation_id)
    item = store.get(correlation_id)
    if item is None:
        raise NotFound(f"no quote request {correlation_id}")
    return public_view(item)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
