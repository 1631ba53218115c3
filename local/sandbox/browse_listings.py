"""Active eBay listings for the market catalog's SKUs, as Browse's item_summary/search finds them.

Usually two to four listings per SKU and size (rarely none), from a pool of sellers, new and pre-owned, most titled the
way sneaker sellers write them (style id and size in the title), some without the size. Each
listing's price is its seller's markup on the size's drifting fair value (``market_prices``).
Listings and their search index are built once per catalog and cached with it.
"""

from __future__ import annotations

import base64
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache

from local.sandbox.market_catalog import MarketCatalog, MarketProduct, MarketVariant, normalize_sku

# Listing creation times are spread over the 90 days before this instant (2025-12-01T00:00:00Z).
_CREATED_BEFORE = 1_764_547_200
_TITLE_LIMIT = 80  # eBay's maximum title length

_SELLERS = (
    "kicksplug_nyc", "solecollector88", "heatcheck_resale", "grailsonly", "sneakervault_la", "dsdeals",
    "the.shoe.shelf", "boxfresh-kicks", "laced_up_usa", "midwest_soles", "hypehouse.resale", "cop_or_drop22",
    "retro_kingz", "pairs.and.spares", "deadstock_depot", "fitfinds_co", "streetwear.stash", "kickclub_atl",
)  # fmt: skip

# (condition text, conditionId, share) for shoes; apparel uses tags wording.
_SHOE_CONDITIONS = (("New with box", "1000", 0.78), ("New without box", "1500", 0.05),
                    ("New with defects", "1750", 0.03), ("Pre-owned", "3000", 0.14))  # fmt: skip
_APPAREL_CONDITIONS = (("New with tags", "1000", 0.8), ("New without tags", "1500", 0.06),
                       ("Pre-owned", "3000", 0.14))  # fmt: skip
NEW_CONDITION_IDS = frozenset({"1000", "1500", "1750"})
USED_CONDITION_IDS = frozenset({"3000"})


@dataclass(frozen=True)
class BrowseListing:
    legacy_id: str
    product: MarketProduct
    variant: MarketVariant
    title: str
    seller: str
    feedback_score: int
    feedback_percentage: str
    condition: str
    condition_id: str
    price_factor: float
    price_ending: str
    shipping_cost: str
    buying_options: tuple[str, ...]
    created_at: int
    image_key: str
    postal_code: str
    with_epid: bool
    top_rated: bool

    @property
    def item_id(self) -> str:
        return f"v1|{self.legacy_id}|0"


@dataclass(frozen=True, eq=False)
class ListingIndex:
    listings: tuple[BrowseListing, ...]
    tokens: dict[str, set[int]] = field(default_factory=dict)
    by_gtin: dict[str, set[int]] = field(default_factory=dict)
    by_epid: dict[str, set[int]] = field(default_factory=dict)
    by_size: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index, listing in enumerate(self.listings):
            self.by_size.setdefault((listing.product.sku, listing.variant.size), []).append(index)
            for token in listing_tokens(listing):
                self.tokens.setdefault(token, set()).add(index)
            # Only a listing whose title names its size is tied to that size's barcode.
            if listing.variant.size in listing.title.split():
                self.by_gtin.setdefault(listing.variant.gtin, set()).add(index)
            if listing.with_epid:
                self.by_epid.setdefault(listing.product.epid, set()).add(index)


def tokens_of(text: str) -> set[str]:
    """Lower-case words of ``text``, plus the parts of hyphenated/slashed words ("dd1391-100")."""
    found: set[str] = set()
    for word in text.split():
        found.update(_word_tokens(word))
    return found


@lru_cache(maxsize=65_536)
def _word_tokens(word: str) -> tuple[str, ...]:
    # Titles repeat the same few hundred words thousands of times; tokenise each word once.
    word = word.lower().strip("'\"()[],.!:;")
    if not word:
        return ()
    return (word, *(part for part in re.split(r"[-/]", word) if part and part != word))


def listing_tokens(listing: BrowseListing) -> set[str]:
    # Buyers type style ids with or without the hyphen, so both spellings match.
    return tokens_of(listing.title) | {normalize_sku(listing.product.sku).lower()}


@lru_cache(maxsize=8)
def listings_for(catalog: MarketCatalog) -> ListingIndex:
    rng = random.Random(f"browse-listings:{catalog.seed}:{len(catalog.products)}")
    used_ids: set[str] = set()
    listings: list[BrowseListing] = []
    sellers = [(name, rng.randint(40, 48_000), f"{rng.uniform(97.0, 100.0):.1f}") for name in _SELLERS]
    for product in catalog.products:
        if not product.on_ebay:
            continue
        for variant in product.variants:
            for _ in range(rng.choices((0, 1, 2, 3, 4, 5), weights=(8, 17, 27, 23, 15, 10))[0]):
                listings.append(_listing(product, variant, rng, sellers, used_ids))
    return ListingIndex(tuple(listings))


def _listing(
    product: MarketProduct,
    variant: MarketVariant,
    rng: random.Random,
    sellers: list[tuple[str, int, str]],
    used_ids: set[str],
) -> BrowseListing:
    conditions = _APPAREL_CONDITIONS if product.product_type == "streetwear" else _SHOE_CONDITIONS
    condition, condition_id, _share = rng.choices(conditions, weights=[share for *_, share in conditions])[0]
    used = condition_id in USED_CONDITION_IDS
    seller, score, percentage = rng.choice(sellers)
    while True:
        legacy_id = str(rng.randint(110_000_000_000, 406_999_999_999))
        if legacy_id not in used_ids:
            used_ids.add(legacy_id)
            break
    return BrowseListing(
        legacy_id=legacy_id,
        product=product,
        variant=variant,
        title=_title(product, variant, rng, used),
        seller=seller,
        feedback_score=score,
        feedback_percentage=percentage,
        condition=condition,
        condition_id=condition_id,
        price_factor=rng.uniform(0.55, 0.8) if used else rng.uniform(0.97, 1.35),
        price_ending=rng.choice(("99", "00", "95", "50")),
        shipping_cost="0.00" if rng.random() < 0.6 else rng.choice(("9.99", "12.95", "14.50")),
        buying_options=("FIXED_PRICE", "BEST_OFFER") if rng.random() < 0.3 else ("FIXED_PRICE",),
        created_at=_CREATED_BEFORE - rng.randint(3_600, 90 * 86_400),
        image_key=base64.urlsafe_b64encode(rng.getrandbits(96).to_bytes(12, "big")).decode(),
        postal_code=f"{rng.randint(100, 999)}**",
        with_epid=rng.random() < 0.8,
        top_rated=rng.random() < 0.25,
    )


def _title(product: MarketProduct, variant: MarketVariant, rng: random.Random, used: bool) -> str:
    size, sku = variant.size, product.sku
    who = {"women": "Women's", "men": "Men's"}.get(product.gender, "")
    options = [
        f"{product.title} {sku} Size {size}",
        f"{product.quoted_name} {sku} {who} Size {size}",
        f"{product.title} {sku} Mens Sz {size} {'Used' if used else 'NEW DS'}",
        f"{product.title} {sku} {'Pre-Owned' if used else 'Brand New In Box'}",  # no size in the title
    ]
    title = " ".join(rng.choices(options, weights=(35, 25, 15, 25))[0].split())
    if len(title) > _TITLE_LIMIT:
        title = title[:_TITLE_LIMIT].rsplit(" ", 1)[0]
    return title
