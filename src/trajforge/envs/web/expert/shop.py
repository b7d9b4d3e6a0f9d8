"""Shopping on the web environment's site: find a product, add it, check out, pay.

A named product is searched for by name; one described by constraints ("the cheapest blue
backpack under $60") is searched for by its kind, sorted when the results run over a page, and
chosen from what the result list states (price, rating, colour, stock). Checkout keeps only the
requested item in the cart, fills in the address as the user gave it, asks for the card number
when the form needs it, fixes what the form rejects (a ZIP+4, a missing phone number, asking the
user for what only they know), and asks the user to confirm the total before paying.
"""

from __future__ import annotations

import re
from typing import Any

from trajforge.agents.scripted import Done
from trajforge.envs.web.expert.moves import Sub, WebMoves
from trajforge.envs.web.expert.page import Element, Page, concept
from trajforge.envs.web.expert.text import (
    ASK_CARD,
    ASK_PHONE,
    Address,
    Offer,
    Wish,
    card_in,
    cents,
    confirm_total,
    consent,
    item_text,
    offer_in,
    phone_in,
)

_PAGES = re.compile(r"page (\d+) of (\d+)")
#: address fields the checkout form shows, in order: concept, attribute of Address
_FIELDS = (("name", "name"), ("street", "street"), ("city", "city"))
MAX_CART = 25


def results(page: Page) -> list[tuple[Element, Offer]]:
    """The products a result list shows, with what each summary line states."""
    out = []
    for link in page.all(lambda e: e.role == "link" and e.indent == 1):
        block = page.block(link)
        offer = offer_in(block[0]) if block else None
        if offer is not None:
            out.append((link, offer))
    return out


class ShopMoves(WebMoves):
    """Finding, adding and buying products."""

    ship_to = ""

    def target(self) -> tuple[str, int, str]:
        """The product the user asked for (name when named), quantity and size."""
        t: dict[str, Any] = self.truth.get("target", {})
        return str(t.get("name", "")), int(t.get("qty", 1)), str(t.get("size", ""))

    # -- finding -------------------------------------------------------------------------------

    def search(self, words: str) -> Sub[Page | None]:
        """Search the shop."""
        box = yield from self.need("search_box", "search box", "search")
        if box is None:
            return None
        return (yield from self.type(box, words, f'Search the shop for "{words}".', submit=True))

    def find_named(self, name: str) -> Sub[tuple[Element, Offer] | None]:
        """The result for a product named exactly."""
        if (yield from self.search(name)) is None:
            return None
        hit = yield from self.look_for(
            lambda p: next(((e, o) for e, o in results(p) if e.label == name), None), "results"
        )
        if hit is None:
            yield self.fail(f"the shop's search shows no {name}")
        return hit

    def find_wished(self, wish: Wish) -> Sub[tuple[Element, Offer] | None]:
        """The result that fits a described wish, reading (and sorting, paging) the results."""
        page = yield from self.search(wish.query)
        if page is None:
            return None
        pages = _PAGES.search(" ".join(page.texts("text")))
        ordered = False
        if (pages and int(pages.group(2)) > 1) or page.below:
            by_rating = wish.best == "highest-rated" or (not wish.best and not wish.cap)
            key = "rating" if by_rating else "low to high"
            sort = yield from self.need("sort", "sort menu")
            if sort is None:
                return None
            option = next((o for o in _options(sort) if key in o.lower()), None)
            if option is None:
                yield self.fail(f"the sort menu offers no order by {key}")
                return None
            page = yield from self.choose(
                sort,
                option,
                f"More results than fit in view; sorting them ({option}) so that the first one "
                "that fits is the one you want.",
            )
            ordered = True
        while page is not None:
            fits = yield from self.look_for(
                lambda p: [(e, o) for e, o in results(p) if wish.fits(o)] or None, "results"
            )
            if fits:
                return fits[0] if ordered else _best(fits, wish.best)
            more = yield from self.seek("next_page", "next page of results")
            if more is None:
                break
            page = yield from self.click(more, "Nothing on this page fits; the next page.")
        yield self.fail(f"no product in the shop fits: {wish.describe()}")
        return None

    # -- cart ----------------------------------------------------------------------------------

    def add_to_cart(
        self, hit: tuple[Element, Offer], qty: int, size: str, because: str = ""
    ) -> Sub[str | None]:
        """Add the product of a result to the cart; the site's confirmation."""
        link, _ = hit
        quick = self.page.after(link, "add") if link.line >= 0 else None
        if qty == 1 and not size and quick is not None:
            why = f"One {link.label}, no size to choose: its own add button in the list."
            page = yield from self.click(quick, f"{because} {why}".strip())
        else:
            why = f"Open {link.label} to choose size and quantity."
            page = yield from self.click(link, f"{because} {why}".strip())
            if page is None:
                return None
            if size and not (yield from self.pick("size", size, "the size you asked for")):
                return None
            if qty != 1 and not (
                yield from self.enter("qty", str(qty), "the quantity you asked for")
            ):
                return None
            button = yield from self.need("add", "add-to-cart button")
            if button is None:
                return None
            page = yield from self.click(button, "Add the item with the chosen options.")
        if page is None:
            return None
        alert = yield from self.notice()
        if not alert.startswith("Added"):
            yield self.fail(f"the site did not add the item ({alert or 'no message'})")
            return None
        return alert

    def keep_only(self, name: str, qty: int) -> Sub[Page | None]:
        """Open the cart and remove every line the user did not ask for."""
        link = yield from self.need("cart", "cart link")
        if link is None:
            return None
        if (yield from self.click(link, "Open the cart to check it before paying.")) is None:
            return None
        for _ in range(MAX_CART):
            others = [e for e in _cart_lines(self.page) if e.label != name]
            if others:
                new = [f"remove the {e.label} from the cart" for e in others]
                if any(step not in self._plan for step in new):
                    names = ", ".join(e.label for e in others)
                    self.revise(new, reason=f"The cart also holds {names}: not what you asked for.")
                remove = self.page.after(others[0], "remove")
                if remove is None:  # the line's button is just out of view
                    if (yield from self.act("scroll", {"direction": "down"}, "See it.")) is None:
                        return None
                    continue
                why = f"You asked for that item only: remove {others[0].label}."
                if (yield from self.click(remove, why)) is None:
                    return None
                self.mark_done(f"remove the {others[0].label} from the cart")
                continue
            count = yield from self.look_for(_item_count, "cart subtotal")
            if count == qty:
                break
            if count is None or not self.page.below:
                yield self.fail(f"the cart does not hold just {qty} × {name} as expected")
                return None
            if (yield from self.act("scroll", {"direction": "down"}, "More lines below.")) is None:
                return None
        mine = yield from self.look_for(
            lambda p: next((e for e in _cart_lines(p) if e.label == name), None), "cart line"
        )
        box = None if mine is None else self.page.after(mine, "qty")
        if box is None or box.value != str(qty):
            yield self.fail(f"the cart does not hold {qty} × {name} as expected")
            return None
        return self.page

    # -- checkout ------------------------------------------------------------------------------

    def fill_checkout(self, address: Address, express: bool) -> Sub[Page | None]:
        """Fill in the checkout form (address as given, card from the user) and submit it."""
        answer = yield from self.ask(ASK_CARD, "The payment field needs your card number.")
        card = card_in(answer)
        if card is None:
            yield self.fail("I need a card number to pay and did not get one")
            return None
        for name, attr in _FIELDS:
            if not (yield from self.enter(name, getattr(address, attr), f"the {name}")):
                return None
        if not (yield from self.pick("state", address.state, "the state")):
            return None
        if not (yield from self.enter("zip", address.zip, "the ZIP code as you gave it")):
            return None
        if express and not (yield from self.pick("speed", "Express", "express shipping")):
            return None
        field = yield from self.need("card", "card number field")
        if field is None:
            return None
        page = yield from self.type(field, card, "Your card number goes in the card field only.")
        for _ in range(3):
            button = None if page is None else (yield from self.need("review", "submit button"))
            if button is None:
                return None
            page = yield from self.click(button, "Submit the details and go to the review.")
            if page is None:
                return None
            alert = yield from self.notice()
            problems = re.search(r"fix (\d+) problem", alert)
            if problems is None:
                return page
            errors = yield from self.gather_errors(int(problems.group(1)))
            if not (yield from self.fix(errors, address)):
                return None
        yield self.fail("the checkout form keeps rejecting the details")
        return None

    def gather_errors(self, expected: int) -> Sub[dict[str, str]]:
        """The errors the form shows under its fields, scrolling until all are seen."""
        errors: dict[str, str] = {}
        for _ in range(MAX_CART):
            errors.update(self.page.errors())
            if len(errors) >= expected or not self.page.below:
                break
            if (yield from self.act("scroll", {"direction": "down"}, "More errors below.")) is None:
                break
        return errors

    def enter(self, name: str, value: str, what: str) -> Sub[bool]:
        """Type a value into a form field unless it already holds it."""
        field = yield from self.need(name, f"{name} field")
        if field is None:
            return False
        if field.value == value:
            return True
        page = yield from self.type(field, value, f"Enter {what}: {value}.")
        return page is not None

    def pick(self, name: str, option: str, what: str) -> Sub[bool]:
        """Choose a dropdown's option unless it is already chosen."""
        menu = yield from self.need(name, f"{name} menu")
        if menu is None:
            return False
        if menu.value == option:
            return True
        page = yield from self.choose(menu, option, f"Choose {what}: {option}.")
        return page is not None

    def fix(self, errors: dict[str, str], address: Address) -> Sub[bool]:
        """Fix what the checkout form rejected (re-planning), asking for what only you know."""
        problems = "; ".join(f"{label}: {msg.rstrip('.')}" for label, msg in errors.items())
        fixes = []
        for label in errors:
            probe = Element(eid=0, role="textbox", label=label)
            if concept("zip")(probe):
                fixes.append(("zip", "enter the ZIP code as its 5 digits"))
            elif concept("phone")(probe):
                fixes.append(("phone", "ask you for a phone number and enter it"))
        if not errors or len(fixes) < len(errors):
            yield self.fail(
                f"the checkout form rejected the details ({problems or self.page.alert})"
            )
            return False
        self.revise([text for _, text in fixes], reason=f"The checkout form said: {problems}.")
        for kind, text in fixes:
            if kind == "zip":
                digits = re.sub(r"\D", "", address.zip)[:5]
                if not (yield from self.enter("zip", digits, "the 5-digit ZIP code")):
                    return False
            else:
                answer = yield from self.ask(ASK_PHONE, "Only you can give me your phone number.")
                phone = phone_in(answer)
                if phone is None:
                    yield self.fail("the checkout needs a phone number and I did not get one")
                    return False
                if not (yield from self.enter("phone", phone, "your phone number")):
                    return False
            self.mark_done(text)
        return True

    def pay(self, name: str, qty: int) -> Sub[Page | None]:
        """On the review page: check it, get the user's yes to the total, place the order."""
        found = yield from self.look_for(lambda p: p.text_starting("Order total:"), "total")
        page = self.page
        items = page.texts("listitem")
        total = found or ""
        ship_to = page.text_starting("Ship to:") or ""
        shipping = (page.text_starting("Shipping:") or "").split("—")[0].strip()
        if len(items) != 1 or not items[0].startswith(f"{qty} × {name}"):
            yield self.fail(f"the order to review is not what you asked for ({'; '.join(items)})")
            return None
        self.ship_to = ship_to
        question = confirm_total(total, [items[0].split(" — ")[0]], ship_to, shipping)
        answer = yield from self.ask(question, "Policy: the total needs your yes before I pay.")
        ok, why = consent(answer, cents(total))
        if not ok:
            yield Done(
                f"I did not place the order because {why}. It is ready on the review page "
                f"(total {total}) if you change your mind.",
                completed=False,
                why="No yes to the total, so no payment.",
            )
            return None
        self.mark_done("ask you to confirm the order total")
        button = yield from self.need("place", "button that places the order")
        if button is None:
            return None
        return (yield from self.click(button, f"You confirmed the total of {total}: place it."))


def _options(element: Element | None) -> list[str]:
    if element is None or "options:" not in element.props:
        return []
    return [o.strip() for o in element.props.split("options:", 1)[1].split("|")]


def _best(fits: list[tuple[Element, Offer]], best: str) -> tuple[Element, Offer]:
    if best == "cheapest":
        return min(fits, key=lambda h: h[1].price)
    if best == "highest-rated":
        return max(fits, key=lambda h: h[1].rating)
    return fits[0]


def _item_count(page: Page) -> int | None:
    subtotal = page.text_starting("Subtotal (")
    m = re.match(r"(\d+) items?\)", subtotal or "")
    return int(m.group(1)) if m else None


def _cart_lines(page: Page) -> list[Element]:
    return [
        e for e in page.all(lambda e: e.role == "link" and e.indent == 1) if page.after(e, "remove")
    ]


__all__ = ["ShopMoves", "item_text", "results"]
