"""Bad input that DynamoDB or the JSON parser would choke on is refused with a 400, never a 5xx."""

from __future__ import annotations

import pytest

from functions.common.validation import InvalidInput, dynamodb_item, dynamodb_number, json_object


@pytest.mark.parametrize(("body", "message"), [
    ("[" * 2000 + "]" * 2000, "nested too deeply"),
    ('{"a": ' * 2000 + "1" + "}" * 2000, "nested too deeply"),
    ('{"n": ' + "9" * 5000 + "}", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
])
def test_hostile_bodies_are_invalid_input(body, message):
    with pytest.raises(InvalidInput, match=message):
        json_object(body, max_bytes=20_000)


@pytest.mark.parametrize(("value", "ok"), [
    (0, True), (1e-130, True), (9.99e125, True), (10**37, True), (-5.5, True),
    (1e-300, False), (1e126, False), (float("inf"), False), (float("nan"), False), (10**40 + 1, False), (True, False),
])
def test_numbers_dynamodb_can_store(value, ok):
    if ok:
        dynamodb_number(value, "n")
    else:
        with pytest.raises(InvalidInput):
            dynamodb_number(value, "n")


def _nested(levels: int) -> dict:
    item: dict = {"leaf": 1}
    for _ in range(levels):
        item = {"n": item}
    return item


@pytest.mark.parametrize(("item", "message"), [
    ({"pk": "x" * 3000}, "a key attribute takes at most 2048"),
    ({"pk": "a", "sk": "y" * 1100}, "at most 1024"),
    ({"pk": "a", "": 1}, "empty attribute name"),
    ({"pk": "a", "deep": _nested(40)}, "nested more than 32"),
    ({"pk": "a", "tiny": 1e-300}, "out of range"),
    ({"pk": "a", "blob": "z" * (401 * 1024)}, "DynamoDB takes items up to"),
])
def test_items_dynamodb_would_refuse_are_invalid_input(item, message):
    with pytest.raises(InvalidInput, match=message):
        dynamodb_item(item, ("pk", "sk"))


def test_an_ordinary_item_passes():
    dynamodb_item({"pk": "a", "sk": "b", "total": 120.5, "lines": [{"sku": "x", "qty": 2}], "note": ""}, ("pk", "sk"))
