"""The market catalog shared by StockX, Alias and Browse: size, identities, determinism, drift."""

from __future__ import annotations

import re

import httpx

from local.sandbox import MarketplaceSandbox
from sellerjobs.clock import ManualClock

from .provider_helpers import ALIAS, ALIAS_PAT, STOCKX, add_stockx_client, alias_headers, stockx_headers

KNOWN = {"DD1391-100", "CW2288-111", "FQ1759-100", "554724-136", "DZ5485-612", "CP9366", "BB550WT1"}


def _valid_upc(code: str) -> bool:
    digits = [int(digit) for digit in code]
    return len(code) == 12 and (sum(digits[0:11:2]) * 3 + sum(digits[1:11:2]) + digits[11]) % 10 == 0


def test_a_few_hundred_skus_with_sizes(sandbox):
    skus = sandbox.market_skus()
    assert len(skus) in range(200, 601)
    assert len(set(skus)) == len(skus)
    assert set(skus) >= KNOWN
    stockx, alias = set(sandbox.market_skus("stockx")), set(sandbox.market_skus("alias"))
    assert stockx - alias and alias - stockx  # some SKUs exist on only one provider
    assert set(sandbox.market_skus("ebay")) < set(skus)

    gtins = []
    for sku in skus[:80]:
        product = sandbox.market_product(sku)
        assert product["sizes"]
        gtins += product["gtins"].values()
    assert all(_valid_upc(gtin) for gtin in gtins) and len(gtins) == len(set(gtins))


def test_product_identities(sandbox):
    panda = sandbox.market_product("DD1391-100")
    assert panda["title"] == "Nike Dunk Low Retro White Black Panda"
    assert panda["sizes"][:3] == ["4", "4.5", "5"] and panda["sizes"][-2:] == ["14", "15"]
    assert re.fullmatch(r"[0-9a-f-]{36}", panda["stockxProductId"])
    assert set(panda["stockxVariantIds"]) == set(panda["sizes"])
    assert panda["aliasCatalogId"] == "dunk-low-retro-white-black-panda-dd1391-100"
    assert panda["categoryId"] == "15709" and panda["epid"].isdigit()

    streetwear = [sku for sku in sandbox.market_skus() if sandbox.market_product(sku)["productType"] == "streetwear"]
    assert streetwear
    hoodie = sandbox.market_product(streetwear[0])
    assert hoodie["sizes"] == ["XS", "S", "M", "L", "XL", "XXL"] and hoodie["aliasCatalogId"] is None


def _fresh(skus: int | None = None, seed: int = 0) -> MarketplaceSandbox:
    sb = MarketplaceSandbox(clock=ManualClock())
    if skus is not None:
        sb.use_market_catalog(skus, seed)
    return sb


def test_same_seed_same_catalog_and_prices():
    first, second = _fresh(), _fresh()
    assert first.market_skus() == second.market_skus()
    for sku in ("DD1391-100", first.market_skus()[-1]):
        assert first.market_product(sku) == second.market_product(sku)
        assert first.market_prices(sku, first.market_product(sku)["sizes"][3]) == second.market_prices(
            sku, second.market_product(sku)["sizes"][3]
        )

    responses = []
    for sb in (first, second):
        add_stockx_client(sb)
        sb.add_alias_token(ALIAS_PAT)
        with httpx.Client(transport=httpx.MockTransport(sb.handle), base_url="https://api.stockx.com") as client:
            headers = stockx_headers(client)
            search = client.get(f"{STOCKX}/catalog/search", params={"query": "Jordan", "pageSize": 50}, headers=headers)
            catalog = client.get(f"{ALIAS}/catalog", params={"query": "Jordan"}, headers=alias_headers())
            responses.append((search.content, catalog.content))
    assert responses[0] == responses[1]


def test_generated_catalogs_follow_their_seed():
    small, same, other = _fresh(40, 3), _fresh(40, 3), _fresh(40, 4)
    assert len(small.market_skus()) == 40
    assert small.market_skus() == same.market_skus()
    assert small.market_skus() != other.market_skus()
    assert small.market_skus()[:20] == other.market_skus()[:20]  # the real releases come first


def test_prices_drift_slowly(sandbox, clock: ManualClock):
    sizes = sandbox.market_product("DZ5485-612")["sizes"]

    def asks() -> list[int]:
        return [int(sandbox.market_prices("DZ5485-612", size)["stockx"]["lowestAskAmount"] or 0) for size in sizes]

    start = asks()
    assert asks() == start
    clock.advance(60)
    minute = asks()
    clock.advance(86_400)
    day = asks()
    assert sum(abs(a - b) for a, b in zip(start, minute, strict=True)) <= len(sizes)  # barely moves in a minute
    assert sum(a != b for a, b in zip(start, day, strict=True)) > len(sizes) / 2
    assert all(abs(a - b) <= 0.2 * a for a, b in zip(start, day, strict=True) if a and b)
