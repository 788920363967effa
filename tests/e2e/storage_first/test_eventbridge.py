"""The EventBridge route (``PutEvents``), proven in two halves where the emulator lacks API Gateway ->
EventBridge integrations: the deployed route's template rendered by airspeed for a real request, the
rendered call made with the integration's own role against the emulator's EventBridge (the rule takes
the event to the consumer, which processes the body sent), and the response template over PutEvents'
answers (202 with the event id; a refused entry is a 5xx, never 200)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.storage_first.support import json_request, route_of


def test_rendered_request_publishes_the_body_and_the_consumer_processes_it(client, outputs):
    route, account = route_of(outputs, "events")
    sent = {"order": "o-1", "note": "it's \"quoted\" / café ✓", "lines": [1, 2]}
    request = json_request("events", json.dumps(sent, ensure_ascii=False).encode())

    call = route.service_request(request, account)
    [entry] = call["Entries"]
    assert entry["EventBusName"] == outputs["target_bus_names"]["events"]
    assert (entry["Source"], entry["DetailType"]) == ("storage-first.events", "events")
    assert json.loads(entry["Detail"]) == sent
    assert route.uri.endswith(":events:action/PutEvents")

    answer = route.session().client("events").put_events(**call)
    assert answer["FailedEntryCount"] == 0, answer
    event_id = answer["Entries"][0]["EventId"]
    assert route.response(request, account, 200, {"FailedEntryCount": 0, "Entries": answer["Entries"]}) == (
        202, {"id": event_id, "status": "accepted"})
    outcome = client.outcome("events", event_id, timeout=30)
    assert outcome["status"] == "processed"


def test_a_refused_entry_is_a_5xx_with_a_message_never_200(outputs):
    route, account = route_of(outputs, "events")
    request = json_request("events", b'{"x": 1}')

    status, body = route.response(request, account, 200, {"FailedEntryCount": 1, "Entries": [
        {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}]})

    assert (status, body["code"]) == (502, "unavailable"), body


@pytest.mark.requires("apigateway-v1-service-integrations")
def test_through_api_gateway_202_with_the_event_id_and_processed(client):
    response = client.store("events", {"order": "o-2"})

    assert response.status_code == 202, response.text
    assert client.outcome("events", response.json()["id"], timeout=30)["status"] == "processed"
