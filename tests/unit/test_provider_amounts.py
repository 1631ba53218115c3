"""Reading what providers and our secret send as text: money amounts, sizes, style ids, credentials."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from sellerjobs.providers.amounts import highest, lowest, parse_amount, parse_cents, size_key, style_key
from sellerjobs.providers.credentials import AliasCredentials, MarketCredentials, StockXCredentials

# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize(("raw", "expected"), [
    ("137", Decimal("137")),           # StockX whole units
    ("137.50", Decimal("137.50")),     # StockX with cents; the scale is kept
    ("110.95", Decimal("110.95")),     # eBay Browse price.value
    (" 110.95\n", Decimal("110.95")),
    ("0", Decimal("0")),
    ("0.99", Decimal("0.99")),
    (137, Decimal("137")),
    (137.5, Decimal("137.5")),
    (137.0, Decimal("137")),
])  # fmt: skip
def test_parse_amount(raw, expected):
    parsed = parse_amount(raw)
    assert parsed == expected
    assert str(parsed) == str(expected)


@pytest.mark.parametrize("raw", [
    None, "", "   ", "null", "abc", "12o", "-5", "+5", "1e3", "1E+3", "NaN", "Infinity", "inf", "1,234.50",
    "$137", "137 USD", "1.2.3", ".5", "5.", True, False, float("nan"), math.inf, -1.5, [], {}, {"value": "1"},
    "9" * 40,
])  # fmt: skip
def test_parse_amount_garbage_is_none(raw):
    assert parse_amount(raw) is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("12700", Decimal("127.00")),
    ("12750", Decimal("127.50")),
    ("5", Decimal("0.05")),
    ("0", Decimal("0.00")),
    (12700, Decimal("127.00")),
    (12700.0, Decimal("127.00")),
])  # fmt: skip
def test_parse_cents(raw, expected):
    parsed = parse_cents(raw)
    assert parsed == expected
    assert str(parsed) == str(expected)  # always two places: "127.00"


@pytest.mark.parametrize("raw", [None, "", "127.00", "12700.5", "-100", "1e4", "abc", True, 12.5, float("inf")])
def test_parse_cents_garbage_is_none(raw):
    assert parse_cents(raw) is None


def test_lowest_and_highest_skip_missing_figures():
    figures = [None, Decimal("120"), Decimal("99.50"), None, Decimal("130")]
    assert (lowest(figures), highest(figures)) == (Decimal("99.50"), Decimal("130"))
    assert lowest([None, None]) is None and highest([]) is None
    assert lowest(iter([Decimal("1")])) == Decimal("1")  # any iterable, read once


# ---------------------------------------------------------------- sizes and style ids


@pytest.mark.parametrize(("raw", "expected"), [
    ("10", "10"), ("10.0", "10"), (" 10 ", "10"), ("10.50", "10.5"), (10, "10"), (10.0, "10"), (10.5, "10.5"),
    ("100", "100"), ("m", "M"), ("xl", "XL"), (" 5y ", "5Y"), ("US  10", "US 10"), ("0", "0"),
])  # fmt: skip
def test_size_key(raw, expected):
    assert size_key(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", True, [], {}])
def test_size_key_of_nothing_is_none(raw):
    assert size_key(raw) is None


@pytest.mark.parametrize("spelling", ["DD1391-100", "DD1391 100", "dd1391-100", "DD1391100", " DD1391 - 100 "])
def test_style_key(spelling):
    assert style_key(spelling) == "DD1391100"


# ---------------------------------------------------------------- credentials

SECRET_VALUES = ("sx-key-SECRET", "sx-secret-SECRET", "sx-refresh-SECRET", "alias-pat-SECRET")
FULL = {"stockx": {"apiKey": "sx-key-SECRET", "clientId": "sx-client", "clientSecret": "sx-secret-SECRET",
                   "refreshToken": "sx-refresh-SECRET"},
        "alias": {"token": "alias-pat-SECRET"}}


def test_credentials_parse_from_json():
    parsed = MarketCredentials.from_json(json.dumps(FULL))
    assert parsed.require_stockx() == StockXCredentials(api_key="sx-key-SECRET", client_id="sx-client",
                                                        client_secret="sx-secret-SECRET",
                                                        refresh_token="sx-refresh-SECRET")
    assert parsed.require_alias() == AliasCredentials(token="alias-pat-SECRET")
    assert MarketCredentials.from_json(json.dumps(FULL).encode()) == parsed


def test_repr_shows_no_secret():
    parsed = MarketCredentials.from_dict(FULL)
    for text in (repr(parsed), str(parsed), repr(parsed.stockx), repr(parsed.alias)):
        assert not any(secret in text for secret in SECRET_VALUES), text
    assert "sx-client" in repr(parsed.stockx)  # the client id is not a secret, and helps when reading logs


@pytest.mark.parametrize(("section", "key"), [
    ("stockx", "apiKey"), ("stockx", "clientId"), ("stockx", "clientSecret"), ("stockx", "refreshToken"),
    ("alias", "token"),
])  # fmt: skip
def test_a_missing_key_is_named(section, key):
    raw = json.loads(json.dumps(FULL))
    del raw[section][key]
    with pytest.raises(ValueError, match=rf"'{section}\.{key}' is missing") as raised:
        MarketCredentials.from_dict(raw)
    assert not any(secret in str(raised.value) for secret in SECRET_VALUES)


@pytest.mark.parametrize("value", ["", "   ", 12345, None, ["x"]])
def test_a_blank_or_non_string_value_is_named_not_echoed(value):
    raw = json.loads(json.dumps(FULL))
    raw["stockx"]["clientSecret"] = value
    with pytest.raises(ValueError, match=r"'stockx\.clientSecret' must be a non-empty string") as raised:
        MarketCredentials.from_dict(raw)
    assert "12345" not in str(raised.value)


def test_a_section_may_be_left_out_but_is_then_required_by_its_client():
    only_alias = MarketCredentials.from_dict({"alias": FULL["alias"]})
    assert only_alias.stockx is None
    with pytest.raises(ValueError, match="no 'stockx' section"):
        only_alias.require_stockx()
    with pytest.raises(ValueError, match="no 'alias' section"):
        MarketCredentials.from_dict({"stockx": FULL["stockx"]}).require_alias()


@pytest.mark.parametrize("raw", [["stockx"], "stockx", None, {"stockx": "sx-key-SECRET"}])
def test_a_malformed_document_is_refused(raw):
    with pytest.raises(ValueError, match="market credentials") as raised:
        MarketCredentials.from_dict(raw)
    assert "sx-key-SECRET" not in str(raised.value)


def test_invalid_json_is_refused_without_echoing_it():
    text = '{"stockx": {"apiKey": "sx-key-SECRET", '
    with pytest.raises(ValueError, match="not valid JSON") as raised:
        MarketCredentials.from_json(text)
    assert "SECRET" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
