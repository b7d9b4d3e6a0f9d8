"""Static data the support world is drawn from: product templates, names, places, phrasings."""

from __future__ import annotations

from typing import Final, NamedTuple


class ProductTemplate(NamedTuple):
    """A kind of product: option axes, a dollar price range, and the axis that raises the price."""

    name: str
    category: str
    axes: dict[str, tuple[str, ...]]
    price_range: tuple[int, int]
    priced_axis: str | None = None


PRODUCTS: Final[tuple[ProductTemplate, ...]] = (
    ProductTemplate("Desk Lamp", "home", {"color": ("black", "white", "blue", "brass")}, (29, 89)),
    ProductTemplate(
        "Floor Lamp",
        "home",
        {"color": ("black", "white", "walnut"), "shade": ("linen", "paper")},
        (69, 189),
    ),
    ProductTemplate(
        "T-Shirt",
        "apparel",
        {"size": ("S", "M", "L", "XL"), "color": ("white", "black", "navy", "red")},
        (15, 35),
    ),
    ProductTemplate(
        "Hoodie",
        "apparel",
        {"size": ("S", "M", "L", "XL"), "color": ("grey", "black", "green")},
        (39, 79),
    ),
    ProductTemplate(
        "Rain Jacket",
        "apparel",
        {"size": ("S", "M", "L", "XL"), "color": ("yellow", "navy", "olive")},
        (89, 229),
    ),
    ProductTemplate(
        "Running Shoes",
        "footwear",
        {"size": ("8", "9", "10", "11"), "color": ("black", "white", "blue")},
        (79, 169),
    ),
    ProductTemplate(
        "Hiking Boots",
        "footwear",
        {"size": ("8", "9", "10", "11"), "material": ("leather", "synthetic")},
        (119, 259),
        "material",
    ),
    ProductTemplate(
        "Backpack",
        "outdoor",
        {"color": ("black", "green", "orange"), "capacity": ("20L", "30L")},
        (49, 129),
        "capacity",
    ),
    ProductTemplate(
        "Water Bottle",
        "outdoor",
        {"color": ("blue", "black", "pink"), "capacity": ("500ml", "750ml", "1L")},
        (15, 39),
        "capacity",
    ),
    ProductTemplate(
        "Camping Tent",
        "outdoor",
        {"capacity": ("2-person", "4-person"), "color": ("green", "orange")},
        (149, 349),
        "capacity",
    ),
    ProductTemplate(
        "Wireless Headphones",
        "electronics",
        {"color": ("black", "silver", "rose gold")},
        (79, 249),
    ),
    ProductTemplate(
        "Bluetooth Speaker",
        "electronics",
        {"color": ("black", "blue", "red"), "size": ("mini", "standard")},
        (39, 149),
        "size",
    ),
    ProductTemplate(
        "Smartwatch",
        "electronics",
        {"size": ("40mm", "44mm"), "color": ("black", "silver", "gold")},
        (199, 349),
        "size",
    ),
    ProductTemplate(
        "Mechanical Keyboard",
        "electronics",
        {"switch": ("red", "brown", "blue"), "layout": ("full-size", "tenkeyless")},
        (69, 159),
    ),
    ProductTemplate(
        "Office Chair",
        "furniture",
        {"color": ("black", "grey"), "material": ("mesh", "leather")},
        (149, 399),
        "material",
    ),
    ProductTemplate(
        "Standing Desk",
        "furniture",
        {"size": ("48in", "60in"), "finish": ("oak", "walnut", "white")},
        (249, 549),
        "size",
    ),
    ProductTemplate(
        "Coffee Maker",
        "kitchen",
        {"capacity": ("4-cup", "8-cup", "12-cup"), "color": ("black", "steel")},
        (39, 149),
        "capacity",
    ),
    ProductTemplate("Electric Kettle", "kitchen", {"color": ("white", "black", "steel")}, (25, 79)),
    ProductTemplate(
        "Blender",
        "kitchen",
        {"color": ("black", "red", "white"), "power": ("600W", "1000W")},
        (49, 179),
        "power",
    ),
    ProductTemplate(
        "Cookware Set",
        "kitchen",
        {"pieces": ("5-piece", "10-piece"), "finish": ("stainless", "nonstick")},
        (89, 299),
        "pieces",
    ),
    ProductTemplate(
        "Yoga Mat",
        "fitness",
        {"color": ("purple", "blue", "black"), "thickness": ("4mm", "6mm")},
        (19, 69),
    ),
    ProductTemplate(
        "Dumbbell Set", "fitness", {"weight": ("20lb", "40lb", "60lb")}, (39, 119), "weight"
    ),
    ProductTemplate(
        "Air Purifier",
        "home",
        {"size": ("small", "large"), "color": ("white", "black")},
        (129, 299),
        "size",
    ),
    ProductTemplate(
        "Throw Pillow",
        "home",
        {"color": ("mustard", "teal", "grey"), "size": ("18in", "22in")},
        (19, 45),
        "size",
    ),
    ProductTemplate(
        "Sunglasses",
        "accessories",
        {"frame": ("black", "tortoise", "gold"), "lens": ("polarized", "standard")},
        (29, 159),
        "lens",
    ),
)

#: Axes whose value reads as an adjective before the product name ("blue desk lamp").
ADJECTIVE_AXES: Final = frozenset({"color", "finish", "frame"})

FIRST_NAMES: Final = (
    "Ava",
    "Liam",
    "Maya",
    "Noah",
    "Sofia",
    "Ethan",
    "Chloe",
    "Lucas",
    "Amara",
    "Mateo",
    "Priya",
    "Omar",
    "Hannah",
    "Diego",
    "Yuki",
    "Grace",
    "Kwame",
    "Elena",
    "Samuel",
    "Aisha",
    "Jonas",
    "Lena",
    "Ravi",
    "Isabel",
    "Theo",
    "Nadia",
    "Felix",
    "Mei",
    "Oscar",
    "Zara",
)
LAST_NAMES: Final = (
    "Garcia",
    "Nguyen",
    "Smith",
    "Patel",
    "Kowalski",
    "Okafor",
    "Rossi",
    "Johnson",
    "Kim",
    "Silva",
    "Müller",
    "Haddad",
    "Brown",
    "Tanaka",
    "Lopez",
    "Andersen",
    "Mensah",
    "Ivanova",
    "Walsh",
    "Chen",
    "Dubois",
    "Reyes",
    "Novak",
    "Fischer",
    "Ahmed",
    "Costa",
    "Murphy",
    "Sato",
)
EMAIL_DOMAINS: Final = ("example.com", "mail.example.org", "inbox.example.net", "post.example.io")

#: (city, state, zip code, area code)
PLACES: Final = (
    ("Austin", "TX", "78701", "512"),
    ("Portland", "OR", "97205", "503"),
    ("Denver", "CO", "80202", "303"),
    ("Columbus", "OH", "43215", "614"),
    ("Madison", "WI", "53703", "608"),
    ("Raleigh", "NC", "27601", "919"),
    ("Boise", "ID", "83702", "208"),
    ("Tucson", "AZ", "85701", "520"),
    ("Richmond", "VA", "23219", "804"),
    ("Omaha", "NE", "68102", "402"),
    ("Savannah", "GA", "31401", "912"),
    ("Spokane", "WA", "99201", "509"),
    ("Albany", "NY", "12207", "518"),
    ("Burlington", "VT", "05401", "802"),
    ("Santa Fe", "NM", "87501", "505"),
    ("Providence", "RI", "02903", "401"),
    ("Ann Arbor", "MI", "48104", "734"),
    ("Asheville", "NC", "28801", "828"),
    ("Berkeley", "CA", "94704", "510"),
    ("Duluth", "MN", "55802", "218"),
)
STREETS: Final = (
    "Maple Ave",
    "Oak St",
    "Cedar Ln",
    "Elm St",
    "Pine Rd",
    "Willow Way",
    "Birch Ct",
    "Lakeview Dr",
    "Hillcrest Rd",
    "Sunset Blvd",
    "River Rd",
    "Park Pl",
    "Chestnut St",
    "Meadow Ln",
    "Harbor Dr",
    "Spruce St",
)
PAYMENT_KINDS: Final = ("credit_card", "debit_card", "paypal", "gift_card")

REFUND_REASONS: Final = (
    ("defective", "it stopped working after a couple of days"),
    ("defective", "it arrived damaged"),
    ("not_as_described", "it looks nothing like the pictures"),
    ("not_as_described", "the quality is much worse than described"),
    ("no_longer_needed", "I don't need it anymore"),
    ("no_longer_needed", "it was a gift and they already had one"),
    ("arrived_late", "it arrived too late for the trip I needed it for"),
    ("wrong_item", "it isn't what I ordered"),
)
CANCEL_REASONS: Final = (
    ("no_longer_needed", "I don't need it anymore"),
    ("ordered_by_mistake", "I ordered it by mistake"),
    ("found_better_price", "I found it cheaper somewhere else"),
    ("shipping_too_slow", "it is taking too long to ship"),
    ("other", "my plans changed"),
)
