"""``find``: elements of a page located by label or meaning, not by remembered ids.

A query matches an element whose label contains it (as whole words), or contains any phrase that
means the same on this site family ("basket" finds "Cart", "buy" finds "Add to basket").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final

from trajforge.envs.web.pages import Page

MAX_RESULTS: Final = 15

#: Phrases that mean the same thing somewhere on the site (all versions' labels are covered).
SYNONYMS: Final[tuple[frozenset[str], ...]] = tuple(
    frozenset(g)
    for g in (
        {
            "cart",
            "basket",
            "shopping cart",
            "bag",
            "view cart",
            "go to basket",
            "view shopping cart",
        },
        {"add to cart", "add to basket", "buy", "add to bag", "purchase", "add"},
        {"search", "find", "find products", "search products", "search the store", "look up", "go"},
        {"checkout", "check out", "proceed to checkout", "continue to checkout"},
        {"place order", "pay now", "complete purchase", "pay", "submit order", "confirm order"},
        {
            "orders",
            "order history",
            "your orders",
            "my orders",
            "purchases",
            "past orders",
            "all orders",
        },
        {
            "view order",
            "see order details",
            "track this order",
            "details",
            "open order",
            "track order",
        },
        {"settings", "preferences", "account settings", "account", "my account", "profile"},
        {"help", "support", "help center", "faq", "customer service", "help articles"},
        {"sign in", "log in", "login", "sign on", "continue"},
        {"forgot password", "forgot your password", "reset password", "trouble signing in"},
        {"next", "next page", "more results", "more"},
        {"previous", "previous page", "back", "prev"},
        {"zip", "zip code", "postcode", "postal code"},
        {"phone", "phone number", "mobile", "telephone"},
        {"name", "full name", "recipient"},
        {"street", "street address", "address line 1", "address"},
        {"city", "town", "town/city"},
        {"state", "state/region", "region", "province"},
        {"card", "card number", "credit card", "credit card number", "payment"},
        {
            "shipping",
            "shipping speed",
            "delivery",
            "delivery option",
            "default shipping",
            "preferred delivery",
            "default shipping speed",
        },
        {"quantity", "qty", "amount"},
        {"remove", "delete", "remove item"},
        {"save", "save preferences", "save changes", "update settings"},
        {"update", "update cart", "update basket", "update quantities"},
        {"newsletter", "email newsletter", "newsletter frequency"},
        {"language", "site language"},
        {
            "two-factor",
            "two factor",
            "2fa",
            "2-step verification",
            "two-factor authentication",
            "two-factor sign-in",
            "mfa",
        },
        {"sms", "text me", "sms order updates", "order updates by text", "text me about orders"},
        {
            "email",
            "email address",
            "account email",
            "update email",
            "change email",
            "save email address",
        },
        {"password", "new password", "change password", "update password", "set new password"},
        {"menu", "navigation", "nav"},
        {"home", "homepage", "shoply home", "shoply", "go home", "back to home"},
        {"review", "review order", "continue to review", "next"},
        {"edit", "change", "edit details", "edit shipping and payment"},
        {"continue shopping", "back to shop", "keep shopping"},
        {"category", "department"},
        {"color", "colour"},
        {"price", "max price", "price up to"},
        {"sort", "sort by", "order by"},
        {"in stock", "in stock only", "hide out-of-stock items", "available now", "stock"},
        {"size", "choose size"},
        {
            "moved",
            "new page",
            "new location",
            "take me there",
            "go to the new page",
            "continue to the new location",
        },
        {"contact", "contact us"},
        {"about", "about shoply", "about us", "our story"},
    )
)


def _norm(text: str) -> str:
    return " ".join(text.lower().replace('"', " ").replace("'", " ").split())


@lru_cache(maxsize=4096)
def _pattern(query: str) -> re.Pattern[str] | None:
    q = _norm(query)
    if not q:
        return None
    terms = {q}
    for group in SYNONYMS:
        if q in group or any(len(m) > 3 and m in q for m in group):
            terms |= group
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def find_elements(page: Page, text: str) -> list[dict[str, Any]]:
    """Interactive elements whose label or role matches ``text`` by words or meaning."""
    pattern = _pattern(text)
    if pattern is None:
        return []
    role = _norm(text)
    found: list[dict[str, Any]] = []
    for node in page.nodes:
        if not node.eid:
            continue
        if pattern.search(_norm(node.label)) or role == node.role:
            item: dict[str, Any] = {"id": node.eid, "role": node.role, "label": node.label}
            if node.value is not None:
                item["value"] = node.value
            found.append(item)
            if len(found) >= MAX_RESULTS:
                break
    return found
