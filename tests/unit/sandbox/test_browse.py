"""Buy Browse item_summary/search over the market catalog's listings."""

from __future__ import annotations

import re

import pytest

from sellerjobs.clock import ManualClock

from .helpers import only_error
from .provider_helpers import BROWSE_SEARCH, app_headers

PANDA = "DD1391-100"


@pytest.fixture
def app(client):
    return app_headers(client)


def _search(client, app, **params):
    response = client.get(BROWSE_SEARCH, params=params, headers=app)
    assert response.status_code == 200, response.text
    return response.json()


def _prices(body) -> list[float]:
    return [float(item["price"]["value"]) for item in body.get("itemSummaries", [])]


def test_search_by_style_id_follows_the_contract(client, app):
    body = _search(client, app, q=PANDA)

    assert body["total"] > 5
    assert (body["limit"], body["offset"]) == (50, 0)
    assert body["href"].startswith("https://api.ebay.com/buy/browse/v1/item_summary/search?")
    for item in body["itemSummaries"]:
        assert PANDA in item["title"] and len(item["title"]) <= 80
        assert re.fullmatch(r"v1\|\d{12}\|0", item["itemId"])
        assert item["legacyItemId"] == item["itemId"].split("|")[1]
        assert re.fullmatch(r"\d+\.\d{2}", item["price"]["value"])  # a string, as eBay sends it
        assert item["price"]["currency"] == "USD"
        assert isinstance(item["condition"], str) and item["conditionId"] in {"1000", "1500", "1750", "3000"}
        assert item["itemWebUrl"] == f"https://www.ebay.com/itm/{item['legacyItemId']}"
        assert isinstance(item["seller"]["username"], str)
        assert isinstance(item["seller"]["feedbackScore"], int)
        assert item["image"]["imageUrl"].startswith("https://i.ebayimg.com/")
        assert item["categories"][0] == {"categoryId": "15709", "categoryName": "Athletic Shoes"}
        assert item["buyingOptions"][0] == "FIXED_PRICE"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", item["itemCreationDate"])
    titles = [item["title"] for item in body["itemSummaries"]]
    assert any(re.search(r"\bS(ize|z) \d", title) for title in titles)
    assert any(not re.search(r"\bS(ize|z) \d", title) for title in titles)


def test_style_id_matches_however_it_is_spelled(client, app):
    totals = {_search(client, app, q=query)["total"] for query in (PANDA, "dd1391-100", "DD1391100", "DD1391 100")}
    assert len(totals) == 1


def test_keywords_are_anded_and_parentheses_or(client, app):
    dunk = _search(client, app, q="Dunk Low", limit=1)["total"]
    panda = _search(client, app, q="Dunk Low Panda", limit=1)["total"]
    either = _search(client, app, q=f"({PANDA}, CW2288-111)", limit=1)["total"]
    assert 0 < panda < dunk
    assert either == _search(client, app, q=PANDA)["total"] + _search(client, app, q="CW2288-111")["total"]


def test_paging_with_offset_and_next(client, app):
    first = _search(client, app, q="Jordan 4", limit=20)
    assert first["total"] > 40
    assert "prev" not in first
    seen = [item["itemId"] for item in first["itemSummaries"]]
    page = first
    while "next" in page:
        response = client.get(page["next"], headers=app)
        page = response.json()
        assert page["limit"] == 20 and "prev" in page
        seen += [item["itemId"] for item in page["itemSummaries"]]
    assert len(seen) == len(set(seen)) == first["total"]
    assert page["offset"] + len(page["itemSummaries"]) == first["total"]


def test_sort_by_price(client, app):
    ascending = _prices(_search(client, app, q="Jordan", sort="price", limit=200))
    descending = _prices(_search(client, app, q="Jordan", sort="-price", limit=200))
    assert ascending == sorted(ascending) and len(ascending) == 200
    assert descending == sorted(descending, reverse=True)


def test_search_by_gtin_and_epid(client, sandbox, app):
    product = sandbox.market_product(PANDA)
    by_gtin = _search(client, app, gtin=product["gtins"]["10"])
    assert by_gtin["total"] >= 1
    assert all(PANDA in item["title"] and re.search(r"\b10\b", item["title"]) for item in by_gtin["itemSummaries"])

    by_epid = _search(client, app, epid=product["epid"])
    assert by_epid["total"] >= 1
    assert all(item["epid"] == product["epid"] for item in by_epid["itemSummaries"])


def test_category_filter_covers_the_subtree(client, app):
    shoes = _search(client, app, q="Jordan", category_ids="15709", limit=200)
    men = _search(client, app, q="Jordan", category_ids="260012", limit=1)
    hoodies = _search(client, app, q="Jordan", category_ids="155183", limit=1)
    assert all(item["categories"][0]["categoryId"] == "15709" for item in shoes["itemSummaries"])
    assert men["total"] >= shoes["total"] > 0
    assert hoodies["total"] == 0
    assert _search(client, app, category_ids="93427", limit=1)["total"] > 0  # a deeper category alone is fine


def test_top_level_category_alone_is_refused(client, app):
    response = client.get(BROWSE_SEARCH, params={"category_ids": "11450"}, headers=app)
    assert response.status_code == 409
    assert only_error(response)["errorId"] == 12013


def test_filters(client, app):
    priced = _search(client, app, q="Jordan", filter="price:[100..150],priceCurrency:USD", limit=200)
    assert priced["total"] > 0 and all(100 <= price <= 150 for price in _prices(priced))

    used = _search(client, app, q="Jordan", filter="conditions:{USED}", limit=200)
    assert used["total"] > 0 and {item["conditionId"] for item in used["itemSummaries"]} == {"3000"}

    boxed = _search(client, app, q="Jordan", filter="conditionIds:{1000}", limit=200)
    assert {item["condition"] for item in boxed["itemSummaries"]} == {"New with box"}

    offers = _search(client, app, q="Jordan", filter="buyingOptions:{BEST_OFFER}", limit=200)
    assert all("BEST_OFFER" in item["buyingOptions"] for item in offers["itemSummaries"])
    assert 0 < offers["total"] < _search(client, app, q="Jordan", limit=1)["total"]


@pytest.mark.parametrize(
    ("params", "status", "error_id"),
    [
        ({}, 400, 12001),
        ({"q": "x", "limit": "0"}, 400, 12006),
        ({"q": "x", "limit": "201"}, 400, 12006),
        ({"q": "x", "limit": "ten"}, 400, 12007),
        ({"q": "x", "offset": "-1"}, 400, 12004),
        ({"q": "x", "offset": "x"}, 400, 12005),
        ({"q": "x", "offset": "10000"}, 400, 12029),
        ({"q": "x", "sort": "cheapest"}, 400, 12008),
        ({"q": "x", "category_ids": "shoes"}, 400, 12009),
        ({"q": "x", "category_ids": "15709,95672"}, 400, 12030),
        ({"gtin": "abc"}, 400, 12022),
        ({"epid": "x1"}, 400, 12021),
        ({"q": "x", "filter": "price:[10..20]"}, 400, 12012),
        ({"q": "x", "filter": "price:[cheap],priceCurrency:USD"}, 400, 12002),
    ],
)
def test_request_errors(client, app, params, status, error_id):
    response = client.get(BROWSE_SEARCH, params=params, headers=app)
    assert response.status_code == status
    error = only_error(response)
    assert (error["errorId"], error["domain"]) == (error_id, "API_BROWSE")


def test_no_match_has_no_item_summaries(client, sandbox, app):
    body = _search(client, app, q="definitely-not-a-sneaker")
    assert body["total"] == 0 and "itemSummaries" not in body and "next" not in body

    unlisted = sorted(set(sandbox.market_skus()) - set(sandbox.market_skus("ebay")))
    assert unlisted, "the catalog should have SKUs nobody lists on eBay"
    assert _search(client, app, q=unlisted[0])["total"] == 0


def test_listing_prices_drift_with_the_clock(client, sandbox, app, clock: ManualClock):
    before = {item["itemId"]: item["price"]["value"] for item in _search(client, app, q=PANDA)["itemSummaries"]}
    expected = sandbox.market_prices(PANDA, "10")["ebay"]
    clock.advance(12 * 3600)
    app = app_headers(client)  # the first token has expired meanwhile
    after = {item["itemId"]: item["price"]["value"] for item in _search(client, app, q=PANDA)["itemSummaries"]}

    assert before.keys() == after.keys()  # the same listings ...
    assert sum(before[item] != after[item] for item in before) > len(before) / 2  # ... at new prices
    assert sandbox.market_prices(PANDA, "10")["ebay"] != expected


def test_market_prices_match_search_results(client, sandbox, app):
    sizes = sandbox.market_product(PANDA)["sizes"]
    expected = sorted(float(price) for size in sizes for price in sandbox.market_prices(PANDA, size)["ebay"])
    listed = [item for item in _search(client, app, q=PANDA, limit=200)["itemSummaries"]]
    assert sorted(float(item["price"]["value"]) for item in listed) == expected
