"""The dispatcher's subscriptions API and its other entry points on the deployed catalog: bad input
refused with a 4xx and nothing stored, SSRF targets refused, disable / enable, secret rotation, events
from the bus, and the dispatcher delivering to this project's own ingress (``standard_webhooks``)."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from tests.e2e.webhook.support import Subscriber, current_secret
from tests.e2e.webhook_delivery.support import send, settled, verified

SSRF_TARGETS = ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/admin", "http://192.168.1.1/",
                "http://[::1]:8080/", "http://[::ffff:10.0.0.1]/", "http://100.64.0.1/", "http://0.0.0.0/"]
BAD_ENDPOINTS = {
    "malformed url": {"url": "http://exa mple.com/", "event_types": ["ping"]},
    "no host": {"url": "http:///path", "event_types": ["ping"]},
    "ftp": {"url": "ftp://example.com/", "event_types": ["ping"]},
    "credentials": {"url": "http://user:pw@127.0.0.1/", "event_types": ["ping"]},
    "bad port": {"url": "http://127.0.0.1:99999/", "event_types": ["ping"]},
    "unknown event type": {"url": "http://127.0.0.1:9/", "event_types": ["ping", "invoice.exploded"]},
    "no event types": {"url": "http://127.0.0.1:9/", "event_types": []},
    "event types not a list": {"url": "http://127.0.0.1:9/", "event_types": "ping"},
    "not a secret": {"url": "http://127.0.0.1:9/", "event_types": ["ping"], "secret": "hunter2"},
    "short secret": {"url": "http://127.0.0.1:9/", "event_types": ["ping"], "secret": "whsec_AAAA"},
    "unknown field": {"url": "http://127.0.0.1:9/", "event_types": ["ping"], "headers": {"x": "y"}},
    "url not a string": {"url": ["http://127.0.0.1:9/"], "event_types": ["ping"]},
    "huge description": {"url": "http://127.0.0.1:9/", "event_types": ["ping"], "description": "x" * 600},
}


def _all_endpoint_ids(http, base) -> set[str]:
    ids, after = set(), None
    while True:
        page = http.get(f"{base}/endpoints", params={"limit": 100, **({"after": after} if after else {})}).json()
        ids |= {e["id"] for e in page["endpoints"]}
        if not (after := page["next"]):
            return ids


@pytest.mark.parametrize("url", SSRF_TARGETS)
def test_an_endpoint_inside_the_network_is_refused(http, base, url):
    response = http.post(f"{base}/endpoints", json={"url": url, "event_types": ["ping"]})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_input" and "address" in response.json()["message"]


def test_bad_registrations_are_refused_with_the_reason_and_store_nothing(http, base):
    before = _all_endpoint_ids(http, base)
    for case, body in BAD_ENDPOINTS.items():
        response = http.post(f"{base}/endpoints", json=body)
        assert response.status_code == 400, f"{case}: {response.text}"
        assert response.json()["message"], case
    assert _all_endpoint_ids(http, base) == before


def test_unknown_ids_are_404_and_bad_messages_400(http, base):
    unknown = f"ep_{uuid.uuid4().hex}"
    for method, path, body in [("GET", f"/endpoints/{unknown}", None), ("PATCH", f"/endpoints/{unknown}",
                                                                        {"disabled": True}),
                               ("DELETE", f"/endpoints/{unknown}", None), ("GET", f"/endpoints/{unknown}/secret", None),
                               ("POST", f"/endpoints/{unknown}/secret/rotate", {}),
                               ("GET", f"/endpoints/{unknown}/attempts", None),
                               ("GET", f"/messages/msg_{uuid.uuid4().hex}", None),
                               ("POST", "/dead-letters/replay", {"endpoint_id": unknown})]:
        response = http.request(method, f"{base}{path}", json=body)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), f"{method} {path}"
    for body in [{"event_type": "invoice.exploded", "payload": {}}, {"event_type": "ping"},
                 {"event_type": "ping", "payload": {}, "id": "has spaces"}, {"event_type": 7, "payload": {}},
                 {"event_type": "ping", "payload": "x" * 140_000}]:
        response = http.post(f"{base}/messages", json=body)
        assert response.status_code == 400, f"{body}: {response.text}"


def test_a_disabled_endpoint_receives_nothing_until_enabled(http, base, receiver, register):
    endpoint = register(["customer.created"])
    disabled = http.patch(f"{base}/endpoints/{endpoint['id']}", json={"disabled": True})
    skipped = send(http, base, "customer.created")
    enabled = http.patch(f"{base}/endpoints/{endpoint['id']}", json={"disabled": False})
    delivered = send(http, base, "customer.created")

    assert (disabled.json()["disabled"], disabled.json()["disabled_reason"]) == (True, "disabled by its owner")
    assert (enabled.json()["disabled"], enabled.json()["disabled_reason"]) == (False, None)
    assert skipped["endpoints"] == 0 and delivered["endpoints"] == 1
    [request] = receiver.wait_for(endpoint["path"], 1)
    assert request.headers["webhook-id"] == delivered["id"]
    assert "secret" not in http.get(f"{base}/endpoints/{endpoint['id']}").json()


def test_after_a_rotation_both_secrets_sign_during_the_overlap(http, base, receiver, register):
    endpoint = register(["invoice.voided"])
    old = endpoint["secret"]
    rotation = http.post(f"{base}/endpoints/{endpoint['id']}/secret/rotate", json={"overlap_seconds": 300})
    assert rotation.status_code == 200, rotation.text
    new = rotation.json()["secret"]

    message = send(http, base, "invoice.voided")

    [request] = receiver.wait_for(endpoint["path"], 1)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verified(request, old) == verified(request, new)  # a receiver on either secret accepts it
    assert http.get(f"{base}/endpoints/{endpoint['id']}/secret").json()["secret"] == new
    settled(http, base, message["id"], endpoint["id"], "delivered")


def test_an_event_put_on_the_bus_is_delivered_with_the_event_id(outputs, receiver, register):
    endpoint = register(["invoice.voided"])
    events = boto3.client("events")
    entry = {"Source": "billing", "DetailType": "invoice.voided", "Detail": json.dumps({"invoice": "in_9"}),
             "EventBusName": outputs["bus_name"]}
    assert events.put_events(Entries=[entry, {**entry, "DetailType": "invoice.unknown"}])["FailedEntryCount"] == 0

    [request] = receiver.wait_for(endpoint["path"], 1)
    body = verified(request, endpoint["secret"])
    assert (body["type"], body["data"]) == ("invoice.voided", {"invoice": "in_9"})
    assert request.headers["webhook-id"]  # the event's id


def test_the_dispatcher_delivers_to_this_projects_own_ingress(http, base, catalog, api_url, register):
    ingress = catalog["webhook"]["ingress"]
    secret = current_secret(ingress, "standard").decode()
    endpoint = register(["invoice.paid"], url=f"{api_url(ingress['url'])}/webhooks/standard", secret=secret)

    message = send(http, base, "invoice.paid", {"invoice": "in_42"})

    settled(http, base, message["id"], endpoint["id"], "delivered")
    [event] = Subscriber(catalog["webhook"]["subscriber"]["events_queue_url"]).events(message["id"], settle=1)
    assert (event["source"], event["detail-type"]) == ("webhook.standard", "invoice.paid")
    assert event["detail"]["payload"]["data"] == {"invoice": "in_42"}
