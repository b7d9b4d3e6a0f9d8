"""The web environment's whole state as msgspec Structs (msgpack-able, so snapshots just work).

The world (catalog, help articles, order history, account) is built from the task's parameters;
the browser part (current URL, history, form drafts, notices) changes with every action.
"""

from __future__ import annotations

import msgspec


class Product(msgspec.Struct, kw_only=True):
    """A catalog product; ``num`` is its stable index (element ids of its links derive from it)."""

    id: str
    num: int
    name: str
    category: str
    brand: str
    color: str
    price: int  # cents
    rating: float
    reviews: int
    in_stock: bool
    sizes: list[str] = []
    blurb: str = ""


class CartLine(msgspec.Struct, kw_only=True):
    """A cart line; ``slot`` is stable while the line exists (its element ids derive from it)."""

    slot: int
    product_id: str
    qty: int
    size: str = ""


class Address(msgspec.Struct, kw_only=True):
    """A postal address (US)."""

    name: str
    street: str
    city: str
    state: str
    zip: str
    phone: str = ""


class OrderLine(msgspec.Struct, kw_only=True):
    """One product line of an order."""

    product_id: str
    name: str
    qty: int
    price: int
    size: str = ""


class Order(msgspec.Struct, kw_only=True):
    """A placed order."""

    id: str
    num: int
    placed: str  # ISO date
    status: str
    lines: list[OrderLine]
    subtotal: int
    shipping: int
    total: int
    address: Address
    speed: str = "Standard"
    tracking: str = ""
    eta: str = ""  # ISO date, shipped/processing orders
    delivered: str = ""  # ISO date, delivered orders
    card_last4: str = ""


class Article(msgspec.Struct, kw_only=True):
    """A help-center article."""

    slug: str
    num: int
    title: str
    section: str
    paragraphs: list[str]


class Settings(msgspec.Struct, kw_only=True):
    """Account preferences saved with the preferences form."""

    newsletter: str
    language: str
    shipping_speed: str
    two_factor: bool
    sms_updates: bool


class Account(msgspec.Struct, kw_only=True):
    """The signed-in shopper's account."""

    name: str
    email: str
    password: str
    phone: str
    card_number: str
    address: Address
    settings: Settings


class ShopRules(msgspec.Struct, kw_only=True):
    """Shop-wide numbers used by checkout and account forms (also stated in help articles)."""

    free_shipping_over: int  # cents
    standard_fee: int  # cents
    express_fee: int  # cents
    standard_days: tuple[int, int]
    min_password: int
    phone_required: bool = False


class Checkout(msgspec.Struct, kw_only=True):
    """Details validated by the checkout form, waiting on the review page."""

    address: Address
    speed: str
    card_last4: str


class Browser(msgspec.Struct, kw_only=True):
    """The tab: where it is, how it got there, and what is typed into the current page's forms."""

    url: str = "/"
    route: str = "home"
    args: dict[str, str] = {}
    history: list[str] = []
    scroll: int = 0
    menu_open: bool = False
    form: dict[str, str] = {}
    errors: dict[str, str] = {}
    notice: str = ""


class WebState(msgspec.Struct, kw_only=True):
    """Everything that can change in an episode (and the world it happens in)."""

    version: str
    now: str
    catalog: dict[str, Product]
    cart: list[CartLine] = []
    orders: dict[str, Order] = {}
    articles: dict[str, Article] = {}
    moved_articles: dict[str, str] = {}
    account: Account
    rules: ShopRules
    logged_in: bool = True
    browser: Browser = msgspec.field(default_factory=Browser)
    checkout: Checkout | None = None
    answers: list[str] = []
    placed: list[str] = []
    events: list[str] = []
    order_seq: int = 0
