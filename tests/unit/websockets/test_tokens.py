"""Connect tokens: only the secret's holder can issue one, and each says who and until when."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.websockets.exceptions import InvalidToken
from functions.websockets.tokens import issue, verify

SECRET = b"s3cret"


def test_a_valid_token_names_its_subject_until_it_expires():
    token = issue(SECRET, "alice@example.com", ttl_seconds=60, now=1000)
    assert verify(SECRET, token, now=1000) == "alice@example.com"
    assert verify(SECRET, token, now=1059) == "alice@example.com"
    with pytest.raises(InvalidToken, match="expired"):
        verify(SECRET, token, now=1060)


def test_another_secret_or_a_changed_payload_is_refused():
    token = issue(SECRET, "alice", now=1000)
    with pytest.raises(InvalidToken, match="signature"):
        verify(b"other", token, now=1000)
    payload, signature = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"sub": "root", "exp": 10**10}).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match="signature"):
        verify(SECRET, f"{forged}.{signature}", now=1000)


@pytest.mark.parametrize("token", [None, "", "a", "a.b.c", "x" * 2000, ".", "abc."])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(InvalidToken) as refused:
        verify(SECRET, token, now=0)
    assert refused.value.status == 403


@given(st.text(max_size=200))
def test_no_text_passes_without_the_secret(token):
    with pytest.raises(InvalidToken):
        verify(SECRET, token, now=0)


def test_issue_refuses_bad_subjects_and_lifetimes():
    with pytest.raises(ValueError):
        issue(SECRET, "has space")
    with pytest.raises(ValueError):
        issue(SECRET, "alice", ttl_seconds=0)


def test_the_authorizer_reads_the_token_from_the_query_or_a_bearer_header(monkeypatch):
    monkeypatch.setenv("WEBSOCKETS_CONFIG", '{"connections_table": "t", "token_secret_arn": "arn"}')
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    from functions.websockets.authorizer import policy, token_of

    assert token_of({"queryStringParameters": {"token": "q"}, "headers": {"Authorization": "Bearer h"}}) == "q"
    assert token_of({"headers": {"authorization": "Bearer h.s"}}) == "h.s"
    assert token_of({"headers": {"Authorization": "Basic x"}}) is None and token_of({}) is None
    allowed = policy("Allow", "arn:aws:execute-api:r:a:api/ws/$connect", "alice", {"subject": "alice"})
    assert allowed["policyDocument"]["Statement"] == [{"Action": "execute-api:Invoke", "Effect": "Allow",
                                                       "Resource": "arn:aws:execute-api:r:a:api/ws/$connect"}]
    assert allowed["context"] == {"subject": "alice"} and allowed["principalId"] == "alice"
