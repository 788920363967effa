"""Storage-first mode: API Gateway writes the raw request to SQS itself (no Lambda on the fast path),
and the queue verifier reads it back as a :class:`~functions.webhook.delivery.Request`.

The message body is the request body unchanged. Two message attributes carry the rest:
``webhook-source`` (the route's source name) and ``webhook-headers`` (the headers the source's
scheme reads, url-encoded). Each header is captured under its declared spelling and in lower case,
because header lookups in mapping templates are case-sensitive in some implementations; the first
non-empty value wins.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from functions.webhook.delivery import Request
from functions.webhook.schemes import Rejected

SOURCE_ATTRIBUTE = "webhook-source"
HEADERS_ATTRIBUTE = "webhook-headers"
# Content types the fast path takes (any other gets 415 from API Gateway, with nothing queued).
CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")


def request_template(source: str, headers: Sequence[str]) -> str:
    """The VTL request template turning ``POST /webhooks/<source>`` into an SQS ``SendMessage`` call."""
    captured = "&".join(
        f"{name.lower()}=$util.urlEncode($input.params('{spelling}'))"
        for name in headers
        for spelling in dict.fromkeys((name, name.lower()))
    )
    return (
        f'#set($headers = "{captured}")\n'
        "Action=SendMessage"
        "&MessageBody=$util.urlEncode($input.body)"
        f"&MessageAttribute.1.Name={SOURCE_ATTRIBUTE}"
        "&MessageAttribute.1.Value.DataType=String"
        f"&MessageAttribute.1.Value.StringValue={urllib.parse.quote_plus(source)}"
        f"&MessageAttribute.2.Name={HEADERS_ATTRIBUTE}"
        "&MessageAttribute.2.Value.DataType=String"
        "&MessageAttribute.2.Value.StringValue=$util.urlEncode($headers)"
    )


def decode_headers(encoded: str) -> dict[str, str]:
    """``name=value&...`` back to a dict: lower-case names, the first non-empty value of each."""
    headers: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(encoded, keep_blank_values=True):
        if value and not headers.get(name.lower()):
            headers[name.lower()] = value
    return headers


def _attribute(attributes: Mapping[str, Any], name: str) -> str | None:
    value = attributes.get(name) or {}
    return value.get("stringValue") or value.get("StringValue")


def request_from_record(record: Mapping[str, Any]) -> Request:
    """An SQS record written by :func:`request_template` as the request it came from.

    ``received_at`` is when the queue took the message (``SentTimestamp``), so a delivery delayed
    by an outage is still judged against the time the sender sent it.
    """
    attributes = record.get("messageAttributes") or {}
    source = _attribute(attributes, SOURCE_ATTRIBUTE)
    if not source:
        raise Rejected(400, f"queued message has no {SOURCE_ATTRIBUTE} attribute")
    system = record.get("attributes") or {}
    return Request(
        source=source,
        headers=decode_headers(_attribute(attributes, HEADERS_ATTRIBUTE) or ""),
        body=(record.get("body") or "").encode("utf-8"),
        received_at=int(system.get("SentTimestamp", 0)) / 1000,
        receive_count=int(system.get("ApproximateReceiveCount", 1)),
    )
