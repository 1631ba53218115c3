"""The market catalog shared by StockX, Alias and eBay Browse: sneaker and streetwear SKUs.

A handful of real releases (the SKUs the replaced market queue tracked, e.g. ``DD1391-100``) plus
generated ones in each brand's real style-code format, each with US sizes, StockX product/variant
UUIDs, an Alias catalog id, GTINs and an eBay ePID. Which provider lists which SKU is part of the
data: some SKUs exist on only one of StockX and Alias, the way real catalogs disagree.

Only the static part lives here; prices move with the clock and are computed in
``market_prices``. Catalogs are deterministic in (size, seed) and cached per process.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from local.sandbox.category_names import (
    ATHLETIC_SHOES_MEN,
    ATHLETIC_SHOES_WOMEN,
    HOODIES_MEN,
    T_SHIRTS_MEN,
)

DEFAULT_SKUS = 300

MEN_SIZES = (*(str(half / 2).removesuffix(".0") for half in range(8, 27)), "14", "15")
WOMEN_SIZES = tuple(str(half / 2).removesuffix(".0") for half in range(10, 25))
SLIDE_SIZES = tuple(str(size) for size in range(4, 15))
APPAREL_SIZES = ("XS", "S", "M", "L", "XL", "XXL")


@dataclass(frozen=True)
class MarketVariant:
    """One size of a product, with the constants its price model needs."""

    size: str  # as sellers write it: "10.5", "M"
    us_size: float | None  # numeric US size (None for apparel)
    stockx_variant_id: str
    gtin: str
    base_price: float  # USD fair value around which the price drifts
    week_phase: float
    day_phase: float
    bid_ratio: float
    offer_ratio: float
    # Which sides of each market have orders for this size (a rare size may have no bids at all).
    stockx_asks: bool
    stockx_bids: bool
    stockx_flex: bool
    stockx_direct: bool
    alias_listings: bool
    alias_offers: bool
    alias_used: bool
    last_sale_lag_s: int


@dataclass(frozen=True)
class MarketProduct:
    sku: str  # the style id ("DD1391-100"), the key the system uses everywhere
    brand: str
    title: str  # StockX-style title
    model: str
    nickname: str
    colorway: str
    color: str
    gender: str  # men, women, unisex
    product_type: str  # sneakers, streetwear
    category_id: str  # eBay leaf category its listings use
    release_date: str  # YYYY-MM-DD
    retail_price: int  # USD
    variants: tuple[MarketVariant, ...]
    stockx_product_id: str | None  # None: not on StockX
    alias_catalog_id: str | None  # None: not on Alias
    epid: str
    on_ebay: bool

    @property
    def url_key(self) -> str:
        return slug(self.title)

    @property
    def quoted_name(self) -> str:
        """The name with the nickname quoted, as GOAT/Alias and many sellers write it."""
        if self.model.startswith("Jordan"):
            return f"Air {self.model} '{self.nickname}'"
        prefix = "adidas" if self.model.startswith("Yeezy") else self.brand
        return f"{prefix} {self.model} '{self.nickname}'"

    @property
    def size_chart_type(self) -> str:
        return "us w" if self.gender == "women" else "us m"

    def variant(self, size: str) -> MarketVariant | None:
        for variant in self.variants:
            if variant.size == size:
                return variant
        return None


@dataclass(frozen=True, eq=False)
class MarketCatalog:
    """Immutable once built; the lookup tables are indexes over ``products``."""

    seed: int
    products: tuple[MarketProduct, ...]
    by_sku: dict[str, MarketProduct] = field(default_factory=dict)
    by_stockx_id: dict[str, MarketProduct] = field(default_factory=dict)
    by_alias_id: dict[str, MarketProduct] = field(default_factory=dict)
    by_gtin: dict[str, tuple[MarketProduct, MarketVariant]] = field(default_factory=dict)
    by_stockx_variant: dict[str, tuple[MarketProduct, MarketVariant]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for product in self.products:
            self.by_sku[product.sku] = product
            if product.stockx_product_id:
                self.by_stockx_id[product.stockx_product_id] = product
            if product.alias_catalog_id:
                self.by_alias_id[product.alias_catalog_id] = product
            for variant in product.variants:
                self.by_gtin[variant.gtin] = (product, variant)
                if product.stockx_product_id:
                    self.by_stockx_variant[variant.stockx_variant_id] = (product, variant)


def current_catalog(settings: tuple[int, int]) -> MarketCatalog:
    """The catalog for a sandbox's (number of SKUs, seed) setting."""
    return build_market_catalog(*settings)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")


def normalize_sku(text: str) -> str:
    """Style ids compare without case, hyphens or spaces (Alias writes "DD1391 100")."""
    return re.sub(r"[\s-]+", "", text).upper()


@dataclass(frozen=True)
class _Release:
    sku: str
    brand: str
    model: str
    nickname: str
    colorway: str
    color: str
    release_date: str
    retail: int
    premium: float  # resale price over retail
    gender: str = "men"


# Real releases, so a person trying the stack can search what they know.
_KNOWN: tuple[_Release, ...] = (
    _Release("DD1391-100", "Nike", "Dunk Low Retro", "White Black Panda", "White/Black-White", "white",
             "2021-03-10", 110, 1.05),
    _Release("DD1391-103", "Nike", "Dunk Low Retro", "Grey Fog", "White/Grey Fog", "grey", "2021-07-15", 110, 1.0),
    _Release("CW2288-111", "Nike", "Air Force 1 Low '07", "Triple White", "White/White-White", "white",
             "2019-12-13", 110, 0.95),
    _Release("FQ1759-100", "Nike", "Dunk Low Retro SE", "White Sail", "White/Sail-Light Bone", "white",
             "2023-09-01", 120, 1.1),
    _Release("554724-136", "Jordan", "Jordan 1 Mid", "White Black Royal", "White/Black-Royal Blue", "white",
             "2022-06-10", 125, 1.0),
    _Release("DZ5485-612", "Jordan", "Jordan 1 Retro High OG", "Chicago Lost and Found",
             "Varsity Red/Black-Sail-Muslin", "red", "2022-11-19", 180, 1.7),
    _Release("555088-134", "Jordan", "Jordan 1 Retro High OG", "University Blue", "White/University Blue-Black",
             "blue", "2021-03-06", 170, 1.6),
    _Release("DH6927-111", "Jordan", "Jordan 4 Retro", "Military Black", "White/Black-Neutral Grey", "white",
             "2022-05-21", 190, 1.5),
    _Release("DM7866-162", "Jordan", "Jordan 1 Retro Low OG SP", "Travis Scott Reverse Mocha",
             "Sail/University Red-Ridgerock", "brown", "2022-07-21", 150, 6.0),
    _Release("CT8012-116", "Jordan", "Jordan 11 Retro", "Cherry", "White/Varsity Red-Black", "white",
             "2022-12-10", 225, 1.1),
    _Release("DN3707-100", "Jordan", "Jordan 3 Retro", "White Cement Reimagined",
             "Summit White/Fire Red-Black-Cement Grey", "white", "2023-03-11", 210, 1.2),
    _Release("HQ7978-100", "Jordan", "Jordan 5 Retro", "Grape", "White/New Emerald-Grape Ice-Black", "white",
             "2025-06-21", 210, 1.05),
    _Release("CP9366", "adidas", "Yeezy Boost 350 V2", "Cream White", "Cream White/Cream White/Core White",
             "white", "2017-04-29", 220, 1.2),
    _Release("CP9654", "adidas", "Yeezy Boost 350 V2", "Zebra", "White/Core Black/Red", "white", "2017-02-25",
             220, 1.3),
    _Release("GW1229", "adidas", "Yeezy Boost 350 V2", "Beluga Reflective", "Grey/Orange", "grey", "2021-12-18",
             240, 1.1),
    _Release("B75806", "adidas", "Samba OG", "Cloud White Core Black", "Cloud White/Core Black/Clear Granite",
             "white", "2018-01-01", 100, 1.1),
    _Release("BB550WT1", "New Balance", "550", "White Green", "White/Green", "white", "2021-05-20", 110, 1.0),
    _Release("M990GL6", "New Balance", "990v6 Made in USA", "Grey", "Grey/Grey", "grey", "2022-04-21", 200, 1.0),
    _Release("M2002RDA", "New Balance", "2002R", "Protection Pack Rain Cloud", "Rain Cloud/Grey", "grey",
             "2021-08-12", 150, 1.2),
    _Release("1201A019-107", "ASICS", "Gel-Kayano 14", "White Pure Silver", "White/Pure Silver", "white",
             "2023-01-05", 150, 1.05),
)  # fmt: skip

# (brand, models, style-code maker, product type)
_NICKNAMES = (
    ("Triple Black", "Black/Black-Black", "black"), ("Bred", "Black/Varsity Red-White", "black"),
    ("Sail", "Sail/Sail-Sail", "white"), ("Medium Olive", "Medium Olive/Sail-Black", "green"),
    ("Photon Dust", "Photon Dust/Grey Fog-White", "grey"), ("Coconut Milk", "Coconut Milk/Sail-Sanddrift", "white"),
    ("Black Cement", "Black/Fire Red-Cement Grey", "black"), ("Cool Grey", "Cool Grey/White-Black", "grey"),
    ("Pine Green", "White/Pine Green-Black", "green"), ("Royal Toe", "White/Game Royal-Black", "blue"),
    ("Court Purple", "Court Purple/White-Black", "purple"),
    ("Light Smoke Grey", "White/Light Smoke Grey-Black", "grey"),
    ("Team Green", "White/Team Green", "green"), ("Vintage Navy", "Sail/Vintage Navy", "blue"),
    ("Burgundy Crush", "Burgundy Crush/Sail", "red"), ("Hyper Royal", "White/Hyper Royal", "blue"),
    ("Orange Pearl", "Sail/Orange Pearl", "orange"), ("Green Gum", "Green/Gum", "green"),
    ("Wheat", "Wheat/Gum", "brown"), ("Oreo", "Black/White-Black", "black"), ("Dark Mocha", "Dark Mocha/Sail", "brown"),
    ("Lobster", "Lobster/Sail", "red"), ("Varsity Maize", "White/Varsity Maize", "yellow"),
    ("Midnight Navy", "Midnight Navy/White", "blue"), ("Fossil Stone", "Fossil Stone/Sail", "beige"),
    ("Arctic Pink", "White/Arctic Pink", "pink"), ("Cactus Jack", "Light Olive/Black", "green"),
    ("Gum Sole", "White/Gum Light Brown", "white"), ("Sea Salt", "Sea Salt/White", "white"),
    ("Shadow Grey", "Shadow Grey/Black", "grey"),
)  # fmt: skip

_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _nike_code(rng: random.Random) -> str:
    prefix = rng.choice(("CW", "DD", "DH", "DM", "DQ", "DV", "FB", "FD", "FJ", "FQ", "FV", "HF", "HJ", "IB"))
    return f"{prefix}{rng.randint(1000, 9999)}-{rng.randint(0, 999):03d}"


def _adidas_code(rng: random.Random) -> str:
    prefix = rng.choice(("ID", "IE", "IF", "IG", "IH", "JH", "JI", "HQ", "GX", "GY", "GZ"))
    return f"{prefix}{rng.randint(1000, 9999)}"


def _nb_code(model: str, rng: random.Random) -> str:
    prefix = {"550": "BB550", "2002R": "M2002R", "990v6": "M990", "9060": "U9060", "530": "MR530",
              "1906R": "M1906R", "574": "ML574"}[model]  # fmt: skip
    letters = "".join(rng.choice(_LETTERS) for _ in range(2))
    return f"{prefix}{letters}6" if model == "990v6" else f"{prefix}{letters}{rng.choice(_LETTERS)}"


def _asics_code(rng: random.Random) -> str:
    return f"{rng.choice(('1201A', '1203A'))}{rng.randint(100, 999)}-{rng.randint(0, 999):03d}"


def _apparel_code(brand: str, rng: random.Random) -> str:
    if brand == "Supreme":
        return f"FW{rng.randint(18, 25)}SW{rng.randint(10, 99)}-{rng.choice(('BLK', 'WHT', 'RED', 'NVY', 'GRY'))}"
    if brand == "Fear of God Essentials":
        return f"{rng.randint(125, 199)}HO{rng.randint(2000, 9999)}{rng.randint(10, 99)}F"
    return f"{rng.choice(('1924', '1140', '1904'))}{rng.randint(100, 999)}-{rng.choice(('BLAC', 'WHIT', 'NATU'))}"


_SNEAKER_LINES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Nike", ("Dunk Low Retro", "Air Force 1 Low '07", "Air Max 90", "Air Max 1", "Blazer Mid '77 Vintage",
              "Air Max Plus", "Zoom Vomero 5", "Cortez", "Dunk High Retro", "Air Max 97")),
    ("Jordan", ("Jordan 1 Retro High OG", "Jordan 1 Low", "Jordan 1 Mid", "Jordan 4 Retro", "Jordan 3 Retro",
                "Jordan 11 Retro", "Jordan 5 Retro", "Jordan 6 Retro")),
    ("adidas", ("Samba OG", "Gazelle Indoor", "Campus 00s", "Forum Low", "Superstar", "Ultraboost 1.0",
                "Handball Spezial", "SL 72", "Yeezy Boost 350 V2", "Yeezy Slide", "Yeezy Foam RNR")),
    ("New Balance", ("550", "2002R", "990v6", "9060", "530", "1906R", "574")),
    ("ASICS", ("Gel-Kayano 14", "Gel-1130", "GT-2160", "Gel-NYC", "Gel-Lyte III")),
)  # fmt: skip
_APPAREL_LINES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Supreme", ("Box Logo Hooded Sweatshirt", "Box Logo Tee", "Small Box Tee")),
    ("Fear of God Essentials", ("Hoodie", "T-shirt")),
    ("Stussy", ("8 Ball Tee", "Basic Stussy Hoodie")),
)


def _sneaker_code(brand: str, model: str, rng: random.Random) -> str:
    if brand in ("Nike", "Jordan"):
        return _nike_code(rng)
    if brand == "adidas":
        return _adidas_code(rng)
    if brand == "New Balance":
        return _nb_code(model, rng)
    return _asics_code(rng)


@lru_cache(maxsize=8)
def build_market_catalog(skus: int = DEFAULT_SKUS, seed: int = 0) -> MarketCatalog:
    if skus < 1:
        raise ValueError("the market catalog needs at least one SKU")
    rng = random.Random(f"market-catalog:{seed}")
    used_skus: set[str] = set()
    used_gtins: set[str] = set()
    products: list[MarketProduct] = []
    # Real releases first, then generated ones: roughly nine sneakers for each streetwear piece.
    for release in _KNOWN[:skus]:
        used_skus.add(release.sku)
        products.append(_product(release, "sneakers", rng, used_gtins, known=True))
    while len(products) < skus:
        release, product_type = _generated_release(rng)
        if release.sku in used_skus:
            continue
        used_skus.add(release.sku)
        products.append(_product(release, product_type, rng, used_gtins, known=False))
    return MarketCatalog(seed, tuple(products))


def _generated_release(rng: random.Random) -> tuple[_Release, str]:
    nickname, colorway, color = rng.choice(_NICKNAMES)
    year = rng.randint(2016, 2025)
    release_date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    # Mostly sold near retail; one in twenty is a hyped pair worth several times retail.
    premium = rng.uniform(2.5, 5.0) if rng.random() < 0.05 else rng.uniform(0.75, 1.9)
    if rng.random() < 0.1:
        brand, models = rng.choice(_APPAREL_LINES)
        model = rng.choice(models)
        retail = rng.choice((60, 80, 90, 100, 148, 168))
        release = _Release(_apparel_code(brand, rng), brand, model, nickname, colorway, color, release_date,
                           retail, premium, "men")  # fmt: skip
        return release, "streetwear"
    brand, models = rng.choice(_SNEAKER_LINES)
    model = rng.choice(models)
    retail = rng.choice((90, 100, 110, 120, 130, 140, 150, 170, 180, 190, 200, 210, 230))
    gender = "women" if rng.random() < 0.15 else "men"
    code = _sneaker_code(brand, model, rng)
    if gender == "women" and brand in ("Nike", "Jordan"):
        nickname = f"{nickname} (Women's)"
    release = _Release(code, brand, model, nickname, colorway, color, release_date, retail, premium, gender)
    return release, "sneakers"


def _sizes(release: _Release, product_type: str) -> tuple[str, ...]:
    if product_type == "streetwear":
        return APPAREL_SIZES
    if "Slide" in release.model or "Foam" in release.model:
        return SLIDE_SIZES
    return WOMEN_SIZES if release.gender == "women" else MEN_SIZES


def _product(
    release: _Release, product_type: str, rng: random.Random, used_gtins: set[str], *, known: bool
) -> MarketProduct:
    variants = tuple(_variant(release, size, product_type, rng, used_gtins) for size in _sizes(release, product_type))
    if known:
        on_stockx, on_alias, on_ebay = True, True, True
    else:
        # Alias's API lists sneakers only; otherwise each provider misses a few SKUs.
        on_stockx = product_type == "streetwear" or rng.random() < 0.9
        on_alias = product_type == "sneakers" and rng.random() < (0.85 if on_stockx else 1.0)
        on_ebay = rng.random() < 0.95
    brand_title = "" if release.model.startswith("Jordan") else f"{release.brand} "
    title = f"{brand_title}{release.model} {release.nickname}"
    if release.model.startswith("Yeezy"):
        title = f"adidas {release.model} {release.nickname}"
    category = {
        "streetwear": HOODIES_MEN if "Hood" in release.model else T_SHIRTS_MEN,
        "sneakers": ATHLETIC_SHOES_WOMEN if release.gender == "women" else ATHLETIC_SHOES_MEN,
    }[product_type]
    alias_id = slug(f"{release.model} {release.nickname} {release.sku}") if on_alias else None
    return MarketProduct(
        sku=release.sku,
        brand=release.brand,
        title=title,
        model=release.model,
        nickname=release.nickname,
        colorway=release.colorway,
        color=release.color,
        gender=release.gender if product_type == "sneakers" else "unisex",
        product_type=product_type,
        category_id=category,
        release_date=release.release_date,
        retail_price=release.retail,
        variants=variants,
        stockx_product_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)) if on_stockx else None,
        alias_catalog_id=alias_id,
        epid=str(rng.randint(10_000_000_000, 29_999_999_999)),
        on_ebay=on_ebay,
    )


def _variant(
    release: _Release, size: str, product_type: str, rng: random.Random, used_gtins: set[str]
) -> MarketVariant:
    us_size = None if product_type == "streetwear" else float(size)
    # Mid sizes trade near the product's price; small and very large sizes carry a premium.
    if us_size is None:
        size_factor = 1.0 + (0.08 if size in ("XS", "XXL") else 0.0)
    else:
        size_factor = 1.0 + 0.035 * max(0.0, abs(us_size - 10.0) - 1.5)
    base = release.retail * release.premium * size_factor * rng.uniform(0.94, 1.06)
    extreme = us_size is not None and (us_size < 5 or us_size >= 14)
    return MarketVariant(
        size=size,
        us_size=us_size,
        stockx_variant_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        gtin=_gtin(rng, used_gtins),
        base_price=base,
        week_phase=rng.uniform(0, 6.283),
        day_phase=rng.uniform(0, 6.283),
        bid_ratio=rng.uniform(0.8, 0.93),
        offer_ratio=rng.uniform(0.78, 0.92),
        stockx_asks=rng.random() < (0.75 if extreme else 0.97),
        stockx_bids=rng.random() < (0.5 if extreme else 0.85),
        stockx_flex=rng.random() < 0.6,
        stockx_direct=rng.random() < 0.15,
        alias_listings=rng.random() < (0.7 if extreme else 0.94),
        alias_offers=rng.random() < 0.8,
        alias_used=rng.random() < 0.3,
        last_sale_lag_s=rng.randint(3_600, 72 * 3_600),
    )


def _gtin(rng: random.Random, used: set[str]) -> str:
    """A unique 12-digit UPC-A with a valid check digit (19... like Nike's)."""
    while True:
        body = f"19{rng.randrange(10**9):09d}"
        odd = sum(int(digit) for digit in body[0::2])
        even = sum(int(digit) for digit in body[1::2])
        code = body + str((10 - (odd * 3 + even) % 10) % 10)
        if code not in used:
            used.add(code)
            return code
