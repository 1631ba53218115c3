"""Item aspects per leaf category, generated deterministically from the tree's seed.

Each leaf draws from its domain's aspect templates (a shoe leaf gets Brand, US Shoe Size, Style ...;
a makeup leaf Brand, Shade, Formulation ...), so categories differ the way eBay's do: different
names, required vs recommended vs optional, free text vs selection-only, single vs multi-valued.
About one leaf in fifteen (more among "Other ..." leaves) has no aspects at all, which eBay answers
with 204.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from local.sandbox.category_names import PROTECTED_LEAVES
from local.sandbox.category_tree import CategoryTree

JSONDict = dict[str, object]


@dataclass(frozen=True)
class AspectSpec:
    name: str
    values: tuple[str, ...] = ()
    mode: str = "FREE_TEXT"  # or SELECTION_ONLY
    data_type: str = "STRING"  # STRING, NUMBER, DATE
    cardinality: str = "SINGLE"  # or MULTI
    applicable_to: tuple[str, ...] = ("PRODUCT",)
    variations: bool = False
    aspect_format: str | None = None  # for NUMBER (int32, double) and DATE (YYYYMMDD ...)


def _spec(name: str, *values: str, **options: object) -> AspectSpec:
    return AspectSpec(name, tuple(values), **options)  # type: ignore[arg-type]


_YES_NO = ("Yes", "No")
_COUNTRIES = ("United States", "China", "Vietnam", "Indonesia", "Japan", "Korea, Republic of", "France",
              "Italy", "Germany", "United Kingdom", "Mexico", "India")
_COLORS = ("Black", "White", "Gray", "Red", "Blue", "Green", "Yellow", "Orange", "Pink", "Purple", "Brown",
           "Beige", "Multicolor", "Silver", "Gold")
_SHOE_SIZES = (*(str(size / 2).removesuffix(".0") for size in range(8, 31)), "15", "16")
_APPAREL_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL")

_BRANDS = {
    "beauty": ("Estée Lauder", "L'Oréal Paris", "Clinique", "CeraVe", "The Ordinary", "Neutrogena", "Olaplex",
               "Dyson", "Revlon", "Dior", "Chanel", "Kiehl's", "La Roche-Posay", "Unbranded"),
    "makeup": ("MAC", "Fenty Beauty", "NARS", "Maybelline", "Charlotte Tilbury", "Urban Decay", "Too Faced",
               "Benefit", "NYX Professional Makeup", "Rare Beauty", "Huda Beauty", "e.l.f.", "Unbranded"),
    "shoes": ("Nike", "Jordan", "adidas", "New Balance", "ASICS", "Converse", "Vans", "PUMA", "Reebok",
              "Salomon", "HOKA", "On", "Yeezy", "Saucony"),
    "apparel": ("Nike", "adidas", "Supreme", "Fear of God Essentials", "Stüssy", "Carhartt", "Levi's",
                "Polo Ralph Lauren", "The North Face", "Patagonia", "Champion", "Uniqlo", "Unbranded"),
    "electronics": ("Apple", "Samsung", "Sony", "Bose", "LG", "Google", "Microsoft", "Nintendo", "Dell", "HP",
                    "Lenovo", "Canon", "Nikon", "Anker", "JBL", "Logitech"),
    "collectibles": ("Funko", "Topps", "Panini", "Wizards of the Coast", "The Pokémon Company", "Coca-Cola",
                     "Disney", "Hallmark", "Franklin Mint", "Unbranded"),
    "toys": ("LEGO", "Hasbro", "Mattel", "Hot Wheels", "Funko", "Bandai", "Fisher-Price", "Nerf", "Playmobil",
             "Ty"),
    "general": ("Unbranded", "Handmade", "Generic", "Vintage", "Custom"),
}

# Aspects a leaf of the domain always has, then the pool its optional ones are drawn from.
_REQUIRED = {
    "beauty": ("Brand", "Type"),
    "makeup": ("Brand", "Type", "Shade"),
    "shoes": ("Brand", "US Shoe Size", "Department", "Type", "Style"),
    "apparel": ("Brand", "Size", "Size Type", "Department", "Type", "Color"),
    "electronics": ("Brand", "Model", "Type"),
    "collectibles": ("Type",),
    "toys": ("Brand", "Type"),
    "media": ("Title", "Format"),
    "general": ("Brand", "Type"),
}

_COMMON = (
    _spec("Color", *_COLORS, variations=True),
    _spec("MPN"),
    _spec("Country/Region of Manufacture", *_COUNTRIES, mode="SELECTION_ONLY"),
    _spec("Custom Bundle", *_YES_NO, mode="SELECTION_ONLY", applicable_to=("ITEM",)),
    _spec("Modified Item", *_YES_NO, mode="SELECTION_ONLY", applicable_to=("ITEM",)),
    _spec("Unit Quantity", data_type="NUMBER", aspect_format="int32", applicable_to=("ITEM",)),
    _spec("Material", "Plastic", "Metal", "Wood", "Glass", "Leather", "Cotton", "Ceramic", "Paper"),
)

_SHADE = _spec("Shade", "Porcelain", "Fair", "Ivory", "Light", "Light Medium", "Beige", "Sand", "Medium", "Honey",
               "Caramel", "Medium Deep", "Deep", "Espresso", variations=True)

_POOLS: dict[str, tuple[AspectSpec, ...]] = {
    "beauty": (
        _spec("Formulation", "Cream", "Gel", "Liquid", "Lotion", "Oil", "Powder", "Spray", "Stick", "Balm", "Serum"),
        _spec("Skin Type", "All Skin Types", "Combination", "Dry", "Normal", "Oily", "Sensitive", "Acne-Prone",
              cardinality="MULTI"),
        _spec("Volume", "1 fl oz", "1.7 fl oz", "3.4 fl oz", "8 fl oz", "30 ml", "50 ml", "100 ml"),
        _spec("Size", "Full Size", "Mini/Travel Size", "Sample", mode="SELECTION_ONLY", variations=True),
        _spec("Expiration Date", data_type="DATE", aspect_format="YYYYMMDD", applicable_to=("ITEM",)),
        _spec("Scent", "Unscented", "Floral", "Citrus", "Vanilla", "Lavender", "Coconut", "Fresh"),
        _spec("Main Purpose", "Anti-Aging", "Moisturizing", "Cleansing", "Brightening", "Repairing", "Volumizing",
              cardinality="MULTI"),
        _spec("Features", "Cruelty-Free", "Paraben-Free", "Vegan", "Fragrance-Free", "Hypoallergenic",
              "Long-Lasting", "Natural", cardinality="MULTI"),
        _spec("Active Ingredients", "Hyaluronic Acid", "Retinol", "Niacinamide", "Vitamin C", "Salicylic Acid",
              "Collagen", cardinality="MULTI"),
        *_COMMON,
    ),
    "makeup": (
        _SHADE,
        _spec("Finish", "Matte", "Dewy", "Satin", "Natural", "Radiant", "Shimmer", "Glitter"),
        _spec("Coverage", "Sheer", "Light", "Medium", "Full", "Buildable", mode="SELECTION_ONLY"),
        _spec("Formulation", "Cream", "Gel", "Liquid", "Powder", "Pressed Powder", "Stick", "Mousse"),
        _spec("Skin Type", "All Skin Types", "Combination", "Dry", "Normal", "Oily", "Sensitive",
              cardinality="MULTI"),
        _spec("Features", "Cruelty-Free", "Vegan", "Long-Lasting", "Waterproof", "Oil-Free", "Non-Comedogenic",
              "SPF", cardinality="MULTI"),
        _spec("Size", "Full Size", "Mini/Travel Size", "Sample", mode="SELECTION_ONLY"),
        _spec("Expiration Date", data_type="DATE", aspect_format="YYYYMMDD", applicable_to=("ITEM",)),
        *_COMMON,
    ),
    "shoes": (
        _spec("Model", "Air Jordan 1", "Dunk Low", "Air Force 1", "Air Max 90", "Yeezy Boost 350 V2", "550",
              "Samba", "Gazelle", "Gel-Kayano 14", "990v6"),
        _spec("Product Line", "Air Jordan", "Nike Dunk", "Air Max", "Yeezy", "adidas Originals", "New Balance 550"),
        _spec("Style Code"),
        _spec("Upper Material", "Leather", "Suede", "Canvas", "Mesh", "Synthetic", "Knit", "Nubuck"),
        _spec("Release Year", data_type="NUMBER", aspect_format="int32"),
        _spec("Shoe Width", "Narrow", "Regular", "Wide", "Extra Wide", mode="SELECTION_ONLY", variations=True),
        _spec("Performance/Activity", "Basketball", "Running", "Skateboarding", "Walking", "Training", "Casual",
              cardinality="MULTI"),
        _spec("Closure", "Lace Up", "Slip On", "Hook & Loop", "Zip", "Buckle"),
        _spec("Customized", *_YES_NO, mode="SELECTION_ONLY", applicable_to=("ITEM",)),
        _spec("Vintage", *_YES_NO, mode="SELECTION_ONLY", applicable_to=("ITEM",)),
        _spec("Color", *_COLORS, variations=True),
        _spec("Country/Region of Manufacture", *_COUNTRIES, mode="SELECTION_ONLY"),
    ),
    "apparel": (
        _spec("Style", "Pullover", "Hoodie", "Crewneck", "Zip-Up", "Button-Up", "Polo", "Basic Tee", "Graphic Tee"),
        _spec("Sleeve Length", "Short Sleeve", "Long Sleeve", "Sleeveless", "3/4 Sleeve"),
        _spec("Material", "Cotton", "Polyester", "Fleece", "Wool", "Denim", "Nylon", "Linen", cardinality="MULTI"),
        _spec("Pattern", "Solid", "Graphic Print", "Logo", "Striped", "Camouflage", "Tie-Dye", "Plaid"),
        _spec("Fit", "Regular", "Slim", "Relaxed", "Oversized", "Athletic"),
        _spec("Theme", "Streetwear", "Sports", "Logo", "Vintage", "Outdoor", "Music", cardinality="MULTI"),
        _spec("Neckline", "Crew Neck", "V-Neck", "Hooded", "Mock Neck", "Collared"),
        _spec("Season", "Fall", "Spring", "Summer", "Winter", cardinality="MULTI"),
        _spec("Vintage", *_YES_NO, mode="SELECTION_ONLY", applicable_to=("ITEM",)),
        _spec("Country/Region of Manufacture", *_COUNTRIES, mode="SELECTION_ONLY"),
    ),
    "electronics": (
        _spec("MPN"),
        _spec("Color", *_COLORS, variations=True),
        _spec("Connectivity", "Bluetooth", "USB-C", "Wi-Fi", "Lightning", "3.5mm Jack", "HDMI", "NFC",
              cardinality="MULTI"),
        _spec("Features", "Noise Cancellation", "Water-Resistant", "Fast Charging", "Touchscreen",
              "Voice Assistant", "Wireless Charging", cardinality="MULTI"),
        _spec("Screen Size", "6.1 in", "6.7 in", "10.9 in", "13.3 in", "15.6 in", "55 in", "65 in"),
        _spec("Storage Capacity", "64 GB", "128 GB", "256 GB", "512 GB", "1 TB", "2 TB", variations=True),
        _spec("Operating System", "iOS", "Android", "Windows 11", "macOS", "ChromeOS", "Linux"),
        _spec("Compatible Brand", "Apple", "Samsung", "Google", "Universal", cardinality="MULTI"),
        _spec("Power Source", "Battery", "AC Adapter", "USB", "Rechargeable Battery"),
        _spec("Year Manufactured", data_type="NUMBER", aspect_format="int32"),
        _spec("Network", "Unlocked", "AT&T", "Verizon", "T-Mobile", mode="SELECTION_ONLY"),
        _spec("Country/Region of Manufacture", *_COUNTRIES, mode="SELECTION_ONLY"),
    ),
    "collectibles": (
        _spec("Franchise", "Star Wars", "Marvel", "Disney", "Pokémon", "Harry Potter", "Star Trek", "DC Comics"),
        _spec("Character", "Mickey Mouse", "Pikachu", "Spider-Man", "Batman", "Darth Vader", "Snoopy"),
        _spec("Theme", "Animals", "Movies", "Sports", "Advertising", "Holidays", "Military", cardinality="MULTI"),
        _spec("Year Manufactured", data_type="NUMBER", aspect_format="int32"),
        _spec("Original/Licensed Reproduction", "Original", "Licensed Reproduction", "Unknown",
              mode="SELECTION_ONLY"),
        _spec("Signed", *_YES_NO, mode="SELECTION_ONLY", applicable_to=("ITEM",)),
        _spec("Era", "Pre-1900", "1900-1939", "1940-1969", "1970-1999", "2000-Now"),
        _spec("Grade", "PSA 10", "PSA 9", "BGS 9.5", "CGC 9.8", "Ungraded", applicable_to=("ITEM",)),
        _spec("Country/Region of Manufacture", *_COUNTRIES, mode="SELECTION_ONLY"),
        _spec("Brand", *_BRANDS["collectibles"]),
    ),
    "toys": (
        _spec("Age Level", "0-24 Months", "2-4 Years", "5-7 Years", "8-11 Years", "12-16 Years", "17 Years & Up",
              mode="SELECTION_ONLY", cardinality="MULTI"),
        _spec("Character Family", "Star Wars", "Marvel", "Harry Potter", "Barbie", "Transformers", "Pokémon"),
        _spec("Theme", "Movies", "Vehicles", "Space", "Animals", "Fantasy", "City", cardinality="MULTI"),
        _spec("Year Manufactured", data_type="NUMBER", aspect_format="int32"),
        _spec("Number of Pieces", data_type="NUMBER", aspect_format="int32"),
        _spec("Set Number"),
        _spec("Vintage", *_YES_NO, mode="SELECTION_ONLY", applicable_to=("ITEM",)),
        _spec("Material", "Plastic", "Metal", "Wood", "Plush", "Vinyl"),
        _spec("Color", *_COLORS, variations=True),
    ),
    "media": (
        _spec("Genre", "Rock", "Pop", "Hip Hop", "Jazz", "Classical", "Fiction", "Non-Fiction", "Horror",
              "Comedy", cardinality="MULTI"),
        _spec("Language", "English", "Spanish", "French", "German", "Japanese"),
        _spec("Release Year", data_type="NUMBER", aspect_format="int32"),
        _spec("Edition", "First Edition", "Limited Edition", "Reissue", "Special Edition", applicable_to=("ITEM",)),
        _spec("Signed", *_YES_NO, mode="SELECTION_ONLY", applicable_to=("ITEM",)),
        _spec("Artist"),
        _spec("Author"),
    ),
    "general": (
        *_COMMON,
        _spec("Features", "Adjustable", "Portable", "Lightweight", "Waterproof", "Foldable", cardinality="MULTI"),
        _spec("Style", "Modern", "Vintage", "Traditional", "Rustic", "Industrial"),
        _spec("Handmade", *_YES_NO, mode="SELECTION_ONLY", applicable_to=("ITEM",)),
        _spec("Year Manufactured", data_type="NUMBER", aspect_format="int32"),
    ),
}

# Extra aspects for leaves whose path mentions a word (fragrances share the beauty domain).
_BY_NAME: dict[str, tuple[AspectSpec, ...]] = {
    "Fragrance": (
        _spec("Fragrance Name"),
        _spec("Fragrance Type", "Eau de Parfum", "Eau de Toilette", "Parfum", "Cologne", "Body Mist"),
        _spec("Department", "Women", "Men", "Unisex Adults", mode="SELECTION_ONLY"),
    ),
}

_FIXED = {
    "US Shoe Size": _spec("US Shoe Size", *_SHOE_SIZES, mode="SELECTION_ONLY", variations=True),
    "Size": _spec("Size", *_APPAREL_SIZES, mode="SELECTION_ONLY", variations=True),
    "Size Type": _spec("Size Type", "Regular", "Big & Tall", "Plus", "Petite", "Tall", mode="SELECTION_ONLY"),
    "Department": _spec("Department", "Men", "Women", "Unisex Adults", "Boys", "Girls", mode="SELECTION_ONLY"),
    "Style": _spec("Style", "Sneaker", "Basketball Shoe", "Running Shoe", "Skate Shoe", "Trainer", "Boot"),
    "Shade": _SHADE,
    "Model": _spec("Model", "iPhone 15", "iPhone 14", "Galaxy S24", "Pixel 8", "WH-1000XM5", "AirPods Pro",
                   "Switch OLED", "PlayStation 5", "MacBook Air", "ThinkPad X1 Carbon"),
    "Color": _spec("Color", *_COLORS, variations=True),
    "Title": _spec("Title"),
    "Format": _spec("Format", "Hardcover", "Paperback", "Vinyl", "CD", "DVD", "Blu-ray", "VHS", "Cassette",
                    mode="SELECTION_ONLY"),
}

# Free-text values an item (not the catalog product) carries are capped, as eBay does.
_ITEM_MAX_LENGTH = 65


def aspects_for(tree: CategoryTree, category_id: str) -> list[JSONDict] | None:
    """Aspect JSON objects for a leaf in contract order (required first); None when it has none."""
    node = tree.nodes[category_id]
    rng = random.Random(f"aspects:{tree.tree_id}:{tree.seed}:{category_id}")
    # Market-catalog leaves always have aspects, so Browse-related tests never hit a 204 there.
    if category_id not in PROTECTED_LEAVES:
        no_aspects = 0.5 if node.name.startswith("Other") else 0.06
        if rng.random() < no_aspects:
            return None
    domain = tree.domain(category_id)
    path_names = " ".join([node.name, *(ancestor.name for ancestor in tree.ancestors(category_id))])

    required = [_required_spec(name, domain, tree, category_id) for name in _REQUIRED.get(domain, ())]
    pool = [spec for spec in _POOLS.get(domain, _POOLS["general"]) if spec.name not in _REQUIRED.get(domain, ())]
    for word, extras in _BY_NAME.items():
        if word in path_names:
            pool = [*extras, *pool]
    pool = list({spec.name: spec for spec in pool}.values())  # first spec of a name wins
    optional = rng.sample(pool, rng.randint(min(3, len(pool)), min(9, len(pool))))

    aspects = []
    for index, spec in enumerate(required):
        # Brand is sometimes only recommended (generic categories), everything else required.
        is_required = not (spec.name == "Brand" and index == 0 and rng.random() < 0.2)
        aspects.append(_aspect_json(spec, rng, required=is_required, usage="RECOMMENDED"))
    recommended = [_aspect_json(spec, rng, required=False, usage="RECOMMENDED") for spec in optional[::2]]
    rest = [_aspect_json(spec, rng, required=False, usage="OPTIONAL") for spec in optional[1::2]]
    return aspects + recommended + rest


def _required_spec(name: str, domain: str, tree: CategoryTree, category_id: str) -> AspectSpec:
    if name == "Brand":
        return _spec("Brand", *_BRANDS.get(domain, _BRANDS["general"]))
    if name == "Type":
        # Sibling category names make believable Type values ("Foundation", "Concealer", ...).
        parent = tree.nodes[category_id].parent_id
        siblings = tree.nodes[parent].children if parent is not None else ()
        values = tuple(tree.nodes[sibling].name for sibling in siblings[:20])
        return _spec(name, *values)
    return _FIXED.get(name, _spec(name))


def _aspect_json(spec: AspectSpec, rng: random.Random, *, required: bool, usage: str) -> JSONDict:
    constraint: JSONDict = {
        "aspectDataType": spec.data_type,
        "itemToAspectCardinality": spec.cardinality,
        "aspectMode": spec.mode,
        "aspectRequired": required,
        # eBay reports RECOMMENDED even for required aspects (the contract says so).
        "aspectUsage": usage,
        "aspectEnabledForVariations": spec.variations,
        "aspectApplicableTo": list(spec.applicable_to),
    }
    if spec.aspect_format is not None:
        constraint["aspectFormat"] = spec.aspect_format
    if spec.mode == "FREE_TEXT" and "ITEM" in spec.applicable_to:
        constraint["aspectMaxLength"] = _ITEM_MAX_LENGTH
    if usage == "RECOMMENDED" and not required and rng.random() < 0.05:
        constraint["expectedRequiredByDate"] = "2026-09-30T00:00:00.000Z"
    data: JSONDict = {"localizedAspectName": spec.name, "aspectConstraint": constraint}
    values = list(spec.values)
    if len(values) > 6 and spec.mode == "FREE_TEXT" and not required:
        # Free-text aspects list popular values only; which ones varies by category.
        keep = set(rng.sample(values, rng.randint(len(values) // 2, len(values))))
        values = [value for value in values if value in keep]
    if values:
        data["aspectValues"] = [{"localizedValue": value} for value in values]
    return data
