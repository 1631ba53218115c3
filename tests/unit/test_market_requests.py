"""The market API's request bodies: checked at the door, with the culprit named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from sellerjobs.market.job import Priority, Provider
from sellerjobs.market.requests import MAX_ITEMS, EnqueueRequest, PathSku, RefreshRequest


def enqueue(**body: Any) -> EnqueueRequest:
    return EnqueueRequest.model_validate({"provider": "stockx", **body})


def refresh(items: list[dict[str, Any]]) -> RefreshRequest:
    return RefreshRequest.model_validate({"provider": "alias", "items": items})


def only_error(call: Callable[[], BaseModel]) -> ErrorDetails:
    with pytest.raises(ValidationError) as caught:
        call()
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return errors[0]


# ---------------------------------------------------------------- enqueue: good


def test_one_item_with_a_size():
    request = enqueue(sku="DD1391-100", size="10.5", priority=150)

    assert (request.provider, request.priority) == (Provider.STOCKX, Priority.HOT)
    assert request.pairs() == [("DD1391-100", "10.5")]


def test_one_item_without_a_size_at_background_priority():
    request = enqueue(sku="555088 134")

    assert request.priority == Priority.BACKGROUND
    assert request.pairs() == [("555088 134", None)]


def test_skus_and_sizes_are_trimmed():
    assert enqueue(sku="  DD1391-100 ", size=" W 7 ").pairs() == [("DD1391-100", "W 7")]


@pytest.mark.parametrize("sku", ["DD1391-100", "555088 134", "a", "FZ5808.001", "B/W#2+1", "x" * 64])
def test_style_codes_as_the_providers_spell_them(sku: str):
    assert enqueue(sku=sku).pairs() == [(sku, None)]


@pytest.mark.parametrize("size", ["10", "10.5", "W 7", "UK 9", "XL", "5Y", "9.5 (US)", "S/M", "x" * 16])
def test_sizes_as_inventories_call_them(size: str):
    assert enqueue(sku="A", size=size).pairs() == [("A", size)]


def test_a_list_of_items():
    request = enqueue(items=[{"sku": "A", "size": "9"}, {"sku": "B"}], priority=200)

    assert request.pairs() == [("A", "9"), ("B", None)]
    assert request.priority == Priority.MANUAL


def test_up_to_a_hundred_items():
    items = [{"sku": f"S{i}"} for i in range(MAX_ITEMS)]

    assert len(enqueue(items=items).pairs()) == MAX_ITEMS == 100


@pytest.mark.parametrize("priority", [1, 100, 150, 200])
def test_priorities_within_bounds(priority: int):
    assert enqueue(sku="A", priority=priority).priority == priority


# ---------------------------------------------------------------- enqueue: bad


@pytest.mark.parametrize("sku", ["", "   ", "-A", " .A", "a|b", "DD1391\t100", "DD1391-100é", "x" * 65, "A;B"])
def test_a_bad_sku_is_refused(sku: str):
    error = only_error(lambda: enqueue(sku=sku))

    assert error["loc"] == ("sku",)


@pytest.mark.parametrize("size", ["", "(10)", "10|11", "x" * 17, "10\n11"])
def test_a_bad_size_is_refused(size: str):
    error = only_error(lambda: enqueue(sku="A", size=size))

    assert error["loc"] == ("size",)


def test_a_bar_is_refused_in_an_item_too():
    error = only_error(lambda: enqueue(items=[{"sku": "A"}, {"sku": "A", "size": "9|10"}]))

    assert error["loc"] == ("items", 1, "size")


def test_neither_sku_nor_items_is_refused():
    error = only_error(lambda: enqueue())

    assert error["loc"] == ()
    assert "either sku" in error["msg"]


def test_both_sku_and_items_are_refused():
    error = only_error(lambda: enqueue(sku="A", items=[{"sku": "B"}]))

    assert "not both" in error["msg"]


def test_a_size_beside_items_is_refused():
    error = only_error(lambda: enqueue(size="10", items=[{"sku": "B"}]))

    assert "size belongs inside each of items" in error["msg"]


def test_an_empty_item_list_is_refused():
    assert only_error(lambda: enqueue(items=[]))["loc"] == ("items",)


def test_more_items_are_refused():
    items = [{"sku": f"S{i}"} for i in range(MAX_ITEMS + 1)]

    error = only_error(lambda: enqueue(items=items))

    assert (error["loc"], error["type"]) == (("items",), "too_long")


@pytest.mark.parametrize("priority", [0, -1, 201, 999, "high"])
def test_a_priority_out_of_bounds_is_refused(priority: object):
    assert only_error(lambda: enqueue(sku="A", priority=priority))["loc"] == ("priority",)


def test_an_unknown_provider_is_refused():
    assert only_error(lambda: enqueue(provider="goat", sku="A"))["loc"] == ("provider",)


def test_extra_fields_are_refused():
    error = only_error(lambda: enqueue(sku="A", note="please hurry"))

    assert (error["loc"], error["type"]) == (("note",), "extra_forbidden")


def test_extra_fields_in_an_item_are_refused():
    error = only_error(lambda: enqueue(items=[{"sku": "A", "colour": "red"}]))

    assert (error["loc"], error["type"]) == (("items", 0, "colour"), "extra_forbidden")


def test_a_request_is_immutable():
    request = enqueue(sku="A")

    with pytest.raises(ValidationError):
        request.sku = "B"


# ---------------------------------------------------------------- refresh


def test_a_refresh_lists_items():
    request = refresh([{"sku": "A", "size": "10"}, {"sku": "B"}])

    assert request.provider is Provider.ALIAS
    assert request.pairs() == [("A", "10"), ("B", None)]


@pytest.mark.parametrize(("body", "loc"), [
    ({"provider": "alias"}, ("items",)),
    ({"provider": "alias", "items": []}, ("items",)),
    ({"provider": "alias", "items": [{"sku": "A|B"}]}, ("items", 0, "sku")),
    ({"provider": "alias", "sku": "A", "items": [{"sku": "A"}]}, ("sku",)),
    ({"provider": "alias", "items": [{"sku": "A"}], "priority": 200}, ("priority",)),
])
def test_a_bad_refresh_names_the_field(body: dict[str, Any], loc: tuple[str | int, ...]):
    assert only_error(lambda: RefreshRequest.model_validate(body))["loc"] == loc


def test_a_refresh_has_the_item_bound_too():
    error = only_error(lambda: refresh([{"sku": f"S{i}"} for i in range(MAX_ITEMS + 1)]))

    assert error["loc"] == ("items",)


# ---------------------------------------------------------------- a sku in a path


@pytest.mark.parametrize(("raw", "sku"), [("DD1391-100", "DD1391-100"), ("555088%20134", "555088 134"),
                                          ("B%2FW%232", "B/W#2")])
def test_a_sku_in_a_path_is_read_as_sent(raw: str, sku: str):
    assert TypeAdapter(PathSku).validate_python(raw) == sku


def test_a_bad_sku_in_a_path_is_refused_after_decoding():
    with pytest.raises(ValidationError):
        TypeAdapter(PathSku).validate_python("A%7CB")  # "A|B"
