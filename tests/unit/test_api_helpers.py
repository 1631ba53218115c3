"""The API's pure helpers: field paths, validation errors and the admin claim."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from pydantic import ValidationError

from sellerjobs.api import ApiError, _is_admin, field_path, validate, validation_error
from sellerjobs.promotions.requests import CredentialsRequest, PromotionBatchRequest, PromotionRequest

CONTEXT: dict[str, Any] = {"bid_bounds": (2.0, 100.0), "max_batch": 500}


def caught_validation_error(model: Any, body: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body, context=CONTEXT)
    return caught.value


# ---------------------------------------------------------------- field_path


@pytest.mark.parametrize(("loc", "path"), [
    (("batch", 3, "adRate"), "batch[3].adRate"),
    (("adRate",), "adRate"),
    (("batch",), "batch"),
    (("batch", 0), "batch[0]"),
    (("a", "b", "c"), "a.b.c"),
    (("batch", 2, "items", 1, "x"), "batch[2].items[1].x"),
    ((), "body"),
])
def test_field_path(loc, path):
    assert field_path(loc) == path


# ---------------------------------------------------------------- validation_error


def test_validation_error_is_a_400_naming_the_field():
    items = [{"listingId": f"17768109866{i}", "adRate": 5} for i in range(5)]
    items[3]["adRate"] = 5.55
    exc = caught_validation_error(PromotionBatchRequest, {"batch": items})

    error = validation_error(exc)

    assert isinstance(error, ApiError)
    assert error.status == HTTPStatus.BAD_REQUEST
    assert error.errors == [{"field": "batch[3].adRate", "message": "must have at most one decimal place"}]
    assert error.message == "batch[3].adRate: must have at most one decimal place"


def test_validation_error_drops_pydantics_value_error_prefix():
    exc = caught_validation_error(PromotionRequest, {"listingId": "177681098666", "adRate": True})
    assert exc.errors()[0]["msg"].startswith("Value error, ")  # what pydantic says

    error = validation_error(exc)

    assert error.errors == [{"field": "adRate", "message": "must be a number"}]
    assert "Value error" not in error.message


def test_validation_error_keeps_pydantics_own_messages():
    exc = caught_validation_error(PromotionRequest, {"adRate": 5})

    error = validation_error(exc)

    assert error.errors[0]["field"] == "listingId"
    assert error.errors[0]["message"] == "Field required"


def test_a_listing_id_error_says_what_an_item_id_looks_like():
    exc = caught_validation_error(PromotionRequest, {"listingId": "12", "adRate": 5})

    assert validation_error(exc).errors[0]["message"] == "must be an eBay item id: 6 to 19 digits"


def test_validation_error_lists_every_field_and_leads_with_the_first():
    exc = caught_validation_error(PromotionRequest, {"listingId": "12", "adRate": 1, "colour": "red"})

    error = validation_error(exc)

    assert [e["field"] for e in error.errors] == ["listingId", "adRate", "colour"]
    assert error.message.startswith("listingId: ")


def test_validation_error_never_echoes_the_input():
    token = "x" * 4097
    exc = caught_validation_error(CredentialsRequest, {"refreshToken": token})

    error = validation_error(exc)

    assert error.errors[0]["field"] == "refreshToken"
    assert "xxxxxxxx" not in error.message
    assert all("xxxxxxxx" not in e["message"] for e in error.errors)


def test_validate_returns_the_model_or_raises_the_api_error():
    ok = validate(PromotionRequest, {"listingId": "177681098666", "adRate": "5"}, CONTEXT)
    assert ok.listingId == "177681098666"

    with pytest.raises(ApiError) as caught:
        validate(PromotionBatchRequest, {"batch": []}, CONTEXT)

    assert caught.value.status == HTTPStatus.BAD_REQUEST
    assert caught.value.errors[0]["field"] == "batch"


def test_validate_passes_the_context_through():
    with pytest.raises(ApiError) as caught:
        validate(PromotionBatchRequest, {"batch": [{"listingId": "177681098666", "adRate": 5}] * 2},
                 {"max_batch": 1})

    assert caught.value.errors == [{"field": "batch", "message": "at most 1 listings per batch"}]


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
