"""Reading and writing for the support expert: ids, reasons, item and variant matching, phrasing.

Pure functions over the request text and tool results, so the expert's script stays about the
conversation. Tool results may arrive drifted (CSV rows with string values, JSON text in a cell),
so every reader here accepts strings where numbers or lists were.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

import msgspec

from trajforge.envs.support.catalog import CANCEL_REASONS, REFUND_REASONS
from trajforge.envs.support.tasks import HIDDEN_INFO_KEYS, timeframe
from trajforge.envs.support.world import days_between, describe_change, describe_item

ORDER_ID: Final = re.compile(r"\bW\d{7}\b")
EMAIL: Final = re.compile(r"[^@\s(),;:]+@[^@\s(),;:]+\.[a-z]+", re.IGNORECASE)
ZIP: Final = re.compile(r"\b\d{5}\b")
PHONE: Final = re.compile(r"\b\d{3}-\d{3}-\d{4}\b")
_WORD: Final = re.compile(r"[a-z0-9]+")
_GLUE: Final = frozenset({"a", "an", "and", "for", "is", "of", "on", "the", "to", "what", "which"})
#: Words that make the simulated customer read a message as a question about one of their
#: details (the hidden-information keys and their descriptions): a request for a yes must avoid
#: them, or the customer answers with that detail instead of confirming.
DETAIL_WORDS: Final = (
    frozenset(
        w
        for key, description in HIDDEN_INFO_KEYS.items()
        for w in _WORD.findall(f"{key.replace('_', ' ')} {description}".lower())
    )
    - _GLUE
)
EXCHANGE_WORDS: Final = ("exchange", "swap")
RETURN_WORDS: Final = ("return", "send back", "refund")


def words(text: str) -> set[str]:
    """The lower-case words of a text, as the simulated customer splits them."""
    return set(_WORD.findall(text.lower()))


def plain(text: str) -> bool:
    """Whether a message avoids every word that reads as a question about the customer."""
    return not words(text) & DETAIL_WORDS


def cents(value: Any) -> int:
    """A dollar amount (number or text, as tools and CSV give it) in cents."""
    return round(float(value) * 100)


def dollars(amount_cents: int) -> str:
    """Cents as "$12.34"."""
    return f"${amount_cents / 100:.2f}"


def as_object(data: Any) -> dict[str, Any]:
    """A tool result that should be one object (a one-item list is unwrapped)."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    return data if isinstance(data, dict) else {}


def as_list(value: Any) -> list[Any]:
    """A list field, also when a CSV cell carries it as JSON text."""
    if isinstance(value, str):
        try:
            value = msgspec.json.decode(value)
        except msgspec.DecodeError:
            return [value]
    return list(value) if isinstance(value, list) else []


def reason_code(text: str, table: Iterable[tuple[str, str]], default: str) -> str:
    """The reason code whose customer phrasing occurs in ``text``."""
    low = text.lower()
    return next((code for code, said in table if said.lower() in low), default)


def refund_reason(text: str) -> str:
    """The refund reason code a customer's words amount to."""
    return reason_code(text, REFUND_REASONS, "other")


def cancel_reason(text: str) -> str:
    """The cancellation reason code a customer's words amount to."""
    return reason_code(text, CANCEL_REASONS, "other")


def describe(item: dict[str, Any]) -> str:
    """How a customer describes an order item: "blue desk lamp", "navy T-shirt (size M)"."""
    options = item.get("options")
    if isinstance(options, str):
        options = as_object(msgspec.json.decode(options))
    return describe_item(str(item.get("name", "")), dict(options or {}))


def label(item: dict[str, Any]) -> str:
    """An item as named in a request for a yes: its description, or its name and id."""
    text = f"the {describe(item)}"
    return text if plain(text) else f"the {item.get('name', 'item')} {item.get('item_id', '')}"


def age(placed_on: str, now: str) -> str:
    """How the customer says when an order was placed ("last week")."""
    return timeframe(days_between(placed_on, now))


def described_in(request: str, item: dict[str, Any], placed_on: str, now: str) -> bool:
    """Whether the request describes this item (and, if it says when it was ordered, when)."""
    text = request.lower()
    desc = re.escape(describe(item).lower())
    for found in re.finditer(rf"(?<![\w-]){desc}", text):
        rest = text[found.end() :]
        if not rest.startswith(" i ordered ") or rest[11:].startswith(age(placed_on, now)):
            return True
    return False


def named_in(text: str, item: dict[str, Any]) -> bool:
    """Whether the text names the item's product ("my hoodie")."""
    return (
        re.search(rf"\b{re.escape(str(item.get('name', '')).lower())}\b", text.lower()) is not None
    )


def role(request: str, item: dict[str, Any]) -> str:
    """ "exchange" or "return": what the request wants done with a named item."""
    text = request.lower()
    at = text.find(str(item.get("name", "")).lower())
    before = text[: max(at, 0)]
    swap = max(before.rfind(w) for w in EXCHANGE_WORDS)
    back = max(before.rfind(w) for w in RETURN_WORDS)
    return "exchange" if swap > back else "return"


def order_for(answer: str, name: str) -> str | None:
    """The order id the customer gave for a product ("hoodie: order W1; ..."), if they split."""
    parts = [p for p in re.split(r"[;\n]", answer) if name.lower() in p.lower()]
    ids = ORDER_ID.findall(parts[0].upper()) if len(parts) == 1 else []
    return ids[0] if ids else None


def variant_in(
    text: str, item: dict[str, Any], variants: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The variant whose difference from the item the text states ("in black and in size L")."""
    low = text.lower()
    best: tuple[int, dict[str, Any]] | None = None
    current = dict(item.get("options") or {})
    for variant in variants:
        if variant.get("variant_id") == item.get("variant_id"):
            continue
        change = describe_change(current, dict(variant.get("options") or {})).lower()
        said = change and re.search(rf"(?<![\w-]){re.escape(change)}(?![\w-])", low)
        if said and (best is None or len(change) > best[0]):
            best = (len(change), variant)
    return best[1] if best else None


def options_text(options: dict[str, Any]) -> str:
    """A variant's options for a request for a yes ("silver, 44mm"), skipping detail words."""
    shown = [str(v) for v in options.values() if plain(str(v))]
    return ", ".join(shown)
