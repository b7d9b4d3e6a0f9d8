"""Reading the web environment's pages the way a person reads a screen: by meaning, not by id.

A page arrives as accessibility-tree text (``[12] link "Orders"``). ``Page.parse`` turns it into
elements and text lines; ``CONCEPTS`` says what each control looks like on any version of the site
(a role and the labels that mean it: "Basket (2)" is the cart, "Pay now" places the order), so the
expert finds the element it needs on the page it just received, whatever its id is there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

_ELEMENT: Final = re.compile(
    r'^(?P<pad> *)\[(?P<eid>\d+)\] (?P<role>[\w-]+) "(?P<label>[^"]*)"'
    r'(?: value="(?P<value>[^"]*)")?(?P<props>.*)$'
)
_TEXT: Final = re.compile(r'^(?P<pad> *)(?P<role>[\w-]+) "(?P<text>.*)"$')
_BELOW: Final = re.compile(r"^… (\d+) more lines below")
_ABOVE: Final = re.compile(r"^… (\d+) lines above")

#: concept -> (role, label pattern): what a control looks like on every version of the site.
CONCEPTS: Final[dict[str, tuple[str, re.Pattern[str]]]] = {
    name: (role, re.compile(pattern, re.I))
    for name, (role, pattern) in {
        "search_box": ("textbox", r"(search|find) (products|the store)"),
        "cart": ("link", r"(cart|basket|shopping cart|bag) \(\d+\)"),
        "menu": ("button", r"menu"),
        "orders": ("link", r"(your |my )?orders|order history"),
        "settings": ("link", r"(account )?settings|preferences"),
        "help": ("link", r"help( center)?|support"),
        "size": ("combobox", r"(choose )?size"),
        "qty": ("textbox", r"quantity|qty"),
        "add": ("button", r"add to (cart|basket|bag)|buy"),
        "remove": ("button", r"remove( item)?|delete"),
        "update_cart": ("button", r"update (cart|basket|quantities)"),
        "checkout": ("button", r"(proceed to |continue to )?checkout"),
        "password": ("textbox", r"password"),
        "name": ("textbox", r"(full )?name|recipient"),
        "street": ("textbox", r"street( address)?|address line 1"),
        "city": ("textbox", r"(town/)?city"),
        "state": ("combobox", r"state(/region)?"),
        "zip": ("textbox", r"zip( code)?|postcode"),
        "phone": ("textbox", r"phone( number)?|mobile"),
        "speed": ("combobox", r"shipping( speed)?|delivery option"),
        "card": ("textbox", r"(credit )?card number"),
        "review": ("button", r"continue to review|review order|next"),
        "place": ("button", r"place order|pay now|complete purchase"),
        "newsletter": ("combobox", r"(email )?newsletter( frequency)?"),
        "language": ("combobox", r"(site )?language"),
        "shipping_speed": ("combobox", r"default shipping( speed)?|preferred delivery"),
        "two_factor": ("checkbox", r"two-factor (authentication|sign-in)|2-step verification"),
        "sms_updates": (
            "checkbox",
            r"sms order updates|text me about orders|order updates by text",
        ),
        "save_prefs": ("button", r"save (preferences|changes)|update settings"),
        "email": ("textbox", r"(account )?email( address)?"),
        "save_email": ("button", r"(update|change) email|save email address"),
        "pw_current": ("textbox", r"(current|old) password"),
        "pw_new": ("textbox", r"(choose a )?new password"),
        "pw_confirm": ("textbox", r"confirm (new )?password|repeat new password"),
        "save_password": ("button", r"(change|update|set new) password"),
        "moved": ("link", r"go to the new page|continue to the new location|take me there"),
        "sort": ("combobox", r"sort( by)?|order by"),
        "next_page": ("link", r"next( page)?|more results"),
    }.items()
}
#: what to ask the find tool for when a concept is out of view (find matches by meaning too)
QUERIES: Final = {
    "search_box": "search",
    "cart": "cart",
    "menu": "menu",
    "orders": "orders",
    "settings": "settings",
    "help": "help",
    "size": "size",
    "qty": "quantity",
    "add": "add to cart",
    "remove": "remove",
    "update_cart": "update cart",
    "checkout": "checkout",
    "password": "password",
    "name": "name",
    "street": "street",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "phone": "phone",
    "speed": "shipping",
    "card": "card number",
    "review": "review",
    "place": "place order",
    "newsletter": "newsletter",
    "language": "language",
    "shipping_speed": "default shipping",
    "two_factor": "two-factor",
    "sms_updates": "sms",
    "save_prefs": "save",
    "email": "email",
    "save_email": "update email",
    "pw_current": "current password",
    "pw_new": "new password",
    "pw_confirm": "confirm password",
    "save_password": "change password",
    "moved": "new page",
    "sort": "sort",
    "next_page": "next page",
}
_LOGIN_TITLE: Final = re.compile(r"\b(sign|log) in\b", re.I)

Pick = Callable[["Element"], bool]


@dataclass(frozen=True)
class Element:
    """An interactive line of a page."""

    eid: int
    role: str
    label: str
    value: str | None = None
    props: str = ""
    indent: int = 0
    line: int = -1

    def describe(self) -> str:
        """``[12] link "Orders"``, as the site names it."""
        return f'[{self.eid}] {self.role} "{self.label}"'

    @property
    def checked(self) -> bool:
        """Whether a checkbox is ticked."""
        return "checked=true" in self.props

    @property
    def collapsed(self) -> bool:
        """Whether a menu button is closed."""
        return "expanded=false" in self.props

    @property
    def disabled(self) -> bool:
        """Whether the control is greyed out."""
        return self.props.endswith(" disabled")


def concept(name: str) -> Pick:
    """A test for the elements that mean ``name`` (role and label)."""
    role, pattern = CONCEPTS[name]
    return lambda e: e.role == role and pattern.fullmatch(e.label.strip()) is not None


def labelled(text: str, role: str = "link") -> Pick:
    """A test for the element with exactly this label."""
    return lambda e: e.role == role and e.label.strip().lower() == text.strip().lower()


@dataclass
class Page:
    """A rendered page: where it is, its elements and its text lines, in order."""

    url: str = ""
    title: str = ""
    echo: str = ""
    elements: list[Element] = field(default_factory=list)
    lines: list[tuple[int, str, str]] = field(default_factory=list)  # (indent, role, text)
    above: int = 0
    below: int = 0

    @classmethod
    def parse(cls, text: str) -> Page:
        """A page from a tool's text (an action's echo line, then the rendered page)."""
        page = cls()
        body = False
        for raw in text.splitlines():
            if raw.startswith("URL: "):
                page.url, body = raw[5:].strip(), True
            elif not body:
                page.echo = f"{page.echo}\n{raw}".strip()
            elif raw.startswith("Title: "):
                page.title = raw[7:].strip()
            elif m := _BELOW.match(raw):
                page.below = int(m.group(1))
            elif m := _ABOVE.match(raw):
                page.above = int(m.group(1))
            elif m := _ELEMENT.match(raw):
                element = Element(
                    eid=int(m.group("eid")),
                    role=m.group("role"),
                    label=m.group("label"),
                    value=m.group("value"),
                    props=m.group("props") or "",
                    indent=len(m.group("pad")) // 2,
                    line=len(page.lines),
                )
                page.elements.append(element)
                page.lines.append((element.indent, element.role, element.label))
            elif m := _TEXT.match(raw):
                page.lines.append((len(m.group("pad")) // 2, m.group("role"), m.group("text")))
        return page

    # -- elements ------------------------------------------------------------------------------

    def first(self, pick: Pick | str) -> Element | None:
        """The first element that fits (a concept name or a test)."""
        test = concept(pick) if isinstance(pick, str) else pick
        return next((e for e in self.elements if test(e)), None)

    def all(self, pick: Pick | str) -> list[Element]:
        """Every element that fits."""
        test = concept(pick) if isinstance(pick, str) else pick
        return [e for e in self.elements if test(e)]

    def after(self, anchor: Element, pick: Pick | str) -> Element | None:
        """The first element that fits after ``anchor`` and before the next element at its level."""
        test = concept(pick) if isinstance(pick, str) else pick
        for e in self.elements:
            if e.line <= anchor.line:
                continue
            if e.indent <= anchor.indent:
                return None
            if test(e):
                return e
        return None

    def block(self, anchor: Element) -> list[str]:
        """The text lines nested under an element (a result's summary, a cart line's price)."""
        out: list[str] = []
        for indent, _, text in self.lines[anchor.line + 1 :]:
            if indent <= anchor.indent:
                break
            out.append(text)
        return out

    # -- text ----------------------------------------------------------------------------------

    def texts(self, *roles: str) -> list[str]:
        """The text of non-interactive lines (of the given roles, or all)."""
        ids = {e.line for e in self.elements}
        return [
            t
            for i, (_, r, t) in enumerate(self.lines)
            if i not in ids and (not roles or r in roles)
        ]

    def text_starting(self, prefix: str) -> str | None:
        """The first text line that starts with ``prefix``, without it."""
        for text in self.texts():
            if text.startswith(prefix):
                return text[len(prefix) :].strip()
        return None

    @property
    def alert(self) -> str:
        """The site's notice on this page (after an action), or ''."""
        return next(iter(self.texts("alert")), "")

    def errors(self) -> dict[str, str]:
        """Form errors shown under fields: the field's label -> the message."""
        found: dict[str, str] = {}
        last = ""
        ids = {e.line: e for e in self.elements}
        for i, (_, _, text) in enumerate(self.lines):
            if i in ids:
                last = ids[i].label
            elif text.startswith("Error: "):
                found[last] = text[7:]
        return found

    @property
    def is_login(self) -> bool:
        """Whether this is the sign-in page (the login wall)."""
        return self.first("password") is not None or bool(_LOGIN_TITLE.search(self.title))

    @property
    def is_moved(self) -> bool:
        """Whether this is a "page moved" 404 with a link to the new location."""
        return self.first("moved") is not None or bool(self.moved_to())

    def moved_to(self) -> str:
        """Where a moved page says it went."""
        text = next((t for t in self.texts() if "has moved to" in t), "")
        return text.rsplit("has moved to", 1)[-1].strip().rstrip(".")


def found_elements(data: Any) -> list[Element]:
    """The find tool's answer as elements, whatever its format (JSON rows, CSV, one object)."""
    rows = [data] if isinstance(data, dict) else data if isinstance(data, list) else []
    out: list[Element] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        try:
            eid = int(str(row.get("id", "")).strip())
        except ValueError:
            continue
        value = row.get("value")
        out.append(
            Element(
                eid=eid,
                role=str(row.get("role", "")),
                label=str(row.get("label", "")),
                value=None if value in (None, "") else str(value),
            )
        )
    return out
