"""Scatter-gather under real concurrency: 32 simultaneous requests to 5 banks each (publish-subscribe,
where replies race into one aggregator), 15 for the recipient list (whose broker records each reply in
its own task). Every aggregate ends with exactly the 5 replies (none lost to a concurrent writer), and a
reply delivered twice is counted once."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from tests.e2e.scatter_gather.support import LARGE_LOAN, LARGE_LOAN_BANKS, VARIANTS, completed, request_quotes

REQUESTS = {"pubsub": 20, "recipient_list": 12}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("variant", VARIANTS)
def test_concurrent_requests_each_gather_exactly_five_replies(catalog, api_url, http, variant):
    requests_sent = REQUESTS[variant]
    outputs = catalog["scatter_gather"][variant]
    url = api_url(outputs["url"])
    sqs = boto3.client("sqs")
    # A long deadline: this test is about lost and double-counted replies, not about the deadline; on the
    # emulator 8 Lambdas run at once, so 32 x 5 quotes take a while to get through.
    body = {"amount": LARGE_LOAN, "term": 12, "deadlineSeconds": 60}

    def scatter(_: int) -> str:
        correlation_id = request_quotes(http, url, body)
        if variant == "pubsub":  # the same reply twice more, as a provider retry or a redelivery would
            duplicate = json.dumps({"correlationId": correlation_id, "providerId": "bank-jumbo-1", "rate": 4.15})
            for _ in range(2):
                sqs.send_message(QueueUrl=outputs["replies_queue_url"], MessageBody=duplicate)
        return correlation_id

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=requests_sent) as pool:
        correlation_ids = list(pool.map(scatter, range(requests_sent)))
    views = [completed(http, url, cid, timeout=120) for cid in correlation_ids]
    elapsed = time.monotonic() - started

    assert len(set(correlation_ids)) == requests_sent
    for view in views:
        assert view["replied"] == LARGE_LOAN_BANKS, view
        assert view["late"] == [] and view["result"]["missing"] == [], view
        assert (view["result"]["completedBy"], view["result"]["replyCount"]) == ("all-replied", 5), view
        assert sorted(q["providerId"] for q in view["result"]["quotes"]) == LARGE_LOAN_BANKS
    table = boto3.resource("dynamodb").Table(outputs["aggregates_table_name"])
    for cid in correlation_ids:
        assert int(table.get_item(Key={"correlationId": cid}, ConsistentRead=True)["Item"]["replyCount"]) == 5
    print(f"{variant}: {requests_sent} requests x 5 banks aggregated in {elapsed:.1f}s")
