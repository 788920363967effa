"""The dispatcher's pure rules: URL and address checks (SSRF), the retry schedule and Retry-After,
the circuit's gate, secrets and rotation, and signatures equal to the Standard Webhooks reference."""

from __future__ import annotations

import datetime
import email.utils
import random

import pytest
import svix.webhooks
from standardwebhooks.webhooks import Webhook as Reference
from standardwebhooks.webhooks import WebhookVerificationError

from functions.common.errors import InvalidInput
from functions.webhook_delivery import policy
from functions.webhook_delivery.addresses import RefusedAddress, parse_url, resolve
from functions.webhook_delivery.config import SVIX_SCHEDULE
from functions.webhook_delivery.dispatcher import signature_headers
from functions.webhook_delivery.requests import (
    Task,
    active_secrets,
    check_secret,
    envelope,
    new_secret,
    rotated,
)


def _resolver(*addresses: str):
    return lambda host, port: list(addresses)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest", "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.0.1/",
    "http://127.0.0.1/", "http://[::1]/", "http://[fe80::1]/", "http://[::ffff:169.254.169.254]/",
    "http://100.64.1.1/", "http://0.0.0.0/", "http://224.0.0.1/", "http://[fc00::1]/"])
def test_addresses_inside_the_network_are_refused(url):
    with pytest.raises(RefusedAddress):
        resolve(parse_url(url, require_https=False), [], _resolver())


def test_a_public_name_that_resolves_inside_the_network_is_refused_whatever_else_it_resolves_to():
    target = parse_url("https://hooks.example.com/in", require_https=True)
    assert [str(a) for a in resolve(target, [], _resolver("93.184.216.34"))] == ["93.184.216.34"]
    with pytest.raises(RefusedAddress, match="169.254.169.254"):
        resolve(target, [], _resolver("93.184.216.34", "169.254.169.254"))


def test_an_allowed_network_lets_its_addresses_through_and_only_those():
    target = parse_url("http://localhost:8080/x", require_https=False)
    assert [str(a) for a in resolve(target, ["127.0.0.0/8"], _resolver("127.0.0.1"))] == ["127.0.0.1"]
    with pytest.raises(RefusedAddress):
        resolve(parse_url("http://10.0.0.1/", require_https=False), ["127.0.0.0/8"], _resolver())


@pytest.mark.parametrize(("url", "https", "message"), [
    ("http://example.com/", True, "must use https"), ("ftp://example.com/", False, "http(s)"),
    ("https://user:pw@example.com/", True, "credentials"), ("https:///x", True, "no host"),
    ("https://example.com:70000/", True, "not a valid URL"), ("https://exa mple.com/", True, "whitespace"),
    ("https://example.com/#frag", True, "fragment"), ("https://example.com/" + "a" * 2100, True, "maximum"),
    (None, True, "non-empty string")])
def test_malformed_urls_are_refused_with_the_reason(url, https, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_url(url, https)


def test_a_name_that_does_not_resolve_is_refused():
    def failing(host, port):
        raise OSError("Name or service not known")
    with pytest.raises(InvalidInput, match="does not resolve"):
        resolve(parse_url("https://nowhere.invalid/", True), [], failing)


def test_the_schedule_gives_each_attempts_delay_with_bounded_jitter_then_stops():
    rng = random.Random(7)
    delays = [policy.next_delay(n, SVIX_SCHEDULE, 0.2, rng=rng) for n in range(1, 9)]
    assert delays[-1] is None  # 8 attempts: the 8th was the last
    for delay, base in zip(delays[:-1], SVIX_SCHEDULE[1:], strict=True):
        assert base <= delay <= base * 1.2 + 1
    assert policy.next_delay(1, [0, 1, 1, 2], 0.0) == 1


def test_retry_after_is_honoured_when_longer_and_capped():
    assert policy.next_delay(1, [0, 1], 0, retry_after=30) == 30
    assert policy.next_delay(1, [0, 60], 0, retry_after=30) == 60
    assert policy.next_delay(1, [0, 1], 0, retry_after=10_000, max_retry_after=120) == 120


def test_retry_after_is_read_from_429_and_503_as_seconds_or_a_date():
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 90, usegmt=True)
    assert policy.retry_after_seconds({"retry-after": "7"}, 429, now) == 7
    assert policy.retry_after_seconds({"retry-after": date}, 503, now) == pytest.approx(90, abs=1)
    assert policy.retry_after_seconds({"retry-after": "7"}, 500, now) is None
    assert policy.retry_after_seconds({"retry-after": "soon"}, 429, now) is None


def test_the_circuit_gate():
    now = 1000.0
    assert policy.gate(policy.Circuit(), now) == policy.Gate("deliver")
    assert policy.gate(policy.Circuit(policy.OPEN, 5, open_until=1010), now) == policy.Gate("wait", 10)
    assert policy.gate(policy.Circuit(policy.OPEN, 5, open_until=999), now) == policy.Gate("probe")
    assert policy.gate(policy.Circuit(policy.HALF_OPEN, 5, 990, probe_until=1003), now) == policy.Gate("wait", 3)
    assert policy.gate(policy.Circuit(policy.HALF_OPEN, 5, 990, probe_until=999), now) == policy.Gate("probe")


def test_signatures_equal_the_reference_and_verify_with_either_secret_during_rotation():
    old, new = new_secret(), new_secret()
    body = envelope("invoice.paid", {"n": 1}, 1_800_000_000, 10_000).encode()
    at = 1_800_000_123
    headers = signature_headers("msg_1", at, body, [new, old])
    reference = Reference(new).sign("msg_1", datetime.datetime.fromtimestamp(at, datetime.UTC), body.decode())
    assert headers["webhook-signature"].split(" ")[0] == reference
    now = int(datetime.datetime.now(datetime.UTC).timestamp())
    fresh = signature_headers("msg_1", now, body, [new, old])
    for secret in (old, new):
        assert Reference(secret).verify(body.decode(), fresh)["data"] == {"n": 1}
        svix.webhooks.Webhook(secret).verify(body, fresh)
    with pytest.raises(WebhookVerificationError):
        Reference(new_secret()).verify(body.decode(), fresh)


def test_rotation_keeps_the_old_secret_for_the_overlap_only():
    now = 1000.0
    endpoint = {"secrets": [{"key": "whsec_old", "expires_at": None}]}
    secrets = rotated(endpoint, "whsec_new", 300, now)
    assert secrets == [{"key": "whsec_new", "expires_at": None}, {"key": "whsec_old", "expires_at": 1300}]
    assert active_secrets({"secrets": secrets}, now + 10) == ["whsec_new", "whsec_old"]
    assert active_secrets({"secrets": secrets}, now + 301) == ["whsec_new"]
    assert rotated({"secrets": secrets}, "whsec_3", 600, now + 400)[1:] == [
        {"key": "whsec_new", "expires_at": 2000}]  # the expired one dropped


def test_secrets_are_whsec_base64_of_24_to_64_bytes():
    assert check_secret(new_secret()).startswith("whsec_")
    for bad in ("whsec_", "whsec_!!!!", "hunter2", "whsec_" + "A" * 8, 42):
        with pytest.raises(InvalidInput):
            check_secret(bad)


def test_a_message_over_the_limit_is_refused_and_tasks_round_trip():
    with pytest.raises(InvalidInput, match="maximum is 100"):
        envelope("ping", "x" * 200, 0, 100)
    task = Task("msg_1", "ep_1", attempt=3, not_before=12.5, replay=1)
    assert Task.from_json(task.to_json()) == task
    for bad in ("{}", "[]", "nope", '{"message_id": "m", "endpoint_id": "e", "attempt": 0}'):
        with pytest.raises(ValueError, match="not a delivery task"):
            Task.from_json(bad)
