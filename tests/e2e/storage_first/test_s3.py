"""The S3 route (``PutObject`` of the body as the object ``<request id>``, for large bodies), proven in
two halves where the emulator lacks API Gateway -> S3 integrations: the deployed route's template and
path mapping rendered for a real request, the object put with the integration's own role (it holds
exactly the bytes sent; the bucket's notification brings it to the consumer), the response template
over S3's answer (202 with the request id). The same through API Gateway runs where the target has it."""

from __future__ import annotations

import boto3
import pytest

from tests.e2e.storage_first.support import digest, json_request, route_of


def test_rendered_put_stores_the_bytes_sent_under_the_request_id_and_the_consumer_processes_it(client, outputs):
    route, account = route_of(outputs, "uploads")
    sent = b'{"document": "' + b"x" * (300 * 1024) + b'", "note": "caf\xc3\xa9"}'  # over SQS's 256 KB
    request = json_request("uploads", sent)

    bucket = outputs["target_bucket_names"]["uploads"]
    assert route.http_method == "PUT" and route.uri.endswith(f":s3:path/{bucket}/{{key}}")
    key = route.path_parameter("key", request)
    assert key == request.request_id
    body = route.rendered(request, account)
    assert body.encode() == sent

    route.session().client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode(),
                                            ContentType="application/json")
    assert route.response(request, account, 200, {}) == (202, {"id": key, "status": "accepted"})
    stored = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert stored == sent
    outcome = client.outcome("uploads", key, timeout=30)
    assert outcome["status"] == "processed" and outcome["body_sha256"] == digest(sent), outcome


def test_a_refusal_by_the_bucket_is_a_4xx_with_a_message(outputs):
    route, account = route_of(outputs, "uploads")
    request = json_request("uploads", b"{}")

    status, body = route.response(request, account, 403, {})

    assert (status, body["code"]) == (400, "invalid_input")


@pytest.mark.requires("apigateway-v1-service-integrations")
def test_through_api_gateway_202_with_the_request_id_and_processed(client):
    response = client.store("uploads", {"document": "y" * 400_000})

    assert response.status_code == 202, response.text
    assert client.outcome("uploads", response.json()["id"], timeout=30)["status"] == "processed"
