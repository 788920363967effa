"""Least privilege, enforced: each storage-first integration's role, assumed as API Gateway assumes it,
may make its one call on its one resource and is refused the other targets' calls (IAM is enforced in
the suite, so every role is also proven sufficient by the other tests)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.e2e.storage_first.support import route_of

pytestmark = pytest.mark.requires("iam-enforcement")

DENIED = {"AccessDeniedException", "AccessDenied", "AuthorizationError"}


def _calls(session, outputs):
    """One call per target, each only the role of that target may make (bodies that would be stored
    are never reached: every call here is expected to be refused)."""
    queue = outputs["target_queue_urls"]
    return {
        "orders": lambda: session.client("sqs").send_message(QueueUrl=queue["orders"], MessageBody="{}"),
        "events": lambda: session.client("events").put_events(Entries=[{
            "EventBusName": outputs["target_bus_names"]["events"], "Source": "probe", "DetailType": "probe",
            "Detail": json.dumps({"probe": True})}]),
        "payments": lambda: session.client("dynamodb").update_item(
            TableName=outputs["target_table_names"]["payments"], Key={"id": {"S": "probe"}},
            UpdateExpression="SET probe = :p", ExpressionAttributeValues={":p": {"S": "x"}}),
        "workflows": lambda: session.client("stepfunctions").start_execution(
            stateMachineArn=outputs["target_state_machine_arns"]["workflows"], input="{}"),
        "uploads": lambda: session.client("s3").put_object(Bucket=outputs["target_bucket_names"]["uploads"],
                                                           Key="probe", Body=b"{}"),
    }


@pytest.mark.parametrize("target", ["orders", "events", "payments", "workflows", "uploads"])
def test_an_integration_role_is_refused_every_other_targets_call(outputs, target):
    route, _ = route_of(outputs, target)
    session = route.session()
    for other, call in _calls(session, outputs).items():
        if other == target:
            continue
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] in DENIED, (target, other, refused.value.response["Error"])
