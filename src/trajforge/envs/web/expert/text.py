"""Reading and phrasing for the web expert: the user's words, the shop's numbers, the questions.

Questions to the user are worded so the simulated user recognises what is asked: a request for a
detail names it ("your account password", "card number", "phone number"); a request for a yes
states what will happen and ends with "Please confirm." (for a payment it states the total).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from trajforge.envs.consent import gives_consent

#: category nouns as shoppers say them (singular), and colours, as the shop lists them
NOUNS: Final = (
    "running shoes",
    "headphones",
    "backpack",
    "jacket",
    "coffee maker",
    "desk lamp",
    "t-shirt",
    "water bottle",
)
COLORS: Final = ("black", "white", "blue", "red", "green", "grey", "navy", "orange")

_MONEY: Final = re.compile(r"\$\s?([\d,]+)(?:\.(\d\d))?")
_CARD: Final = re.compile(r"\d(?:[ -]?\d){11,18}")
_PHONE: Final = re.compile(r"\(?\d{3}\)?[\s.-]*\d{3}[\s.-]*\d{4}")
_SECRET: Final = re.compile(r"\bis[:\s]+(\S+?)[.!]?\s*$")

ASK_PASSWORD: Final = "The site asks me to sign in to your account. What is your account password?"
ASK_CURRENT_PASSWORD: Final = (
    "The form needs your current account password as well. What is your account password?"
)
ASK_CARD: Final = "What card number should I use to pay for this order?"
ASK_PHONE: Final = "The delivery form needs one: what phone number should I enter?"


def cents(text: str) -> int | None:
    """The first dollar amount in a text, in cents."""
    m = _MONEY.search(text)
    if m is None:
        return None
    return int(m.group(1).replace(",", "")) * 100 + int(m.group(2) or 0)


def money(amount: int) -> str:
    """``$1,234.50``."""
    return f"${amount // 100:,}.{amount % 100:02d}"


def card_in(answer: str) -> str | None:
    """The card number in the user's answer (digits only)."""
    m = _CARD.search(answer)
    return re.sub(r"\D", "", m.group(0)) if m else None


def phone_in(answer: str) -> str | None:
    """The phone number in the user's answer, as they wrote it."""
    m = _PHONE.search(answer)
    return m.group(0) if m else None


def secret_in(answer: str) -> str | None:
    """The password in an answer such as "My password is maple-red-123"."""
    if "know" in answer.lower():
        return None
    m = _SECRET.search(answer.strip())
    return m.group(1) if m else None


def consent(answer: str, total: int | None = None) -> tuple[bool, str]:
    """Whether an answer is a yes (within any limit it names, for a total) and why not."""
    if not gives_consent(answer):
        return False, "you did not confirm"
    limit = cents(answer)
    if total is not None and limit is not None and total > limit:
        return False, f"the total is above the {money(limit)} you allowed"
    return True, ""


# ------------------------------------------------------------------------------------ shopping


@dataclass(frozen=True)
class Wish:
    """A product described by constraints: what to search for and how to choose."""

    noun: str
    color: str = ""
    cap: int = 0  # cents
    min_rating: float = 0.0
    best: str = ""  # "cheapest", "highest-rated" or "" (exactly one fits)

    @property
    def query(self) -> str:
        """Words for the shop's search box."""
        return f"{self.color} {self.noun}".strip()

    def fits(self, offer: Offer) -> bool:
        """Whether a listed product meets every constraint."""
        return (
            offer.in_stock
            and (not self.cap or offer.price <= self.cap)
            and offer.rating >= self.min_rating
            and (not self.color or offer.color == self.color)
        )

    def describe(self) -> str:
        """The constraints in words."""
        parts = [f"{self.color} {self.noun}".strip()]
        if self.cap:
            parts.append(f"under {money(self.cap)}")
        if self.min_rating:
            parts.append(f"rated at least {self.min_rating:g}")
        return ", ".join(parts) + ", in stock"


def wish_in(description: str) -> Wish:
    """Constraints from a description such as "the cheapest blue backpack under $60"."""
    text = description.lower()
    noun = next((n for n in NOUNS if n in text.replace("shirts", "shirt")), "")
    color = next((c for c in COLORS if re.search(rf"\b{c}\b", text)), "")
    cap = re.search(r"under \$(\d+)", text)
    rating = re.search(r"rated at least ([\d.]+) stars", text)
    best = next((b for b in ("cheapest", "highest-rated") if b in text), "")
    return Wish(
        noun=noun,
        color=color,
        cap=int(cap.group(1)) * 100 if cap else 0,
        min_rating=float(rating.group(1)) if rating else 0.0,
        best=best,
    )


@dataclass(frozen=True)
class Offer:
    """A search result's summary line: "$35.99 · ★ 4.3 (93 reviews) · Blue · In stock"."""

    price: int
    rating: float
    color: str
    in_stock: bool


def offer_in(summary: str) -> Offer | None:
    """The offer a result's summary line states."""
    parts = [p.strip() for p in summary.split("·")]
    price = cents(parts[0]) if parts else None
    rating = re.search(r"★\s*([\d.]+)", summary)
    if price is None or rating is None or len(parts) < 4:
        return None
    return Offer(
        price=price,
        rating=float(rating.group(1)),
        color=parts[2].lower(),
        in_stock=parts[3].lower() == "in stock",
    )


@dataclass(frozen=True)
class Address:
    """A shipping address as the user wrote it."""

    name: str
    street: str
    city: str
    state: str
    zip: str

    def __str__(self) -> str:
        return f"{self.name}, {self.street}, {self.city}, {self.state} {self.zip}"


def address_in(text: str) -> Address | None:
    """An address written "Name, Street, City, ST 12345(-6789)"."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4 or " " not in parts[3]:
        return None
    state, zip_code = parts[3].split(" ", 1)
    return Address(parts[0], parts[1], parts[2], state, zip_code.strip())


def item_text(qty: int, name: str, size: str) -> str:
    """``2 × Voltic Flex Drip Brewer (size M)``."""
    return f"{qty} × {name}" + (f" (size {size})" if size else "")


def confirm_total(total: str, items: list[str], ship_to: str, shipping: str) -> str:
    """The request for a yes before paying: it states the total."""
    return (
        f"Everything is ready: {'; '.join(items)}, {shipping.lower()} shipping to {ship_to}. "
        f"The order total is {total}. Shall I place the order now? Please confirm."
    )


def confirm_email(new: str) -> str:
    """The request for a yes before changing the email."""
    return f"I've entered {new} as the new email. Shall I save this email change? Please confirm."


CONFIRM_PASSWORD: Final = (
    "I've filled in the current and new password. Shall I save this password change? "
    "Please confirm."
)


# ------------------------------------------------------------------------------------ look-ups

#: (question, article title, answering paragraph, words to find the article by) per help topic
HELP_TOPICS: Final = tuple(
    (re.compile(q, re.I), re.compile(t, re.I), re.compile(p, re.I), find)
    for q, t, p, find in (
        (r"refund", r"refund", r"refunds? .*business days", "refunds"),
        (r"return", r"return", r"returned within", "returns"),
        (r"free standard shipping|spend", r"shipping", r"free on orders over", "shipping"),
        (r"express", r"shipping", r"express shipping", "shipping"),
        (r"standard shipping take", r"shipping", r"standard shipping takes", "shipping"),
        (r"warranty", r"warranty", r"electronics", "warranty"),
        (r"hours", r"contact customer|customer support", r"available", "customer support"),
        (r"phone number", r"contact customer|customer support", r"call us", "customer support"),
        (r"cancel", r"cancel", r"cancel an order within", "cancelling"),
        (r"price match", r"price match", r"lower price", "price match"),
        (r"password", r"password", r"at least", "passwords"),
        (r"gift card", r"gift card", r"valid for", "gift card"),
    )
)


def help_topic(question: str) -> tuple[re.Pattern[str], re.Pattern[str], str] | None:
    """For a help question: the article's title, the answering paragraph, words to find it by."""
    for q, title, paragraph, find in HELP_TOPICS:
        if q.search(question):
            return title, paragraph, find
    return None


def order_fact(question: str, lines: list[str]) -> str | None:
    """The line of an order page that answers a question about the order."""
    q = question.lower()
    wanted = "Tracking number:" if "tracking" in q else "Status:"
    line = next((t for t in lines if t.startswith(wanted)), None)
    if line is None:
        return None
    if "arrive" in q and "arriving" not in line:
        return None
    if "delivered" in q and not line.startswith("Status: Delivered"):
        return None
    return line
