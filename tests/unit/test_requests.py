"""The promotion API's request bodies: eBay's rules checked at the door."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from sellerjobs.api.messages import field_path
from sellerjobs.promotions.requests import CredentialsRequest, PromotionBatchRequest, PromotionRequest, QueueRequest
from sellerjobs.promotions.service import NewPromotion

LISTING = "177681098666"


def single(**body: Any) -> PromotionRequest:
    return PromotionRequest.model_validate(body)


def batch(items: list[dict[str, Any]]) -> PromotionBatchRequest:
    return PromotionBatchRequest.model_validate({"batch": items})


def errors_of(call: Any) -> list[ErrorDetails]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors()


def only_error(call: Any) -> ErrorDetails:
    errors = errors_of(call)
    assert len(errors) == 1, errors
    return errors[0]


# ---------------------------------------------------------------- valid bodies


def test_valid_single_request():
    request = single(listingId=LISTING, adRate=5, campaignId="151310691012")

    assert request.listingId == LISTING
    assert request.adRate == Decimal("5.0")
    assert request.campaignId == "151310691012"


def test_campaign_is_optional():
    assert single(listingId=LISTING, adRate=5).campaignId is None


def test_valid_batch_keeps_order():
    request = batch([{"listingId": "177681098666", "adRate": 5},
                     {"listingId": "177681098667", "adRate": "7.5", "campaignId": "1"}])

    assert [r.listingId for r in request.batch] == ["177681098666", "177681098667"]
    assert [r.adRate for r in request.batch] == [Decimal("5.0"), Decimal("7.5")]


def test_to_new_carries_the_fields_to_the_service():
    new = single(listingId=LISTING, adRate="7.5", campaignId="42").to_new()

    assert new == NewPromotion(listing_id=LISTING, ad_rate=Decimal("7.5"), campaign_id="42")


# ---------------------------------------------------------------- listingId


@pytest.mark.parametrize("listing_id", ["123456", "1234567890123456789", "177681098666"])
def test_listing_id_of_6_to_19_digits_is_accepted(listing_id):
    assert single(listingId=listing_id, adRate=5).listingId == listing_id


@pytest.mark.parametrize("listing_id", ["12345", "12345678901234567890", "17768109866a", "", " 177681098666",
                                        "177681098666\n", "-177681098"])
def test_listing_id_must_be_6_to_19_digits(listing_id):
    error = only_error(lambda: single(listingId=listing_id, adRate=5))

    assert error["loc"] == ("listingId",)


def test_listing_id_is_required():
    error = only_error(lambda: single(adRate=5))

    assert error["loc"] == ("listingId",)
    assert error["type"] == "missing"


# ---------------------------------------------------------------- adRate


@pytest.mark.parametrize(("value", "expected"), [
    (5, Decimal("5.0")),
    (5.5, Decimal("5.5")),
    ("7", Decimal("7.0")),
    ("7.5", Decimal("7.5")),
    (" 7.5 ", Decimal("7.5")),
    (2, Decimal("2.0")),
    (2.0, Decimal("2.0")),
    (100, Decimal("100.0")),
    ("100.0", Decimal("100.0")),
    ("5.50", Decimal("5.5")),
])
def test_ad_rate_accepts_numbers_and_numeric_strings(value, expected):
    rate = single(listingId=LISTING, adRate=value).adRate

    assert rate == expected
    assert str(rate) == str(expected)  # normalised to one decimal


@pytest.mark.parametrize("value", [5.55, "5.55", 2.05, "99.99"])
def test_ad_rate_has_at_most_one_decimal(value):
    error = only_error(lambda: single(listingId=LISTING, adRate=value))

    assert error["loc"] == ("adRate",)
    assert "at most one decimal place" in error["msg"]


@pytest.mark.parametrize("value", [1.9, "1.9", 0, -5, 100.1, "101", 1000])
def test_ad_rate_must_be_within_ebays_bounds(value):
    error = only_error(lambda: single(listingId=LISTING, adRate=value))

    assert error["loc"] == ("adRate",)
    assert "must be between 2.0 and 100.0" in error["msg"]


@pytest.mark.parametrize("value", [True, False, None, "five", "", "5%", "1e1", "nan", "inf", [5], {"v": 5}])
def test_ad_rate_must_be_a_number(value):
    error = only_error(lambda: single(listingId=LISTING, adRate=value))

    assert error["loc"] == ("adRate",)
    assert "must be a number" in error["msg"]


def test_ad_rate_is_required():
    error = only_error(lambda: single(listingId=LISTING))

    assert error["loc"] == ("adRate",)


@pytest.mark.parametrize("value", ["9" * 40, "1" + "0" * 5000, "²", "٣", "5e1"])
def test_ad_rate_refuses_unreasonable_numbers_in_words(value):
    error = only_error(lambda: single(listingId=LISTING, adRate=value))

    assert error["loc"] == ("adRate",)
    assert error["msg"] == "Value error, must be a number"


# ---------------------------------------------------------------- campaignId


@pytest.mark.parametrize("campaign_id", ["abc", "", "12-34", "12345678901234567890", "1 2"])
def test_campaign_id_must_be_digits(campaign_id):
    error = only_error(lambda: single(listingId=LISTING, adRate=5, campaignId=campaign_id))

    assert error["loc"] == ("campaignId",)


# ---------------------------------------------------------------- unknown fields


def test_unknown_fields_are_rejected():
    error = only_error(lambda: single(listingId=LISTING, adRate=5, bidPercentage="5.0"))

    assert error["loc"] == ("bidPercentage",)
    assert error["type"] == "extra_forbidden"


def test_unknown_fields_are_rejected_in_batch_items_and_beside_the_batch():
    errors = errors_of(lambda: PromotionBatchRequest.model_validate(
        {"batch": [{"listingId": LISTING, "adRate": 5, "extra": 1}], "dryRun": True}))

    assert {e["loc"] for e in errors} == {("batch", 0, "extra"), ("dryRun",)}


def test_requests_are_frozen():
    request = single(listingId=LISTING, adRate=5)

    with pytest.raises(ValidationError):
        request.listingId = "999999"


# ---------------------------------------------------------------- batch


def test_batch_error_names_the_item_and_field():
    items = [{"listingId": f"17768109866{i}", "adRate": 5} for i in range(5)]
    items[3]["adRate"] = 5.55

    error = only_error(lambda: batch(items))

    assert error["loc"] == ("batch", 3, "adRate")


def test_batch_reports_every_bad_item():
    items = [{"listingId": "1", "adRate": 5}, {"listingId": LISTING, "adRate": 5},
             {"listingId": LISTING, "adRate": True}]

    errors = errors_of(lambda: batch(items))

    assert [e["loc"] for e in errors] == [("batch", 0, "listingId"), ("batch", 2, "adRate")]


def test_empty_batch_is_rejected():
    error = only_error(lambda: batch([]))

    assert error["loc"] == ("batch",)
    assert error["type"] == "too_short"


def test_batch_up_to_max_batch_is_accepted():
    items = [{"listingId": str(100000 + i), "adRate": 5} for i in range(500)]

    assert len(batch(items).batch) == 500


def test_batch_over_max_batch_is_rejected():
    items = [{"listingId": str(100000 + i), "adRate": 5} for i in range(501)]

    error = only_error(lambda: batch(items))

    assert error["loc"] == ("batch",)
    assert (error["type"], error["ctx"]["max_length"]) == ("too_long", 500)


def test_batch_must_be_a_list():
    error = only_error(lambda: PromotionBatchRequest.model_validate({"batch": {"listingId": LISTING}}))

    assert error["loc"] == ("batch",)


def test_a_listing_named_twice_alike_is_one_listing_and_a_duplicate():
    request = batch([{"listingId": LISTING, "adRate": 5}, {"listingId": "177681098667", "adRate": 5},
                     {"listingId": LISTING, "adRate": "5.0"}, {"listingId": LISTING, "adRate": 5}])

    assert request.duplicates() == [LISTING]


def test_a_listing_named_twice_with_other_terms_is_refused():
    error = only_error(lambda: batch([{"listingId": LISTING, "adRate": 5}, {"listingId": LISTING, "adRate": 7}]))

    assert error["loc"] == ("batch",)
    assert "batch[1] names listing 177681098666 again with another adRate" in error["msg"]


# ---------------------------------------------------------------- one listing or a batch


QUEUE = TypeAdapter(QueueRequest)


def test_a_body_with_batch_is_a_batch_and_any_other_one_listing():
    assert isinstance(QUEUE.validate_python({"batch": [{"listingId": LISTING, "adRate": 5}]}), PromotionBatchRequest)
    assert isinstance(QUEUE.validate_python({"listingId": LISTING, "adRate": 5}), PromotionRequest)


@pytest.mark.parametrize(("body", "field"), [
    ({"listingId": "1", "adRate": 5}, "listingId"),
    ({"batch": [{"listingId": LISTING, "adRate": 0}]}, "batch[0].adRate"),
    ({"batch": [], "listingId": LISTING}, "batch"),
    ([], "body"),
])
def test_errors_of_either_shape_name_the_field_not_the_shape(body, field):
    with pytest.raises(ValidationError) as caught:
        QUEUE.validate_python(body)

    assert field_path(("body", *caught.value.errors()[0]["loc"])) == field


# ---------------------------------------------------------------- credentials


TOKEN = "v^1.1#i^1#secret-refresh-token-0123456789"


def test_credentials_request_accepts_a_token():
    assert CredentialsRequest.model_validate({"refreshToken": TOKEN}).refreshToken.get_secret_value() == TOKEN


@pytest.mark.parametrize("token", ["", "short", "x" * 15, "x" * 4097])
def test_credentials_request_length_is_checked(token):
    error = only_error(lambda: CredentialsRequest.model_validate({"refreshToken": token}))

    assert error["loc"] == ("refreshToken",)


def test_credentials_request_minimum_is_16_characters():
    assert CredentialsRequest.model_validate({"refreshToken": "x" * 16}).refreshToken.get_secret_value() == "x" * 16


def test_credentials_request_rejects_unknown_fields():
    error = only_error(lambda: CredentialsRequest.model_validate({"refreshToken": TOKEN, "userId": "bob"}))

    assert error["loc"] == ("userId",)


def test_credentials_repr_never_shows_the_token():
    request = CredentialsRequest.model_validate({"refreshToken": TOKEN})

    assert TOKEN not in repr(request)
    assert TOKEN not in repr([request])


def test_credentials_str_never_shows_the_token():
    request = CredentialsRequest.model_validate({"refreshToken": TOKEN})

    assert TOKEN not in str(request)
    assert TOKEN not in f"{request}"
