"""The API's pure helpers: where an error is, what it says, reading a body, the admin claim and
Idempotency-Key checks."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from sellerjobs.api import BODY_LIMIT_BYTES, ApiError, _is_admin, read_json
from sellerjobs.api.idempotency import checked_key
from sellerjobs.api.messages import field_errors, field_path, sentence
from sellerjobs.categories.requests import CategoryFetchRequest
from sellerjobs.market.requests import EnqueueRequest
from sellerjobs.promotions.requests import CredentialsRequest, PromotionRequest, QueueRequest

# What pydantic or Python say that a seller should never read.
NOT_PLAIN = ("Input should", "String should", "Value error", "pattern", "sys.set_int_max_str_digits", "^", "[0-9",
             "Field required", "Extra inputs", "validation error")


def errors_for(model: Any, body: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(model).validate_python(body)
    return field_errors([e | {"loc": ("body", *e["loc"])} for e in caught.value.errors()])


# ---------------------------------------------------------------- field_path


@pytest.mark.parametrize(("loc", "path"), [
    (("body", "batch", 3, "adRate"), "batch[3].adRate"),
    (("body", "adRate"), "adRate"),
    (("body",), "body"),
    (("body", "<batch>", "batch", 0), "batch[0]"),
    (("body", "<listing>"), "body"),
    (("query", "limit"), "limit"),
    (("path", "jobId"), "jobId"),
    (("header", "Idempotency-Key"), "Idempotency-Key"),
    (("batch", 2, "items", 1, "x"), "batch[2].items[1].x"),
    ((), "body"),
])
def test_field_path(loc, path):
    assert field_path(loc) == path


# ---------------------------------------------------------------- messages


@pytest.mark.parametrize(("model", "body", "expected"), [
    (PromotionRequest, {"adRate": 5}, ("listingId", "is required")),
    (PromotionRequest, {"listingId": "12", "adRate": 5}, ("listingId", "must be an eBay item id: 6 to 19 digits")),
    (PromotionRequest, {"listingId": "177681098666", "adRate": True}, ("adRate", "must be a number")),
    (PromotionRequest, {"listingId": "177681098666", "adRate": 5, "x": 1}, ("x", "is not a field of this request")),
    (QueueRequest, [], ("body", "must be a JSON object")),
    (QueueRequest, {"batch": []}, ("batch", "must have at least 1 item")),
    (CredentialsRequest, {"refreshToken": "short"}, ("refreshToken", "must be at least 16 characters long")),
    (CategoryFetchRequest, {"maxCategories": 0, "wholeTree": True}, ("maxCategories", "must be at least 1")),
    (CategoryFetchRequest, {"maxCategories": "x", "wholeTree": True}, ("maxCategories", "must be a whole number")),
    (CategoryFetchRequest, {"maxCategories": "9" * 5000, "wholeTree": True},
     ("maxCategories", "is too large a number")),
    (CategoryFetchRequest, {"mode": "fast", "wholeTree": True},
     ("mode", "must be one of auto, per_category or bulk")),
    (CategoryFetchRequest, {"wholeTree": "maybe"}, ("wholeTree", "must be true or false")),
    (EnqueueRequest, {"provider": "stockx", "sku": "a|b"},
     ("sku", "must be a style code: letters and digits, with spaces or . _ / # + - inside")),
    (EnqueueRequest, {"provider": "stockx", "sku": "A", "priority": 1000}, ("priority", "must be at most 200")),
])
def test_validation_errors_read_as_plain_sentences(model, body, expected):
    errors = errors_for(model, body)

    assert errors[0] == expected
    assert not any(word in message for _, message in errors for word in NOT_PLAIN)


def test_an_unknown_error_type_never_echoes_pydantic():
    assert sentence({"type": "uuid_parsing", "msg": "Input should be a valid UUID", "loc": ()}) == "is not valid"


def test_a_message_never_echoes_the_input():
    token = "x" * 4097

    errors = errors_for(CredentialsRequest, {"refreshToken": token})

    assert errors == [("refreshToken", "must be at most 4096 characters long")]


def test_the_same_error_twice_is_listed_once():
    error = {"type": "missing", "loc": ("body", "listingId"), "msg": "Field required"}

    assert field_errors([error, error]) == [("listingId", "is required")]


# ---------------------------------------------------------------- read_json


def test_a_body_within_the_limit_is_parsed():
    body = {"batch": [{"listingId": str(100000000000 + i), "adRate": 5, "campaignId": "151310691012"}
                      for i in range(500)]}

    assert read_json(json.dumps(body), limit=BODY_LIMIT_BYTES) == body  # the largest request fits


def test_a_body_over_the_limit_is_refused_before_it_is_parsed():
    with pytest.raises(ApiError) as caught:
        read_json("{" * (BODY_LIMIT_BYTES + 1), limit=BODY_LIMIT_BYTES)

    assert caught.value.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert caught.value.errors == [("body", f"must be at most {BODY_LIMIT_BYTES} bytes")]


def test_the_limit_counts_bytes_not_characters():
    text = json.dumps({"a": "é" * 40}, ensure_ascii=False)  # 49 characters, 89 bytes

    with pytest.raises(ApiError):
        read_json(text, limit=len(text))


@pytest.mark.parametrize(("text", "message"), [
    ('{"listingId": ', "is not valid JSON (line 1, column 15)"),
    ("[" * 20_000 + "]" * 20_000, "nests too deeply"),
    ('{"adRate": ' + "9" * 5000 + "}", "has a number with more than 30 digits"),
    ('{"adRate": 1e999}', "has a number too large to be one"),
    ('{"adRate": NaN}', "is not valid JSON (NaN is not a JSON value)"),
    ('{"adRate": -Infinity}', "is not valid JSON (-Infinity is not a JSON value)"),
])
def test_unreasonable_json_is_a_400_naming_the_body(text, message):
    with pytest.raises(ApiError) as caught:
        read_json(text, limit=BODY_LIMIT_BYTES)

    assert caught.value.status == HTTPStatus.BAD_REQUEST
    assert caught.value.errors == [("body", message)]


def test_numbers_up_to_30_digits_are_numbers():
    assert read_json('{"n": -' + "9" * 30 + "}", limit=BODY_LIMIT_BYTES) == {"n": -int("9" * 30)}


# ---------------------------------------------------------------- Idempotency-Key


@pytest.mark.parametrize("key", ["a", "7c1b4b9e-2f5d-4b43-9a0b-4f7f4a5d2c11", " order 42 ", "x" * 255])
def test_printable_keys_up_to_255_characters_are_keys(key):
    assert checked_key(key) == key.strip()


@pytest.mark.parametrize(("key", "message"), [
    ("", "must not be empty"),
    ("   ", "must not be empty"),
    ("x" * 256, "must be at most 255 characters long"),
    ("tab\there", "must be printable ASCII: letters, digits, punctuation and spaces"),
    ("clé", "must be printable ASCII: letters, digits, punctuation and spaces"),
])
def test_a_bad_key_is_a_400_naming_the_header(key, message):
    with pytest.raises(ApiError) as caught:
        checked_key(key)

    assert caught.value.status == HTTPStatus.BAD_REQUEST
    assert caught.value.errors == [("Idempotency-Key", message)]


# ---------------------------------------------------------------- admin claim


@pytest.mark.parametrize(("claims", "admin"), [
    ({"scope": "openid sellerjobs/admin"}, True),
    ({"scope": "sellerjobs/admin"}, True),
    ({"scope": "openid profile"}, False),
    ({"scope": "openid sellerjobs/administrator"}, False),
    ({"scope": ["openid", "sellerjobs/admin"]}, True),
    ({"scope": ["openid"]}, False),
    ({"cognito:groups": "[admin users]"}, True),
    ({"cognito:groups": "[users admin]"}, True),
    ({"cognito:groups": "[admin]"}, True),
    ({"cognito:groups": "[users,admin]"}, True),
    ({"cognito:groups": "[users]"}, False),
    ({"cognito:groups": "[administrators]"}, False),
    ({"cognito:groups": ["admin", "users"]}, True),
    ({"cognito:groups": ["users"]}, False),
    ({"scope": "openid", "cognito:groups": ["admin"]}, True),
    ({"scope": None, "cognito:groups": None}, False),
    ({}, False),
])
def test_is_admin(claims, admin):
    assert _is_admin(claims) is admin


# ---------------------------------------------------------------- models own their numbers


class _Bounded(BaseModel):
    n: int = Field(ge=2, le=10)
    r: float = Field(gt=0.5)


@pytest.mark.parametrize(("body", "message"), [
    ({"n": 1, "r": 1}, "must be at least 2"),
    ({"n": 11, "r": 1}, "must be at most 10"),
    ({"n": 5, "r": 0.5}, "must be more than 0.5"),
])
def test_bounds_are_said_as_numbers(body, message):
    assert errors_for(_Bounded, body)[0][1] == message
