"""The fixed core of the sandbox's eBay US category tree: real top-level categories and ids.

Ids given here are eBay's real ones (top levels, the shoe and apparel leaves the market catalog
lists under, and the Health & Beauty ids the replaced category-fetch system used); ``None`` ids are
assigned by the tree generator, deterministically. The generator grows this core to the requested
number of leaves by splitting leaves into sub-categories named from ``QUALIFIERS``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CoreCategory:
    name: str
    category_id: str | None = None
    children: tuple[CoreCategory, ...] = ()


def c(name: str, category_id: str | None = None, *children: CoreCategory) -> CoreCategory:
    return CoreCategory(name, category_id, children)


def leaves(*names: str) -> tuple[CoreCategory, ...]:
    return tuple(CoreCategory(name) for name in names)


# Leaves the market catalog's Browse listings sit in; the generator never splits them.
ATHLETIC_SHOES_MEN = "15709"
ATHLETIC_SHOES_WOMEN = "95672"
HOODIES_MEN = "155183"
T_SHIRTS_MEN = "15687"
PROTECTED_LEAVES = frozenset({ATHLETIC_SHOES_MEN, ATHLETIC_SHOES_WOMEN, HOODIES_MEN, T_SHIRTS_MEN})

HEALTH_AND_BEAUTY = "26395"
CLOTHING_SHOES_ACCESSORIES = "11450"

CORE: tuple[CoreCategory, ...] = (
    c("Antiques", "20081", *leaves("Antique Furniture", "Asian Antiques", "Decorative Arts", "Silver",
                                   "Architectural & Garden", "Maps, Atlases & Globes", "Primitives")),
    c("Art", "550", *leaves("Art Paintings", "Art Prints", "Art Photographs", "Art Sculptures",
                            "Art Drawings", "Art Posters")),
    c("Baby", "2984", *leaves("Baby Gear", "Feeding", "Nursery Bedding", "Diapering", "Baby Safety & Health",
                              "Toys for Baby")),
    c("Books & Magazines", "267", *leaves("Books", "Magazines", "Antiquarian & Collectible Books",
                                          "Textbooks & Education")),
    c("Business & Industrial", "12576",
      c("Heavy Equipment, Parts & Attachments", None, *leaves("Heavy Equipment", "Heavy Equipment Parts")),
      *leaves("Office", "Restaurant & Food Service", "Test, Measurement & Inspection", "Printing & Graphic Arts")),
    c("Cameras & Photo", "625",
      c("Lenses & Filters", None, *leaves("Lenses", "Lens Filters", "Lens Hoods")),
      *leaves("Digital Cameras", "Film Photography", "Camera Drones", "Tripods & Supports", "Flashes")),
    c("Cell Phones & Accessories", "15032",
      c("Cell Phones & Smartphones", "9355"),
      c("Cell Phone Accessories", None, *leaves("Cases, Covers & Skins", "Chargers & Cradles",
                                                "Screen Protectors", "Cables & Adapters", "Mounts & Holders")),
      c("Smart Watches", None)),
    c("Clothing, Shoes & Accessories", CLOTHING_SHOES_ACCESSORIES,
      c("Men", "260012",
        c("Men's Shoes", "93427", c("Athletic Shoes", ATHLETIC_SHOES_MEN),
          *leaves("Boots", "Casual Shoes", "Dress Shoes", "Sandals", "Slippers")),
        c("Men's Clothing", "1059", c("Hoodies & Sweatshirts", HOODIES_MEN), c("T-Shirts", T_SHIRTS_MEN),
          *leaves("Jeans", "Coats, Jackets & Vests", "Casual Button-Down Shirts", "Activewear", "Sweaters",
                  "Pants", "Shorts")),
        c("Men's Accessories", None, *leaves("Hats", "Belts", "Wallets", "Sunglasses & Sunglasses Accessories"))),
      c("Women", "260010",
        c("Women's Shoes", "3034", c("Athletic Shoes", ATHLETIC_SHOES_WOMEN),
          *leaves("Heels", "Boots", "Flats", "Sandals", "Sneakers")),
        c("Women's Clothing", "15724", *leaves("Dresses", "Tops", "Jeans", "Activewear", "Sweaters",
                                               "Coats, Jackets & Vests", "Skirts")),
        c("Women's Bags & Handbags", None),
        c("Women's Accessories", None, *leaves("Scarves & Wraps", "Hats", "Sunglasses"))),
      c("Kids", "171146",
        c("Boys' Shoes", None), c("Girls' Shoes", None),
        c("Boys' Clothing (Sizes 4 & Up)", None), c("Girls' Clothing (Sizes 4 & Up)", None)),
      c("Unisex Clothing, Shoes & Accs", None, *leaves("Unisex Adult Shoes", "Unisex Adult Clothing"))),
    c("Coins & Paper Money", "11116", *leaves("Coins: US", "Coins: World", "Paper Money: US", "Bullion",
                                              "Exonumia")),
    c("Collectibles", "1",
      c("Trading Cards", None, *leaves("CCG Individual Cards", "CCG Sealed Packs", "CCG Sealed Boxes")),
      c("Animation Art & Merchandise", None, *leaves("Animation Art", "Animation Merchandise")),
      c("Advertising", None, *leaves("Soda", "Breweriana, Beer", "Gas & Oil")),
      *leaves("Autographs", "Militaria", "Rocks, Fossils & Minerals", "Pinbacks, Bobbles, Lunchboxes",
              "Vintage, Retro, Mid-Century", "Comic Books & Memorabilia")),
    c("Computers/Tablets & Networking", "58058",
      c("Laptops & Netbooks", None, *leaves("PC Laptops & Netbooks", "Apple Laptops")),
      c("Computer Components & Parts", None, *leaves("Graphics/Video Cards", "CPUs/Processors",
                                                     "Computer Memory (RAM)", "Motherboards")),
      *leaves("Tablets & eBook Readers", "Desktops & All-In-Ones", "Monitors, Projectors & Accs",
              "Keyboards, Mice & Pointers", "Home Networking & Connectivity")),
    c("Consumer Electronics", "293",
      c("Portable Audio & Headphones", None, *leaves("Headphones", "Portable Speakers", "iPods & MP3 Players")),
      c("TV, Video & Home Audio", None, *leaves("Televisions", "Home Speakers & Subwoofers", "Receivers & Amplifiers",
                                                "Streaming Media Players")),
      *leaves("Vehicle Electronics & GPS", "Smart Home", "Virtual Reality")),
    c("Crafts", "14339", *leaves("Sewing", "Yarn", "Scrapbooking & Paper Crafts", "Beads & Jewelry Making",
                                 "Art Supplies")),
    c("Dolls & Bears", "237", *leaves("Dolls", "Bears", "Dollhouse Miniatures")),
    c("eBay Motors", "6000",
      c("Parts & Accessories", None, *leaves("Car & Truck Parts & Accessories", "Motorcycle Parts",
                                             "Automotive Tools & Supplies")),
      *leaves("Cars & Trucks", "Motorcycles")),
    c("Entertainment Memorabilia", "45100", *leaves("Movie Memorabilia", "Music Memorabilia",
                                                    "Television Memorabilia")),
    c("Everything Else", "99", *leaves("Every Other Thing", "Metaphysical", "Reward Points")),
    c("Gift Cards & Coupons", "172008", *leaves("Gift Cards", "Coupons")),
    c("Health & Beauty", HEALTH_AND_BEAUTY,
      c("Makeup", "180959",
        c("Face", None, *leaves("Foundation", "Concealer", "Face Powder", "Blush", "Bronzer", "Highlighter",
                                "Face Primer", "Setting Spray")),
        c("Eyes", None, *leaves("Mascara", "Eyeliner", "Eye Shadow", "Eyebrow Makeup", "False Eyelashes")),
        c("Lips", None, *leaves("Lipstick", "Lip Gloss", "Lip Liner", "Lip Stain")),
        c("Makeup Tools & Accessories", None, *leaves("Makeup Brushes", "Makeup Sponges", "Makeup Mirrors")),
        *leaves("Makeup Sets & Kits", "Makeup Remover")),
      c("Fragrances", None, *leaves("Women's Fragrances", "Men's Fragrances", "Unisex Fragrances",
                                    "Fragrance Samples", "Fragrance Gift Sets")),
      c("Skin Care", None, *leaves("Cleansers", "Moisturizers", "Serums", "Face Masks", "Toners", "Eye Creams",
                                   "Exfoliators & Scrubs", "Acne & Blemish Treatments", "Anti-Aging Products")),
      c("Hair Care & Styling", None, *leaves("Shampoos & Conditioners", "Hair Styling Products", "Hair Dryers",
                                             "Hair Straighteners", "Curling Irons", "Hair Color",
                                             "Wigs & Extensions")),
      c("Nail Care, Manicure & Pedicure", None, *leaves("Nail Polish", "Nail Art Accessories", "Manicure Tools",
                                                        "Nail Dryers & UV Lamps")),
      c("Bath & Body", None, *leaves("Body Washes & Shower Gels", "Body Lotions", "Bath Bombs", "Soaps",
                                     "Deodorants & Antiperspirants")),
      c("Vitamins & Dietary Supplements", "177011", *leaves("Vitamins & Minerals", "Protein Shakes & Bodybuilding",
                                                            "Herbal Supplements", "Weight Management",
                                                            "Probiotics")),
      c("Oral Care", None, *leaves("Toothbrushes", "Toothpaste", "Teeth Whitening")),
      c("Shaving & Hair Removal", None, *leaves("Razors & Blades", "Shaving Creams", "Electric Shavers",
                                                "Epilators"))),
    c("Home & Garden", "11700",
      c("Kitchen, Dining & Bar", None, *leaves("Small Kitchen Appliances", "Cookware", "Flatware & Silverware",
                                               "Dinnerware & Serveware")),
      *leaves("Home Décor", "Furniture", "Bedding", "Tools & Workshop Equipment", "Yard, Garden & Outdoor Living",
              "Lamps, Lighting & Ceiling Fans")),
    c("Jewelry & Watches", "281",
      c("Watches, Parts & Accessories", None, *leaves("Wristwatches", "Pocket Watches", "Watch Parts",
                                                      "Watch Bands")),
      *leaves("Fine Jewelry", "Fashion Jewelry", "Vintage & Antique Jewelry", "Men's Jewelry")),
    c("Movies & TV", "11232", *leaves("DVDs & Blu-ray Discs", "VHS Tapes", "Laserdiscs")),
    c("Music", "11233", *leaves("Records", "CDs", "Cassettes")),
    c("Musical Instruments & Gear", "619", *leaves("Guitars & Basses", "Pro Audio Equipment",
                                                   "Pianos, Keyboards & Organs", "Percussion", "DJ Equipment")),
    c("Pet Supplies", "1281", *leaves("Dog Supplies", "Cat Supplies", "Fish & Aquariums", "Bird Supplies")),
    c("Pottery & Glass", "870", *leaves("Pottery & China", "Glass")),
    c("Real Estate", "10542", *leaves("Land", "Residential", "Commercial")),
    c("Specialty Services", "316", *leaves("Printing & Personalization", "Restoration & Repair",
                                           "Graphic & Logo Design")),
    c("Sporting Goods", "888",
      c("Outdoor Sports", None, *leaves("Camping & Hiking", "Cycling", "Fishing", "Golf")),
      *leaves("Fitness, Running & Yoga", "Team Sports", "Winter Sports", "Water Sports")),
    c("Sports Mem, Cards & Fan Shop", "64482",
      c("Sports Trading Cards", None, *leaves("Trading Card Singles", "Sealed Trading Card Packs",
                                              "Sealed Trading Card Boxes")),
      *leaves("Autographs-Original", "Fan Apparel & Souvenirs", "Game Used Memorabilia")),
    c("Stamps", "260", *leaves("United States Stamps", "Worldwide Stamps", "Topical Stamps")),
    c("Tickets & Experiences", "1305", *leaves("Concert Tickets", "Sports Tickets", "Theater Tickets")),
    c("Toys & Hobbies", "220",
      c("Building Toys", None, *leaves("LEGO Complete Sets & Packs", "LEGO Minifigures", "LEGO Bricks & Pieces")),
      *leaves("Action Figures & Accessories", "Diecast & Toy Vehicles", "Games", "Model Railroads & Trains",
              "Puzzles", "Radio Control & Control Line")),
    c("Travel", "3252", *leaves("Luggage", "Travel Accessories", "Maps")),
    c("Video Games & Consoles", "1249", c("Video Games", "139973"), c("Video Game Consoles", "139971"),
      *leaves("Controllers & Attachments", "Video Game Accessories", "Replacement Parts & Tools")),
)

_BEAUTY = ("Travel Size {p}", "{p} Gift Sets", "Organic & Natural {p}", "Luxury {p}", "Other {p}",
           "Professional {p}", "Vegan {p}", "K-Beauty {p}")

# Names for the sub-categories the generator splits a leaf into ("{p}" is the leaf's own name),
# per domain; eBay's own trees lean on the same few patterns (Vintage, Parts, Lots, Other ...).
QUALIFIERS: dict[str, tuple[str, ...]] = {
    "general": ("Vintage {p}", "{p} Parts", "{p} Accessories", "{p} Lots", "Other {p}", "Handmade {p}",
                "Wholesale {p}", "New {p}"),
    "beauty": _BEAUTY,
    "makeup": _BEAUTY,
    "apparel": ("Vintage {p}", "Designer {p}", "Big & Tall {p}", "Other {p}", "Streetwear {p}",
                "Wholesale {p}", "Y2K {p}", "Workwear {p}"),
    "shoes": ("Designer {p}", "Vintage {p}", "Wide {p}", "Other {p}", "Limited Edition {p}", "Custom {p}"),
    "electronics": ("{p} Parts", "{p} Accessories", "Refurbished {p}", "Vintage {p}", "{p} Cables & Adapters",
                    "{p} Cases & Covers", "{p} Chargers", "Other {p}", "{p} Manuals & Guides"),
    "collectibles": ("Pre-1940 {p}", "1940-1969 {p}", "1970-Now {p}", "Reproduction {p}", "{p} Lots",
                     "Other {p}", "Signed {p}"),
    "toys": ("Vintage {p}", "Contemporary {p}", "{p} Sets & Lots", "{p} Parts", "Other {p}",
             "Educational {p}"),
    "media": ("Vintage {p}", "Signed {p}", "{p} Box Sets", "Other {p}", "Import {p}"),
}
