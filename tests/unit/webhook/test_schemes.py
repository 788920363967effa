"""Signature schemes: the senders' published test vectors, rotation, tolerance, and properties (any
change of one byte of the body, signature or timestamp is refused)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.webhook.schemes import Rejected, Scheme, github, hmac_sha256, sign, slack, stripe, verify

NOW = 1_700_000_000
SECRET = b"whsec_test_secret"
SCHEMES = {
    "github": github(),
    "stripe": stripe(),
    "slack": slack(),
    "hmac-hex": hmac_sha256("X-Signature", signature_prefix="sha256="),
    "hmac-base64-timestamped": hmac_sha256("X-Sig", timestamp_header="X-Ts", encoding="base64",
                                           signature_prefix="v1="),
}
TIMESTAMPED = {"stripe", "slack", "hmac-base64-timestamped"}


def _headers(scheme: Scheme, body: bytes, secret: bytes = SECRET, timestamp: int = NOW) -> dict[str, str]:
    timestamped = scheme.kind in ("stripe", "slack") or scheme.timestamp_header
    return {k.lower(): v for k, v in sign(scheme, secret, body, timestamp if timestamped else None).items()}


def test_github_documented_vector():
    headers = {"x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}
    verified = verify(github(), [("AWSCURRENT", b"It's a Secret to Everybody")], headers, b"Hello, World!", NOW)
    assert verified.signed_with == "AWSCURRENT" and verified.timestamp is None


def test_slack_documented_vector():
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
            b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
            b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    headers = {"x-slack-request-timestamp": "1531420618",
               "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"}
    verified = verify(slack(body_format="form"), [("current", b"8f742231b10e8888abcd99yyyzzz85a5")], headers, body,
                      1531420618 + 10)
    assert verified.timestamp == 1531420618


def test_stripe_accepts_any_of_several_v1_signatures_as_stripe_sends_during_its_own_rolling():
    body = b'{"id": "evt_1"}'
    old = _headers(stripe(), body, secret=b"whsec_old")["stripe-signature"]
    new = _headers(stripe(), body, secret=b"whsec_new")["stripe-signature"]
    both = f"{new},v1={old.split('v1=')[1]},v0=ignored"
    assert verify(stripe(), [("AWSCURRENT", b"whsec_old")], {"stripe-signature": both}, body, NOW)


def test_rotation_accepts_every_given_secret_and_names_the_one_that_matched():
    body = b'{"a": 1}'
    secrets = [("AWSCURRENT", b"new"), ("AWSPREVIOUS", b"old")]
    assert verify(github(), secrets, _headers(github(), body, b"new"), body, NOW).signed_with == "AWSCURRENT"
    assert verify(github(), secrets, _headers(github(), body, b"old"), body, NOW).signed_with == "AWSPREVIOUS"
    with pytest.raises(Rejected, match="invalid signature") as refused:
        verify(github(), secrets, _headers(github(), body, b"older"), body, NOW)
    assert refused.value.status == 401 and refused.value.secret_mismatch


@pytest.mark.parametrize("name", sorted(TIMESTAMPED))
@pytest.mark.parametrize(("skew", "accepted"), [(0, True), (300, True), (-300, True), (301, False), (-301, False)])
def test_timestamp_tolerance_is_five_minutes_either_way(name, skew, accepted):
    scheme, body = SCHEMES[name], b'{"x": 1}'
    headers = _headers(scheme, body, timestamp=NOW - skew)
    if accepted:
        assert verify(scheme, [("s", SECRET)], headers, body, NOW).timestamp == NOW - skew
    else:
        with pytest.raises(Rejected, match=r"stale timestamp: signed -?\d+ s from receipt; the tolerance is 300 s"):
            verify(scheme, [("s", SECRET)], headers, body, NOW)


def test_tolerance_is_configurable():
    scheme, body = stripe(tolerance_seconds=30), b"{}"
    with pytest.raises(Rejected, match="tolerance is 30 s"):
        verify(scheme, [("s", SECRET)], _headers(scheme, body, timestamp=NOW - 31), body, NOW)


@pytest.mark.parametrize(("name", "headers", "reason"), [
    ("github", {}, "missing signature header X-Hub-Signature-256"),
    ("stripe", {"stripe-signature": "v1=abc"}, "missing Stripe-Signature timestamp"),
    ("stripe", {"stripe-signature": "t=1,t=2,v1=abc"}, "more than one timestamp"),
    ("stripe", {"stripe-signature": "t=1700000000"}, "no v1 signature"),
    ("stripe", {"stripe-signature": "t=17e8,v1=abc"}, "malformed Stripe-Signature timestamp"),
    ("slack", {"x-slack-signature": "v0=abc"}, "missing X-Slack-Request-Timestamp"),
    ("slack", {"x-slack-signature": "v0=abc", "x-slack-request-timestamp": "-5"}, "malformed"),
    ("hmac-base64-timestamped", {"x-sig": "v1=abc", "x-ts": "１２３"}, "malformed X-Ts"),
])
def test_malformed_headers_are_refused_with_the_reason(name, headers, reason):
    with pytest.raises(Rejected, match=reason) as refused:
        verify(SCHEMES[name], [("s", SECRET)], headers, b"{}", NOW)
    assert refused.value.status == 401
    assert SECRET.decode() not in refused.value.reason


def test_no_configured_secret_refuses_everything():
    with pytest.raises(Rejected, match="no signing secret"):
        verify(github(), [], _headers(github(), b"{}"), b"{}", NOW)


def test_scheme_survives_its_json_form_and_rejects_nonsense():
    for scheme in SCHEMES.values():
        assert Scheme.from_dict(scheme.to_dict()) == scheme
    with pytest.raises(ValueError, match="unknown signature scheme"):
        Scheme("md5", "X-Sig")
    with pytest.raises(ValueError, match="encoding"):
        hmac_sha256("X-Sig", encoding="base32")
    assert github().headers == ("x-hub-signature-256", "x-github-delivery", "x-github-event")


# --- properties: one changed byte anywhere is refused --------------------------------------------

bodies = st.binary(min_size=1, max_size=2048)


def _changed(data: bytes, index: int, replacement: int) -> bytes | None:
    i = index % len(data)
    if data[i] == replacement:
        return None
    return data[:i] + bytes([replacement]) + data[i + 1:]


def _changed_text(text: str, index: int, replacement: str) -> str | None:
    i = index % len(text)
    if text[i] == replacement:
        return None
    return text[:i] + replacement + text[i + 1:]


header_chars = st.characters(min_codepoint=0x20, max_codepoint=0x17F)


@pytest.mark.parametrize("name", sorted(SCHEMES))
@settings(max_examples=150, deadline=None)
@given(body=bodies, index=st.integers(min_value=0), replacement=st.integers(min_value=0, max_value=255))
def test_any_changed_body_byte_is_refused(name, body, index, replacement):
    scheme = SCHEMES[name]
    headers = _headers(scheme, body)
    assert verify(scheme, [("s", SECRET)], headers, body, NOW)
    tampered = _changed(body, index, replacement)
    if tampered is not None:
        with pytest.raises(Rejected):
            verify(scheme, [("s", SECRET)], headers, tampered, NOW)


@pytest.mark.parametrize("name", sorted(SCHEMES))
@settings(max_examples=150, deadline=None)
@given(body=bodies, index=st.integers(min_value=0), replacement=header_chars)
def test_any_changed_signature_character_is_refused(name, body, index, replacement):
    scheme = SCHEMES[name]
    headers = _headers(scheme, body)
    key = scheme.signature_header.lower()
    changed = _changed_text(headers[key], index, replacement)
    if changed is not None:
        with pytest.raises(Rejected):
            verify(scheme, [("s", SECRET)], {**headers, key: changed}, body, NOW)


@pytest.mark.parametrize("name", sorted(TIMESTAMPED))
@settings(max_examples=150, deadline=None)
@given(body=bodies, index=st.integers(min_value=0), replacement=header_chars)
def test_any_changed_timestamp_character_is_refused(name, body, index, replacement):
    scheme = SCHEMES[name]
    headers = _headers(scheme, body)
    if scheme.kind == "stripe":
        key = "stripe-signature"
        t_value = headers[key].split(",")[0][2:]
        changed_t = _changed_text(t_value, index, replacement)
        changed = None if changed_t is None else headers[key].replace(f"t={t_value}", f"t={changed_t}", 1)
    else:
        key = scheme.timestamp_header.lower()
        changed = _changed_text(headers[key], index, replacement)
    if changed is not None:
        with pytest.raises(Rejected):
            verify(scheme, [("s", SECRET)], {**headers, key: changed}, body, NOW)
