"""The verifiers' run-time helpers: the secret cache (rotation, brief caching, bounded refresh) and
publishing with retries that never report a failed entry as success."""

from __future__ import annotations

import pytest

from functions.webhook.publish import PublishFailed, put_event
from functions.webhook.secrets import SecretCache, fetch, parse_ssm_value


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cache_serves_from_memory_until_its_ttl():
    loads: list[str] = []
    clock = Clock()
    cache = SecretCache(lambda ref: loads.append(ref) or [("AWSCURRENT", f"v{len(loads)}".encode())],
                        ttl_seconds=60, refresh_seconds=5, clock=clock)
    assert cache.get("arn") == [("AWSCURRENT", b"v1")]
    clock.now = 59
    assert cache.get("arn") == [("AWSCURRENT", b"v1")]
    clock.now = 60
    assert cache.get("arn") == [("AWSCURRENT", b"v2")]
    assert loads == ["arn", "arn"]


def test_refresh_after_a_mismatch_is_bounded():
    loads: list[str] = []
    clock = Clock()
    cache = SecretCache(lambda ref: loads.append(ref) or [], ttl_seconds=60, refresh_seconds=5, clock=clock)
    cache.get("arn")
    clock.now = 4.9
    assert cache.refresh("arn") is None
    clock.now = 5
    assert cache.refresh("arn") == []
    assert cache.refresh("arn") is None
    assert len(loads) == 2


class FakeSecretsManager:
    class exceptions:  # noqa: N801  (mirrors the boto3 client attribute)
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, stages: dict[str, str]) -> None:
        self.stages = stages

    def get_secret_value(self, SecretId: str, VersionStage: str) -> dict:  # noqa: N803
        if VersionStage not in self.stages:
            raise self.exceptions.ResourceNotFoundException(VersionStage)
        return {"SecretString": self.stages[VersionStage]}


class FakeSsm:
    def get_parameter(self, Name: str, WithDecryption: bool) -> dict:  # noqa: N803
        assert WithDecryption
        return {"Parameter": {"Value": "new\n\n  old  \n"}}


def test_secrets_manager_gives_current_and_previous_during_a_rotation():
    arn = "arn:aws:secretsmanager:us-east-1:1:secret:x"
    assert fetch(arn, secretsmanager=FakeSecretsManager({"AWSCURRENT": "a"})) == [("AWSCURRENT", b"a")]
    both = fetch(arn, secretsmanager=FakeSecretsManager({"AWSCURRENT": "b", "AWSPREVIOUS": "a"}))
    assert both == [("AWSCURRENT", b"b"), ("AWSPREVIOUS", b"a")]
    with pytest.raises(FakeSecretsManager.exceptions.ResourceNotFoundException):
        fetch(arn, secretsmanager=FakeSecretsManager({}))


def test_ssm_securestring_gives_one_secret_per_line():
    assert fetch("arn:aws:ssm:us-east-1:1:parameter/x", ssm=FakeSsm()) == [("line 1", b"new"), ("line 2", b"old")]
    assert parse_ssm_value("") == []


class FakeEvents:
    def __init__(self, outcomes: list) -> None:
        self.outcomes = outcomes
        self.calls: list[dict] = []

    def put_events(self, Entries: list) -> dict:  # noqa: N803
        self.calls.append(Entries[0])
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


OK = {"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}
FAILED = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}]}


def test_failed_entry_is_retried_until_it_is_accepted():
    client, sleeps = FakeEvents([FAILED, ConnectionError("reset"), OK]), []
    assert put_event(client, "bus", {"Source": "webhook.x"}, sleep=sleeps.append) == "e-1"
    assert [c["EventBusName"] for c in client.calls] == ["bus"] * 3
    assert sleeps == [0.2, 0.4]


def test_entry_failing_every_attempt_raises_and_is_never_success():
    client = FakeEvents([FAILED, FAILED, FAILED])
    with pytest.raises(PublishFailed, match="PutEvents failed 3 times; last: InternalFailure: try again"):
        put_event(client, "bus", {"Source": "webhook.x"}, sleep=lambda s: None)


def test_ssm_parameter_names_from_arns():
    from functions.webhook.secrets import parameter_name

    assert parameter_name("arn:aws:ssm:us-east-1:123456789012:parameter/acme-secret") == "acme-secret"
    assert parameter_name("arn:aws:ssm:us-east-1:123456789012:parameter/webhooks/acme") == "/webhooks/acme"
