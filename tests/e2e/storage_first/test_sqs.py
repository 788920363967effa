"""The SQS route end to end through API Gateway (no Lambda in the request path): 202 with the stored
request's id, the stored bytes equal to those sent, API Gateway's own refusals before anything is
stored, and the consumer's outcome through the status route."""

from __future__ import annotations

import json

from tests.e2e.storage_first.support import digest


def test_valid_post_is_202_with_the_id_and_the_stored_bytes_are_those_sent(client):
    sent = b'{"sku": "A-1",  "quantity": 2, "note": "spaces  and \\"quotes\\" kept"}'

    response = client.store("orders", sent)

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted" and accepted["id"]
    outcome = client.outcome("orders", accepted["id"])
    assert outcome["status"] == "processed", outcome
    assert (outcome["body_sha256"], outcome["body_bytes"]) == (digest(sent), len(sent))
