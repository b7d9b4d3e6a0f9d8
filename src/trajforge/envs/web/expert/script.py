"""The scripted expert of the web environment: a careful person using the shop's website.

It plans the goals the user asked for, then works through the site as seen: pages arrive as
accessibility-tree text, and every element is found by meaning on the page just received (or with
the ``find`` tool when out of view), never by a remembered id, since ids and labels differ between
site versions. It follows moved pages and redirects, signs in at the login wall (asking for the
password), fills and fixes forms (asking for a phone number when the form requires one), asks for
the user's yes before paying (stating the total) and before an email or password change, types the
card number only into the card field, reports look-up answers with ``submit_answer``, and re-plans
when the site changes the picture. Building blocks live in ``moves`` (pages, navigation, login)
and ``shop`` (products, cart, checkout); reading and phrasing in ``page`` and ``text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from trajforge.agents.scripted import Done, Script
from trajforge.envs.web.expert.moves import REPORT, Sub
from trajforge.envs.web.expert.page import Element, Page
from trajforge.envs.web.expert.shop import ShopMoves
from trajforge.envs.web.expert.text import (
    ASK_CURRENT_PASSWORD,
    CONFIRM_PASSWORD,
    address_in,
    confirm_email,
    consent,
    help_topic,
    item_text,
    money,
    order_fact,
    secret_in,
    wish_in,
)
from trajforge.schema import Task

Goal = tuple[list[str], Callable[[], Sub[bool]]]
SETTING_NAMES = {
    "newsletter": "the newsletter",
    "language": "the site language",
    "shipping_speed": "the default shipping speed",
    "two_factor": "two-factor authentication",
    "sms_updates": "SMS order updates",
}
CONFIRM = "ask you to confirm the change"
HOW = {"cheapest": "is the cheapest that fits", "highest-rated": "is the highest-rated that fits"}
_ORDER_ID = re.compile(r"\border (W\d+)")
_ITEM = re.compile(r"I ordered the (.+?) a while ago")


class WebExpert(ShopMoves):
    """Solves web tasks the way a careful person would, writing down why."""

    # -- the script ----------------------------------------------------------------------------

    def script(self, task: Task) -> Script:
        """Plan every goal the user asked for, then reach them one after the other."""
        kind = str(self.truth.get("kind", ""))
        first, _, second = kind.partition("_and_")
        goals = [g for g in (self.goal(first, moved=False), self.goal(second, moved=True)) if g]
        if not goals:
            yield Done(f"I'm sorry, I can't help with this request ({kind}).", completed=False)
            return
        self.plan([item for items, _ in goals for item in items] + [REPORT])
        look = {"direction": "up"}
        if (
            yield from self.act("read_page", {}, "First, see what the browser shows.", look)
        ) is None:
            return
        for _, flow in goals:
            if not (yield from flow()):
                return
        self.mark_done(REPORT)
        yield Done(" ".join(self.report), why="Everything you asked for is done; summarising.")

    def goal(self, kind: str, moved: bool) -> Goal | None:
        """The plan steps and the flow of one goal."""
        old = str(self.truth.get("moved_from", "")) if moved else ""
        if kind in ("cart_named", "cart_constrained"):
            return self.cart_goal()
        if kind == "buy":
            return self.buy_goal()
        if kind in ("setting", "email", "password"):
            where = f"open your bookmarked settings page {old}" if old else "open your settings"
            flow = {"setting": self.settings, "email": self.email, "password": self.password_}
            return self.account_goal(kind, where, old), lambda: flow[kind](where, old)
        if kind == "help":
            where = f"open the help page you remembered ({old})" if old else "open the help center"
            return [where, "open the article that answers it", "send you the answer"], (
                lambda: self.help(where, old)
            )
        if kind in ("track", "track_order", "track_item"):
            where = f"open the order page you remembered ({old})" if old else "open your orders"
            return [where, "read the order's details", "send you the answer"], (
                lambda: self.track(where, old)
            )
        return None

    # -- shopping ------------------------------------------------------------------------------

    def wanted(self) -> tuple[str, str]:
        """How the user described the product, and the plan step for adding it."""
        name, qty, size = self.target()
        what = str(self.truth.get("description", "")).split(" (")[0] or f"the {name}"
        if "description" in self.truth:
            amount = "one" if qty == 1 else f"{qty} of them"
            thing = amount + (f" in size {size}" if size else "")
        else:
            thing = item_text(qty, name, size)
        return f"find {what}", f"add {thing} to the cart"

    def cart_goal(self) -> Goal:
        find, add = self.wanted()
        return [find, add], self.cart

    def buy_goal(self) -> Goal:
        find, add = self.wanted()
        steps = [
            find,
            add,
            "check the cart holds only that item",
            "fill in the checkout form",
            "ask you to confirm the order total",
            "place the order",
        ]
        return steps, self.buy

    def found(self) -> Sub[str | None]:
        """Find the product and add it; the site's confirmation."""
        name, qty, size = self.target()
        find, add = self.wanted()
        because = ""
        if "description" in self.truth:
            described = str(self.truth["description"]).split(" (")[0]
            wish = wish_in(described)
            hit = yield from self.find_wished(wish)
            if hit is not None:
                link, o = hit
                how = HOW.get(wish.best, "fits everything you asked for")
                because = (
                    f"The {link.label} {how} ({money(o.price)}, rated {o.rating:g}, "
                    f"{o.color}, in stock)."
                )
                self.report.append(f"You asked for {described}: I chose the {link.label}.")
        else:
            hit = yield from self.find_named(name)
        if hit is None:
            return None
        self.mark_done(find)
        alert = yield from self.add_to_cart(hit, qty, size, because)
        if alert is not None:
            self.mark_done(add)
        return alert

    def cart(self) -> Sub[bool]:
        alert = yield from self.found()
        if alert is None:
            return False
        cart = self.page.first("cart")
        count = f" The cart link now reads “{cart.label}”." if cart is not None else ""
        self.report.append(f"The site confirmed: “{alert}”{count} Nothing was bought.")
        return True

    def buy(self) -> Sub[bool]:
        name, qty, _ = self.target()
        address = address_in(str(self.truth.get("address_as_given", "")))
        if address is None:
            yield self.fail("I could not read the shipping address")
            return False
        if (yield from self.found()) is None or (yield from self.keep_only(name, qty)) is None:
            return False
        self.mark_done("check the cart holds only that item")
        button = yield from self.need("checkout", "checkout button")
        if button is None:
            return False
        page: Page | None = yield from self.click(
            button, "The cart holds just what you asked for; on to checkout."
        )
        page = None if page is None else (yield from self.past_login(page))
        if page is None:
            return False
        express = re.search(r"\buse express shipping\b", self.request, re.I) is not None
        if (yield from self.fill_checkout(address, express)) is None:
            return False
        self.mark_done("fill in the checkout form")
        page = yield from self.pay(name, qty)
        heading = "" if page is None else next(iter(page.texts("heading")), "")
        if page is None or "placed" not in heading:
            if page is not None:
                yield self.fail(f"the order was not confirmed ({page.alert or page.title})")
            return False
        self.mark_done("place the order")
        charged = page.text_starting("Total charged:") or ""
        self.report.append(
            f"The site confirmed: “{heading}” It ships to {self.ship_to}; total charged {charged}."
        )
        return True

    # -- account -------------------------------------------------------------------------------

    def account_goal(self, kind: str, where: str, old: str) -> list[str]:
        if kind == "setting":
            changes: dict[str, Any] = self.truth.get("settings", {})
            return [where, *(self.setting_step(k, v) for k, v in changes.items()), "save them"]
        if kind == "email":
            new = str(self.truth.get("new_email", ""))
            return [where, f"enter {new} as the new email", CONFIRM, "save the new email"]
        return [where, "fill in the current and the new password", CONFIRM, "save the new password"]

    @staticmethod
    def setting_step(name: str, value: Any) -> str:
        shown = ("on" if value else "off") if isinstance(value, bool) else str(value)
        return f"set {SETTING_NAMES.get(name, name)} to {shown}"

    @staticmethod
    def setting_state(name: str, value: Any) -> str:
        shown = ("on" if value else "off") if isinstance(value, bool) else str(value)
        return f"{SETTING_NAMES.get(name, name)} is {shown}"

    def open_settings(self, where: str, old: str) -> Sub[Page | None]:
        if old:
            page = yield from self.open_bookmark(old, "your settings page", where)
        else:
            page = yield from self.open_section("settings", "your account settings")
        if page is not None:
            self.mark_done(where)
        return page

    def settings(self, where: str, old: str) -> Sub[bool]:
        if (yield from self.open_settings(where, old)) is None:
            return False
        changes: dict[str, Any] = self.truth.get("settings", {})
        for name, value in changes.items():
            ticked = isinstance(value, bool)  # whether it is ticked shows on the page only
            control = yield from self.need(name, SETTING_NAMES.get(name, name), see=ticked)
            if control is None:
                return False
            step = self.setting_step(name, value)
            if isinstance(value, bool) and control.checked != value:
                page = yield from self.click(control, f"It is {'off' if value else 'on'}: {step}.")
            elif not isinstance(value, bool) and control.value != value:
                page = yield from self.choose(control, str(value), f"You asked me to {step}.")
            else:
                self.assume(f"{SETTING_NAMES.get(name, name)} was already as you wanted")
                page = self.page
            if page is None:
                return False
            self.mark_done(step)
        save = yield from self.need("save_prefs", "button that saves the preferences")
        page = None if save is None else (yield from self.click(save, "Save the preferences."))
        if page is None:
            return False
        shown = [self.page.first(n) for n in changes]
        wrong = [
            e.label for e, v in zip(shown, changes.values(), strict=True) if e and not _shows(e, v)
        ]
        alert = yield from self.notice()
        if "saved" not in alert or wrong:
            yield self.fail(f"the preferences were not saved ({alert or ', '.join(wrong)})")
            return False
        self.mark_done("save them")
        states = " and ".join(self.setting_state(k, v) for k, v in changes.items())
        self.report.append(f"The site confirmed: “{alert}” Now {states}.")
        return True

    def email(self, where: str, old: str) -> Sub[bool]:
        new = str(self.truth.get("new_email", ""))
        if (yield from self.open_settings(where, old)) is None:
            return False
        field = yield from self.need("email", "email field")
        page = (
            None
            if field is None
            else (yield from self.type(field, new, f"Enter your new email, {new}."))
        )
        if page is None:
            return False
        self.mark_done(f"enter {new} as the new email")
        return (
            yield from self.confirm_and_save(confirm_email(new), "save_email", "save the new email")
        )

    def password_(self, where: str, old: str) -> Sub[bool]:
        new = str(self.truth.get("new_password", ""))
        if (yield from self.open_settings(where, old)) is None:
            return False
        if self.password is None:
            answer = yield from self.ask(ASK_CURRENT_PASSWORD, "Changing it needs the current one.")
            self.password = secret_in(answer)
            if not self.password:
                yield self.fail("the change needs your current password and I did not get it")
                return False
        for name, text, why in (
            ("pw_current", self.password, "The current password you gave me."),
            ("pw_new", new, "The new password you chose."),
            ("pw_confirm", new, "The new password again, to confirm it."),
        ):
            field = yield from self.need(name, f"{name.removeprefix('pw_')} password field")
            if field is None or (yield from self.type(field, text, why)) is None:
                return False
        self.mark_done("fill in the current and the new password")
        return (
            yield from self.confirm_and_save(
                CONFIRM_PASSWORD, "save_password", "save the new password"
            )
        )

    def confirm_and_save(self, question: str, button: str, step: str) -> Sub[bool]:
        """Ask for the user's yes to a gated change, then make it and check the site's answer."""
        answer = yield from self.ask(question, "Policy: this change needs your explicit yes.")
        ok, why = consent(answer)
        if not ok:
            yield Done(f"I did not make the change because {why}.", False, "No yes, no change.")
            return False
        self.mark_done(CONFIRM)
        save = yield from self.need(button, "button that saves the change")
        page = None if save is None else (yield from self.click(save, "You confirmed: save it."))
        if page is None:
            return False
        alert = yield from self.notice()
        if not re.search(r"is now|has been changed", alert):
            yield self.fail(f"the site did not make the change ({alert or 'no message'})")
            return False
        self.mark_done(step)
        self.report.append(f"The site confirmed: “{alert}”")
        return True

    # -- look-ups ------------------------------------------------------------------------------

    def help(self, where: str, old: str) -> Sub[bool]:
        question = str(self.truth.get("question", ""))
        topic = help_topic(question)
        if topic is None:
            yield self.fail("I do not know where the help center answers that")
            return False
        title, paragraph, query = topic
        if old:
            page = yield from self.open_bookmark(old, "the help page", where)
        else:
            page = yield from self.open_section("help", "the help center")
            if page is not None:
                self.mark_done(where)
                link = yield from self.need(
                    lambda e: e.role == "link" and title.search(e.label) is not None,
                    "article that answers it",
                    query,
                )
                page = (
                    None
                    if link is None
                    else (yield from self.click(link, f"“{link.label}” is the article for this."))
                )
        if page is None:
            return False
        self.mark_done(where)
        self.mark_done("open the article that answers it")
        found = yield from self.look_for(
            lambda p: next((t for t in p.texts("paragraph") if paragraph.search(t)), None),
            "answer in the article",
        )
        if found is None:
            yield self.fail(f"the article {page.title} does not answer: {question}")
            return False
        name = next(iter(page.texts("heading")), page.title)
        return (yield from self.answer(f"{found} (help article “{name}”)"))

    def track(self, where: str, old: str) -> Sub[bool]:
        question = str(self.truth.get("question", ""))
        if old:
            page = yield from self.open_bookmark(old, "the order page", where)
        else:
            page = yield from self.open_section("orders", "your order history")
            if page is not None:
                self.mark_done(where)
                page = yield from self.open_order()
        if page is None:
            return False
        self.mark_done("read the order's details")
        fact = yield from self.look_for(lambda p: order_fact(question, p.texts("text")), "details")
        heading = next(iter(page.texts("heading")), page.title)
        if fact is None:
            yield self.fail(f"{heading} does not say: {question}")
            return False
        return (yield from self.answer(f"{heading} — {fact}."))

    def open_order(self) -> Sub[Page | None]:
        """From the order history, open the order the user means (by its id, or by its item)."""
        by_id = _ORDER_ID.search(self.request)
        item = _ITEM.search(self.request)
        oid = by_id.group(1) if by_id else ""
        why = f"Open order {oid}, the one you asked about."
        while not oid and item is not None:
            row = next((r for r in self.page.texts("row") if item.group(1) in r), None)
            if row is not None:
                oid = row.split("|")[0].strip()
                why = f"The row of order {oid} lists the {item.group(1)}: open it."
            elif self.page.below:
                if (
                    yield from self.act("scroll", {"direction": "down"}, "More orders below.")
                ) is None:
                    return None
            else:
                break
        if not oid:
            yield self.fail("I could not tell which order you mean")
            return None
        link = yield from self.need(_ends(oid), f"link to order {oid}", oid)
        if link is None:
            return None
        return (yield from self.click(link, why))

    def answer(self, text: str) -> Sub[bool]:
        """Report a look-up answer with submit_answer."""
        result = yield from self.act("submit_answer", {"answer": text}, "Record the answer.")
        if result is None:
            return False
        self.mark_done("send you the answer")
        self.report.append(f"Answer: {text}")
        return True


def _ends(oid: str) -> Callable[[Element], bool]:
    return lambda e: e.role == "link" and e.label.endswith(oid)


def _shows(element: Element | None, value: Any) -> bool:
    if element is None:
        return False
    return element.checked == value if isinstance(value, bool) else element.value == value
