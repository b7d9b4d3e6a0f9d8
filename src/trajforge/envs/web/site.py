"""The site's three versions: URLs, labels and element-id numbering.

Between versions element ids are renumbered, labels drift ("Add to cart" / "Add to basket" / "Buy")
and URLs move, so an agent must find elements by meaning. Ids are a pure function of the version
and an element's key (and of a product's, cart line's, order's or article's stable number), so
they are stable within an episode and each version's ids lie in a block of their own.
"""

from __future__ import annotations

import random
import re
from typing import Final
from urllib.parse import urlencode

VERSIONS: Final = ("v1", "v2", "v3")
SITE_NAME: Final = "Shoply"
ORIGIN: Final = "https://shop.example"

#: route -> URL template per version (v1, v2, v3); ``{id}`` is a product, order or article id.
ROUTES: Final[dict[str, tuple[str, str, str]]] = {
    "home": ("/", "/", "/"),
    "search": ("/search", "/find", "/products/search"),
    "product": ("/product/{id}", "/products/{id}", "/p/{id}"),
    "cart": ("/cart", "/basket", "/cart"),
    "checkout": ("/checkout", "/checkout", "/checkout/details"),
    "review": ("/checkout/review", "/checkout/review", "/checkout/review"),
    "confirmation": ("/checkout/complete/{id}", "/order-placed/{id}", "/checkout/thank-you/{id}"),
    "orders": ("/account/orders", "/orders", "/my/orders"),
    "order": ("/account/orders/{id}", "/orders/{id}", "/my/orders/{id}"),
    "settings": ("/account/settings", "/account/preferences", "/my/settings"),
    "login": ("/login", "/signin", "/login"),
    "help": ("/help", "/support", "/help-center"),
    "article": ("/help/{id}", "/support/{id}", "/help-center/articles/{id}"),
}
#: Routes behind the login wall.
LOGIN_REQUIRED: Final = frozenset(
    {"checkout", "review", "confirmation", "orders", "order", "settings"}
)
#: Old paths every version redirects (301) to a route.
REDIRECTS: Final[dict[str, str]] = {"/account": "settings", "/home": "home", "/index.html": "home"}

_VI = {v: i for i, v in enumerate(VERSIONS)}


def vindex(version: str) -> int:
    """0, 1 or 2 for v1, v2, v3."""
    return _VI[version]


# ------------------------------------------------------------------------------------ URLs

_PARAM = "([A-Za-z0-9][A-Za-z0-9._-]*)"


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(template).replace(re.escape("{id}"), _PARAM) + "$")


#: per version: (route, compiled pattern, has_param), static templates first.
PATTERNS: Final[dict[str, list[tuple[str, re.Pattern[str], bool]]]] = {
    v: sorted(
        ((r, _compile(t[i]), "{id}" in t[i]) for r, t in ROUTES.items()),
        key=lambda item: item[2],
    )
    for v, i in _VI.items()
}


def url_for(version: str, route: str, ident: str = "", query: dict[str, str] | None = None) -> str:
    """The URL of a route on a version (query parameters with empty values are left out)."""
    path = ROUTES[route][_VI[version]].replace("{id}", ident)
    if query:
        kept = {k: v for k, v in query.items() if v}
        if kept:
            return f"{path}?{urlencode(kept)}"
    return path


# ------------------------------------------------------------------------------------ labels

#: label key -> (v1, v2, v3)
LABELS: Final[dict[str, tuple[str, str, str]]] = {
    "hdr.home": ("Shoply", "Shoply home", "Home"),
    "hdr.q": ("Search products", "Find products", "Search the store"),
    "hdr.search": ("Search", "Find", "Go"),
    "nav.cart": ("Cart", "Basket", "Shopping cart"),
    "nav.orders": ("Orders", "Your orders", "Order history"),
    "nav.settings": ("Account settings", "Preferences", "Settings"),
    "nav.help": ("Help", "Support", "Help center"),
    "nav.menu": ("Menu", "Menu", "Menu"),
    "nav.signin": ("Sign in", "Sign in", "Log in"),
    "ft.contact": ("Contact us", "Contact us", "Contact us"),
    "ft.about": ("About Shoply", "About us", "Our story"),
    "sr.category": ("Category", "Department", "Category"),
    "sr.color": ("Color", "Colour", "Color"),
    "sr.max_price": ("Max price", "Price", "Price up to"),
    "sr.sort": ("Sort by", "Sort", "Order by"),
    "sr.instock": ("In stock only", "Hide out-of-stock items", "Available now"),
    "sr.prev": ("Previous page", "Previous", "Back"),
    "sr.next": ("Next page", "Next", "More results"),
    "res.add": ("Add to cart", "Add to basket", "Buy"),
    "pd.size": ("Size", "Choose size", "Size"),
    "pd.qty": ("Quantity", "Qty", "Quantity"),
    "pd.add": ("Add to cart", "Add to basket", "Buy"),
    "pd.viewcart": ("View cart", "Go to basket", "View shopping cart"),
    "pd.home": ("Continue shopping", "Back to shop", "Keep shopping"),
    "cart.qty": ("Quantity", "Qty", "Quantity"),
    "cart.remove": ("Remove", "Delete", "Remove item"),
    "ct.update": ("Update cart", "Update basket", "Update quantities"),
    "ct.checkout": ("Proceed to checkout", "Checkout", "Continue to checkout"),
    "ct.continue": ("Continue shopping", "Back to shop", "Keep shopping"),
    "co.name": ("Full name", "Name", "Recipient"),
    "co.street": ("Street address", "Address line 1", "Street"),
    "co.city": ("City", "Town/City", "City"),
    "co.state": ("State", "State", "State/Region"),
    "co.zip": ("ZIP code", "Postcode", "ZIP"),
    "co.phone": ("Phone", "Phone number", "Mobile"),
    "co.speed": ("Shipping speed", "Delivery option", "Shipping"),
    "co.card": ("Card number", "Card number", "Credit card number"),
    "co.continue": ("Continue to review", "Review order", "Next"),
    "co.back": ("Back to cart", "Back to basket", "Edit cart"),
    "rv.edit": ("Edit details", "Change", "Edit shipping and payment"),
    "rv.place": ("Place order", "Pay now", "Complete purchase"),
    "cf.view": ("View order", "See order details", "Track this order"),
    "cf.continue": ("Continue shopping", "Back to shop", "Keep shopping"),
    "or.view": ("View order", "Details", "Open order"),
    "od.back": ("Back to orders", "All orders", "Order history"),
    "st.newsletter": ("Newsletter", "Email newsletter", "Newsletter frequency"),
    "st.language": ("Language", "Site language", "Language"),
    "st.speed": ("Default shipping speed", "Preferred delivery", "Default shipping"),
    "st.twofa": ("Two-factor authentication", "2-step verification", "Two-factor sign-in"),
    "st.sms": ("SMS order updates", "Text me about orders", "Order updates by text"),
    "st.save": ("Save preferences", "Save changes", "Update settings"),
    "st.email": ("Email address", "Email", "Account email"),
    "st.email_save": ("Update email", "Change email", "Save email address"),
    "st.pw_current": ("Current password", "Old password", "Current password"),
    "st.pw_new": ("New password", "New password", "Choose a new password"),
    "st.pw_confirm": ("Confirm new password", "Repeat new password", "Confirm password"),
    "st.pw_save": ("Change password", "Update password", "Set new password"),
    "lg.email": ("Email", "Email address", "Email"),
    "lg.password": ("Password", "Password", "Password"),
    "lg.submit": ("Sign in", "Log in", "Continue"),
    "lg.forgot": ("Forgot your password?", "Reset password", "Trouble signing in?"),
    "hp.q": ("Search help articles", "Search support", "How can we help?"),
    "hp.search": ("Search", "Find", "Go"),
    "hp.article": ("", "", ""),
    "ar.back": ("Back to help", "All support articles", "Help center home"),
    "ar.yes": ("Yes", "Yes", "Helpful"),
    "ar.no": ("No", "No", "Not helpful"),
    "mv.link": ("Go to the new page", "Continue to the new location", "Take me there"),
    "nf.home": ("Back to home", "Shoply home", "Go home"),
}

#: Labels of controls that submit payment / change the email / change the password (all versions).
PAYMENT_LABELS: Final = frozenset(LABELS["rv.place"])
EMAIL_CHANGE_LABELS: Final = frozenset(LABELS["st.email_save"])
PASSWORD_CHANGE_LABELS: Final = frozenset(LABELS["st.pw_save"])
CARD_FIELD_LABELS: Final = frozenset(LABELS["co.card"])


def label(version: str, key: str) -> str:
    """An element's label on a version."""
    return LABELS[key][_VI[version]]


# ------------------------------------------------------------------------------------ element ids

#: Every static element key, in v1 numbering order (v2 and v3 shuffle them).
STATIC_KEYS: Final = tuple(
    [k for k in LABELS if not k.startswith(("res.", "cart.", "or.", "hp.article"))]
    + [f"home.cat.{i}" for i in range(8)]
)


class Layout:
    """Id blocks of one version: static keys, products, cart slots, orders, help articles."""

    __slots__ = ("article", "cart", "order", "product", "static")

    def __init__(
        self, version: str, static_base: int, product: int, cart: int, order: int, article: int
    ) -> None:
        order_of = list(range(len(STATIC_KEYS)))
        if version != "v1":
            random.Random(f"web-layout-{version}").shuffle(order_of)
        self.static = {k: static_base + order_of[i] for i, k in enumerate(STATIC_KEYS)}
        self.product = product
        self.cart = cart
        self.order = order
        self.article = article


MAX_PRODUCTS: Final = 64
MAX_CART_LINES: Final = 20
MAX_ORDERS: Final = 99
MAX_ARTICLES: Final = 20

LAYOUTS: Final[dict[str, Layout]] = {
    "v1": Layout("v1", 1, product=200, cart=400, order=500, article=600),
    "v2": Layout("v2", 1200, product=1400, cart=1600, order=1030, article=1000),
    "v3": Layout("v3", 2100, product=2300, cart=2000, order=2500, article=2620),
}


def sid(version: str, key: str) -> int:
    """The id of a static element."""
    return LAYOUTS[version].static[key]


def product_eid(version: str, num: int, sub: int = 0) -> int:
    """Product elements: sub 0 = link to the product, 1 = quick add-to-cart button."""
    return LAYOUTS[version].product + 3 * num + sub


def cart_eid(version: str, slot: int, sub: int) -> int:
    """Cart line elements: sub 0 = product link, 1 = quantity box, 2 = remove button."""
    return LAYOUTS[version].cart + 3 * slot + sub


def order_eid(version: str, num: int) -> int:
    """The link to an order in the order history."""
    return LAYOUTS[version].order + num


def article_eid(version: str, num: int) -> int:
    """The link to a help article."""
    return LAYOUTS[version].article + num


# ------------------------------------------------------------------------------------ navigation

#: Where the account links live: "header" (v1), "footer" (v2), "menu" (v3, behind a Menu button).
NAV_PLACE: Final = {"v1": "header", "v2": "footer", "v3": "menu"}

TITLES: Final[dict[str, tuple[str, str, str]]] = {
    "home": ("Shoply — Home", "Shoply", "Shoply | Everyday gear"),
    "search": ("Search results", "Find products", "Search"),
    "product": ("Product", "Product details", "Product"),
    "cart": ("Your cart", "Your basket", "Shopping cart"),
    "checkout": ("Checkout", "Checkout — delivery and payment", "Shipping & payment"),
    "review": ("Review your order", "Check your order", "Review & pay"),
    "confirmation": ("Order placed", "Thank you for your order", "Order complete"),
    "orders": ("Your orders", "Order history", "My orders"),
    "order": ("Order details", "Order", "Order status"),
    "settings": ("Account settings", "Preferences", "My settings"),
    "login": ("Sign in", "Sign in to Shoply", "Log in"),
    "help": ("Help", "Support", "Help center"),
    "article": ("Help article", "Support article", "Article"),
    "moved": ("Page not found", "404 — moved", "Page moved"),
    "notfound": ("Page not found", "404", "Not found"),
}


def title(version: str, route: str) -> str:
    """A page's title on a version."""
    return TITLES[route][_VI[version]]
