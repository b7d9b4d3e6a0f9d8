"""The shop's world, a pure function of (world_seed, now): catalog, help articles, order history,
the shopper's account and the shop's rules. The task generator and ``build_state`` both use it."""

from __future__ import annotations

import datetime as dt
import random
from typing import Final

import msgspec

from trajforge.envs.web.state import (
    Account,
    Address,
    Article,
    Order,
    OrderLine,
    Product,
    Settings,
    ShopRules,
)
from trajforge.envs.world_cache import WorldCache

#: slug -> (display name, nouns, (min $, max $), sizes)
CATEGORIES: Final[dict[str, tuple[str, tuple[str, ...], tuple[int, int], tuple[str, ...]]]] = {
    "running-shoes": (
        "Running shoes",
        ("Runner", "Trail Shoe", "Racer", "Trainer"),
        (45, 170),
        ("7", "8", "9", "10", "11", "12"),
    ),
    "headphones": ("Headphones", ("Headphones", "Earbuds", "Headset"), (19, 320), ()),
    "backpacks": ("Backpacks", ("Backpack", "Daypack", "Rucksack"), (25, 160), ()),
    "jackets": (
        "Jackets",
        ("Rain Jacket", "Puffer Jacket", "Fleece", "Shell Jacket"),
        (39, 260),
        ("S", "M", "L", "XL"),
    ),
    "coffee-makers": (
        "Coffee makers",
        ("Drip Brewer", "Espresso Maker", "French Press", "Pour-Over Set"),
        (19, 420),
        (),
    ),
    "desk-lamps": ("Desk lamps", ("Desk Lamp", "LED Lamp", "Task Light"), (15, 130), ()),
    "t-shirts": (
        "T-shirts",
        ("Tee", "Crew T-Shirt", "Performance Tee"),
        (9, 45),
        ("S", "M", "L", "XL"),
    ),
    "water-bottles": ("Water bottles", ("Bottle", "Flask", "Tumbler"), (8, 55), ()),
}
CATEGORY_ORDER: Final = tuple(CATEGORIES)
BRANDS: Final = (
    "Northpeak",
    "Stridex",
    "Lumora",
    "Aeroline",
    "Kestrel",
    "Bramble",
    "Voltic",
    "Harbor",
    "Quillon",
    "Tandem",
    "Ridgeway",
    "Solace",
    "Orbit",
    "Fenwick",
)
MODELS: Final = (
    "Pro",
    "Lite",
    "Max",
    "Air",
    "Edge",
    "Trail",
    "Urban",
    "Classic",
    "Flex",
    "Peak",
    "Nova",
    "Echo",
    "Drift",
    "Summit",
    "Pulse",
    "Vista",
)
COLORS: Final = ("black", "white", "blue", "red", "green", "grey", "navy", "orange")
BLURBS: Final = (
    "Built for everyday use.",
    "Lightweight and durable.",
    "A customer favourite.",
    "Designed in-house and tested for a year.",
    "Now with recycled materials.",
)

NEWSLETTER: Final = ("Weekly", "Monthly", "Never")
LANGUAGES: Final = ("English", "Español", "Français", "Deutsch")
SPEEDS: Final = ("Standard", "Express")
STATES: Final = (
    "AZ",
    "CA",
    "CO",
    "GA",
    "IL",
    "MA",
    "MI",
    "NC",
    "NM",
    "NY",
    "OR",
    "TX",
    "VT",
    "WA",
    "WI",
)
CITIES: Final = (
    ("Springfield", "IL", "62704"),
    ("Portland", "OR", "97205"),
    ("Austin", "TX", "78701"),
    ("Madison", "WI", "53703"),
    ("Burlington", "VT", "05401"),
    ("Boulder", "CO", "80302"),
    ("Raleigh", "NC", "27601"),
    ("Tucson", "AZ", "85701"),
    ("Savannah", "GA", "31401"),
    ("Eugene", "OR", "97401"),
    ("Ann Arbor", "MI", "48104"),
    ("Santa Fe", "NM", "87501"),
    ("Seattle", "WA", "98103"),
    ("Cambridge", "MA", "02139"),
    ("Oakland", "CA", "94607"),
    ("Buffalo", "NY", "14201"),
)
FIRST: Final = (
    "Jordan",
    "Alex",
    "Sam",
    "Riley",
    "Morgan",
    "Casey",
    "Dana",
    "Jamie",
    "Taylor",
    "Avery",
    "Priya",
    "Mateo",
    "Lena",
    "Omar",
    "Wei",
    "Noor",
)
LAST: Final = (
    "Lee",
    "Park",
    "Garcia",
    "Nguyen",
    "Smith",
    "Okafor",
    "Rossi",
    "Kim",
    "Silva",
    "Novak",
    "Haddad",
    "Brown",
    "Chen",
    "Ortiz",
)
STREETS: Final = (
    "Maple Ave",
    "Oak Street",
    "Cedar Lane",
    "Pine Road",
    "Elm Court",
    "Birch Way",
    "Willow Drive",
    "Harbor Blvd",
    "Lake Street",
    "Hillcrest Rd",
    "River Road",
    "Park Place",
)

#: original slug -> (section, title, new slug when the article moved)
ARTICLES: Final[dict[str, tuple[str, str, str]]] = {
    "returns-policy": ("Returns & refunds", "Returns and refunds", "returns-and-refunds"),
    "shipping-options": ("Shipping", "Shipping options and costs", "shipping-and-delivery"),
    "warranty": ("Products", "Product warranty", "product-warranty"),
    "contact-us": ("Contact", "Contact customer support", "customer-support"),
    "cancel-order": ("Orders", "Cancelling an order", "cancelling-an-order"),
    "price-match": ("Orders", "Price match guarantee", "price-match-guarantee"),
    "account-security": ("Account", "Passwords and account security", "password-and-security"),
    "gift-cards": ("Payments", "Gift card terms", "gift-card-terms"),
}


class World(msgspec.Struct, kw_only=True):
    """The static world a task happens in (before any action)."""

    now: str
    catalog: dict[str, Product]
    orders: dict[str, Order]
    articles: dict[str, Article]
    moved_articles: dict[str, str]
    facts: dict[str, str]
    account: Account
    rules: ShopRules
    order_base: int


def money(cents: int) -> str:
    """``$1,234.50``."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def nice_date(iso: str) -> str:
    """``Mar 18, 2025``."""
    d = dt.date.fromisoformat(iso)
    return f"{d.strftime('%b')} {d.day}, {d.year}"


def luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit to a 15-digit prefix."""
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return prefix + str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    """Whether a digit string passes the Luhn check."""
    return len(number) >= 12 and number.isdigit() and luhn_complete(number[:-1]) == number


def random_address(rng: random.Random, name: str | None = None) -> Address:
    """A random US address."""
    city, state, zip_code = rng.choice(CITIES)
    person = name or f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return Address(
        name=person,
        street=f"{rng.randint(2, 980)} {rng.choice(STREETS)}",
        city=city,
        state=state,
        zip=zip_code,
    )


def random_phone(rng: random.Random) -> str:
    """A fictional US phone number."""
    return f"(555) 01{rng.randint(0, 9)}-{rng.randint(1000, 9999)}"


def _catalog(rng: random.Random) -> dict[str, Product]:
    catalog: dict[str, Product] = {}
    names: set[str] = set()
    ids: set[str] = set()
    num = 0
    for slug in CATEGORY_ORDER:
        _, nouns, (lo, hi), sizes = CATEGORIES[slug]
        prices: set[int] = set()
        for _ in range(rng.randint(6, 8)):
            while True:
                name = f"{rng.choice(BRANDS)} {rng.choice(MODELS)} {rng.choice(nouns)}"
                if name not in names:
                    break
            while True:
                price = rng.randint(lo, hi) * 100 + rng.choice((0, 99, 49, 95))
                if price not in prices:
                    break
            while True:
                pid = f"P{rng.randint(1000, 9999)}"
                if pid not in ids:
                    break
            names.add(name)
            prices.add(price)
            ids.add(pid)
            catalog[pid] = Product(
                id=pid,
                num=num,
                name=name,
                category=slug,
                brand=name.split(" ", maxsplit=1)[0],
                color=rng.choice(COLORS),
                price=price,
                rating=round(rng.uniform(2.8, 5.0), 1),
                reviews=rng.randint(3, 2400),
                in_stock=rng.random() < 0.85,
                sizes=list(sizes),
                blurb=rng.choice(BLURBS),
            )
            num += 1
    return catalog


def _facts(rng: random.Random) -> dict[str, str]:
    h1, h2 = rng.choice((("8am", "8pm"), ("9am", "6pm"), ("7am", "10pm"), ("9am", "9pm")))
    a, b = rng.choice(((3, 5), (2, 4), (4, 7), (5, 8)))
    return {
        "return_days": str(rng.choice((14, 30, 45, 60, 90))),
        "refund_days": str(rng.choice((3, 5, 7, 10))),
        "free_shipping_over": str(rng.choice((35, 49, 50, 75, 99))),
        "standard_days": f"{a}-{b}",
        "express_fee": str(rng.choice((999, 1299, 1499, 1999))),
        "warranty_years": str(rng.choice((1, 2, 3))),
        "support_open": h1,
        "support_close": h2,
        "support_phone": f"1-800-555-0{rng.randint(100, 199)}",
        "cancel_hours": str(rng.choice((1, 2, 12, 24))),
        "price_match_days": str(rng.choice((7, 14, 30))),
        "min_password": str(rng.choice((8, 10, 12))),
        "gift_card_years": str(rng.choice((1, 2, 5))),
    }


def _paragraphs(slug: str, f: dict[str, str]) -> list[str]:
    express = money(int(f["express_fee"]))
    days = f["standard_days"].replace("-", "–")
    text = {
        "returns-policy": [
            f"Most items can be returned within {f['return_days']} days of delivery.",
            "Items must be unused and in their original packaging.",
            f"Refunds go back to the original payment method within {f['refund_days']} business "
            "days after we receive the return.",
            "Opened earbuds are final sale unless they are defective.",
        ],
        "shipping-options": [
            f"Standard shipping takes {days} business days.",
            f"Standard shipping is free on orders over ${f['free_shipping_over']}; otherwise it "
            "costs $5.99.",
            f"Express shipping (1–2 business days) costs {express}.",
            "We ship to all 50 US states. We do not ship internationally yet.",
        ],
        "warranty": [
            "Electronics (headphones, coffee makers and desk lamps) carry a "
            f"{f['warranty_years']}-year limited warranty from the date of delivery.",
            "Clothing and shoes are covered against manufacturing defects for 90 days.",
            "To make a claim, contact support with your order number.",
        ],
        "contact-us": [
            f"Our support team is available {f['support_open']}–{f['support_close']} Eastern Time, "
            "Monday to Friday.",
            f"Call us at {f['support_phone']} or use the chat button on any page.",
            "Please have your order number ready.",
        ],
        "cancel-order": [
            f"You can cancel an order within {f['cancel_hours']} hours of placing it by "
            "contacting support.",
            "Orders that have shipped cannot be cancelled; return them instead.",
        ],
        "price-match": [
            f"If you find a lower price on Shoply within {f['price_match_days']} days of your "
            "purchase, we'll refund the difference.",
            "Price match does not apply to flash sales or clearance items.",
        ],
        "account-security": [
            f"Passwords must be at least {f['min_password']} characters long and include a number.",
            "Turn on two-factor authentication in your account settings for extra protection.",
            "We will never ask for your password by email or phone.",
        ],
        "gift-cards": [
            f"Gift cards are valid for {f['gift_card_years']} years from the date of purchase.",
            "Gift cards cannot be exchanged for cash.",
        ],
    }
    return text[slug]


def _orders(
    rng: random.Random,
    catalog: dict[str, Product],
    now: dt.date,
    account: Account,
    express_fee: int,
    base: int,
) -> dict[str, Order]:
    products = list(catalog.values())
    orders: list[Order] = []
    ages = sorted(rng.sample(range(1, 120), rng.randint(5, 7)))
    used: set[str] = set()
    for age in ages:
        lines: list[OrderLine] = []
        for p in rng.sample(products, rng.choice((1, 1, 2))):
            if p.id in used:
                continue
            used.add(p.id)
            size = rng.choice(p.sizes) if p.sizes else ""
            lines.append(
                OrderLine(
                    product_id=p.id,
                    name=p.name,
                    qty=rng.choice((1, 1, 2)),
                    price=p.price,
                    size=size,
                )
            )
        if not lines:
            continue
        placed = now - dt.timedelta(days=age)
        subtotal = sum(line.price * line.qty for line in lines)
        speed = rng.choice(SPEEDS)
        shipping = express_fee if speed == "Express" else (0 if subtotal >= 5000 else 599)
        tracking, eta, delivered = "", "", ""
        if age <= 2:
            status = "Processing"
            eta = (now + dt.timedelta(days=rng.randint(3, 6))).isoformat()
        elif age <= 9:
            status = "Shipped"
            eta = (now + dt.timedelta(days=rng.randint(1, 5))).isoformat()
        elif rng.random() < 0.12:
            status = "Cancelled"
        else:
            status = "Delivered"
            delivered = (placed + dt.timedelta(days=rng.randint(2, 6))).isoformat()
        if status in ("Shipped", "Delivered"):
            tracking = "1Z" + "".join(
                rng.choice("0123456789ABCDEFGHJKLMNPRTVWXY") for _ in range(10)
            )
        oid = f"W{base + rng.randint(1000, 99999)}"
        orders.append(
            Order(
                id=oid,
                num=0,
                placed=placed.isoformat(),
                status=status,
                lines=lines,
                subtotal=subtotal,
                shipping=shipping,
                total=subtotal + shipping,
                address=account.address,
                speed=speed,
                tracking=tracking,
                eta=eta,
                delivered=delivered,
                card_last4=account.card_number[-4:],
            )
        )
    # newest first, numbered in that order
    result: dict[str, Order] = {}
    for order in sorted(orders, key=lambda o: o.placed, reverse=True):
        if order.id not in result:
            order.num = len(result)
            result[order.id] = order
    return result


def build_world(world_seed: int, now: str) -> World:
    """The world for a seed: deterministic, independent of the site version."""
    rng = random.Random(world_seed)
    catalog = _catalog(rng)
    facts = _facts(rng)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    address = random_address(rng, f"{first} {last}")
    card = luhn_complete("4" + "".join(str(rng.randint(0, 9)) for _ in range(14)))
    account = Account(
        name=f"{first} {last}",
        email=f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@mail.example",
        password=f"{rng.choice(MODELS).lower()}-{rng.choice(COLORS)}-{rng.randint(100, 999)}",
        phone=random_phone(rng),
        card_number=card,
        address=address,
        settings=Settings(
            newsletter=rng.choice(NEWSLETTER),
            language=rng.choice(("English", "English", "English", "Español")),
            shipping_speed=rng.choice(("Standard", "Standard", "Express")),
            two_factor=rng.random() < 0.4,
            sms_updates=rng.random() < 0.5,
        ),
    )
    rules = ShopRules(
        free_shipping_over=int(facts["free_shipping_over"]) * 100,
        standard_fee=599,
        express_fee=int(facts["express_fee"]),
        standard_days=(
            int(facts["standard_days"].split("-")[0]),
            int(facts["standard_days"].split("-")[1]),
        ),
        min_password=int(facts["min_password"]),
    )
    order_base = rng.randint(1, 8) * 100000
    orders = _orders(
        rng, catalog, dt.date.fromisoformat(now), account, rules.express_fee, order_base
    )
    moved_slug = rng.choice(tuple(ARTICLES))
    articles: dict[str, Article] = {}
    moved: dict[str, str] = {}
    for num, (slug, (section, title, new_slug)) in enumerate(ARTICLES.items()):
        current = new_slug if slug == moved_slug else slug
        if slug == moved_slug:
            moved[slug] = new_slug
        articles[current] = Article(
            slug=current, num=num, title=title, section=section, paragraphs=_paragraphs(slug, facts)
        )
    return World(
        now=now,
        catalog=catalog,
        orders=orders,
        articles=articles,
        moved_articles=moved,
        facts=facts,
        account=account,
        rules=rules,
        order_base=order_base,
    )


_WORLDS: Final = WorldCache(World, maxsize=512)


def load_world(world_seed: int, now: str) -> World:
    """A fresh, mutable copy of ``build_world(world_seed, now)``, from a small cache."""
    return _WORLDS.get((world_seed, now), lambda: build_world(world_seed, now))
