import pytest

from functions.common.validation import InvalidInput, json_object, positive_int, validate_name


@pytest.mark.parametrize("name", ["a", "orders", "Orders_2024.v1-x", "9lives", "a" * 64])
def test_valid_names(name):
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", None, "-dash", ".dot", "a" * 65, "sp ace", "semi;colon", "slash/x", "ü"])
def test_invalid_names_say_what_is_wrong(name):
    with pytest.raises(InvalidInput, match="invalid counter name"):
        validate_name(name, "counter name")


def test_empty_body_is_an_empty_object_unless_required():
    assert json_object(None) == {}
    assert json_object("  ") == {}
    with pytest.raises(InvalidInput, match="required"):
        json_object("", required=True)


@pytest.mark.parametrize(
    ("body", "message"),
    [("{", "not valid JSON"), ("[]", "JSON object, got list"), ('"x"', "JSON object, got str"),
     (b"\xff\xfe", "not valid JSON"), ("x" * 20, "maximum is 10")],
)
def test_bad_bodies(body, message):
    with pytest.raises(InvalidInput, match=message):
        json_object(body, max_bytes=10 if len(body) == 20 else 8192)


def test_body_size_is_counted_in_bytes_not_characters():
    with pytest.raises(InvalidInput, match="maximum"):
        json_object('{"k": "' + "é" * 6 + '"}', max_bytes=16)


def test_positive_int():
    assert positive_int({}, "n", default=1) == 1
    assert positive_int({"n": 7}, "n", maximum=7) == 7
    for value, message in [(0, "at least 1"), (-3, "at least 1"), (8, "at most 7"), (True, "integer"),
                           (1.0, "integer"), ("2", "integer"), (None, "integer")]:
        with pytest.raises(InvalidInput, match=message):
            positive_int({"n": value}, "n", maximum=7)
    with pytest.raises(InvalidInput, match="required"):
        positive_int({}, "n")
