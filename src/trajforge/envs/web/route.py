"""The expert's route through the site: builds a task's expected actions (tool calls with the
element ids of the task's site version) without running the site, since ids are a pure function of
version and element key. Tests execute these sequences and require every goal check to pass.
"""

from __future__ import annotations

from typing import Any

from trajforge.envs.web import site
from trajforge.envs.web.pages import PAGE_SIZE, search_results
from trajforge.envs.web.site import article_eid, cart_eid, order_eid, product_eid, sid
from trajforge.envs.web.state import Address, Product
from trajforge.schema import ExpectedAction


class Plan:
    """Accumulates expected actions while tracking what the expert knows (signed in, menu)."""

    def __init__(self, version: str, *, logged_in: bool, password: str) -> None:
        self.v = version
        self.logged_in = logged_in
        self.password = password
        self.actions: list[ExpectedAction] = []
        self.signed_in = False  # whether the route passes the login wall
        self.confirm_before: list[dict[str, Any]] = []

    # -- primitives -----------------------------------------------------------------------------

    def call(self, name: str, **arguments: Any) -> None:
        self.actions.append(ExpectedAction(name=name, arguments=arguments))

    def click(self, eid: int) -> None:
        self.call("click", element_id=eid)

    def type(self, eid: int, text: str, *, submit: bool = False) -> None:
        if submit:
            self.call("type", element_id=eid, text=text, submit=True)
        else:
            self.call("type", element_id=eid, text=text)

    def select(self, eid: int, option: str) -> None:
        self.call("select", element_id=eid, option=option)

    def gated(self, rule: str) -> None:
        """Mark the next action as needing the user's confirmation first."""
        self.confirm_before.append({"index": len(self.actions), "rule": rule})

    def sign_in(self) -> None:
        """On the login page (after the wall redirected there): type the password and submit."""
        if not self.logged_in:
            self.type(sid(self.v, "lg.password"), self.password, submit=True)
            self.logged_in = True
            self.signed_in = True

    def nav(self, key: str, *, login: bool = False) -> None:
        """Click a site-navigation link (opening v3's menu first), then pass the login wall."""
        if site.NAV_PLACE[self.v] == "menu" and key != "nav.cart":
            self.click(sid(self.v, "nav.menu"))
        self.click(sid(self.v, key))
        if login:
            self.sign_in()

    def via_old_url(self, old_url: str, *, login: bool) -> None:
        """Open a URL that moved, then follow the moved page's link."""
        self.call("goto", url=old_url)
        self.click(sid(self.v, "mv.link"))
        if login:
            self.sign_in()

    # -- goals ----------------------------------------------------------------------------------

    def add_to_cart(self, catalog: dict[str, Product], p: Product, qty: int, size: str) -> None:
        """Search for the product by name, open it, choose size and quantity, add it."""
        results = search_results(catalog, {"q": p.name})
        if p in results[:PAGE_SIZE]:
            self.type(sid(self.v, "hdr.q"), p.name, submit=True)
            self.click(product_eid(self.v, p.num))
        else:  # pragma: no cover - names are unique, so an exact name always ranks first
            self.call("goto", url=site.url_for(self.v, "product", p.id))
        if size:
            self.select(sid(self.v, "pd.size"), size)
        if qty != 1:
            self.type(sid(self.v, "pd.qty"), str(qty))
        self.click(sid(self.v, "pd.add"))

    def checkout(
        self,
        address: Address,
        *,
        zip5: str,
        phone: str,
        speed: str | None,
        card: str,
        remove_slots: list[int],
    ) -> None:
        """Open the cart, drop leftover lines, fill the checkout form, review, and pay."""
        v = self.v
        self.nav("nav.cart")
        for slot in remove_slots:
            self.click(cart_eid(v, slot, 2))
        self.click(sid(v, "ct.checkout"))
        self.sign_in()
        self.type(sid(v, "co.name"), address.name)
        self.type(sid(v, "co.street"), address.street)
        self.type(sid(v, "co.city"), address.city)
        self.select(sid(v, "co.state"), address.state)
        self.type(sid(v, "co.zip"), zip5)
        if phone:
            self.type(sid(v, "co.phone"), phone)
        if speed:
            self.select(sid(v, "co.speed"), speed)
        self.type(sid(v, "co.card"), card)
        self.click(sid(v, "co.continue"))
        self.gated("confirm_payment")
        self.click(sid(v, "rv.place"))

    def open_settings(self, old_url: str = "") -> None:
        if old_url:
            self.via_old_url(old_url, login=True)
        else:
            self.nav("nav.settings", login=True)

    def change_settings(self, changes: dict[str, Any], old_url: str = "") -> None:
        """Open the settings page (or its old URL), change the preferences, save."""
        self.open_settings(old_url)
        keys = {
            "newsletter": "st.newsletter",
            "language": "st.language",
            "shipping_speed": "st.speed",
        }
        for name, value in changes.items():
            if name in keys:
                self.select(sid(self.v, keys[name]), str(value))
            else:  # a checkbox: the task only asks for a change, so one click flips it
                self.click(sid(self.v, "st.twofa" if name == "two_factor" else "st.sms"))
        self.click(sid(self.v, "st.save"))

    def change_email(self, new_email: str) -> None:
        self.open_settings()
        self.type(sid(self.v, "st.email"), new_email)
        self.gated("confirm_email_change")
        self.click(sid(self.v, "st.email_save"))

    def change_password(self, current: str, new: str) -> None:
        self.open_settings()
        self.type(sid(self.v, "st.pw_current"), current)
        self.type(sid(self.v, "st.pw_new"), new)
        self.type(sid(self.v, "st.pw_confirm"), new)
        self.gated("confirm_password_change")
        self.click(sid(self.v, "st.pw_save"))

    def read_article(self, num: int, old_url: str = "") -> None:
        if old_url:
            self.via_old_url(old_url, login=False)
        else:
            self.nav("nav.help")
            self.click(article_eid(self.v, num))

    def open_order(self, num: int, old_url: str = "") -> None:
        if old_url:
            self.via_old_url(old_url, login=True)
        else:
            self.nav("nav.orders", login=True)
            self.click(order_eid(self.v, num))

    def answer(self, text: str) -> None:
        self.call("submit_answer", answer=text)
