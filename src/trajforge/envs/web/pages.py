"""Pages as accessibility trees: each route's builder turns the state into a list of nodes, and
``render`` writes the visible part as text lines such as ``[12] link "Orders"``.

A node's ``act`` says what interacting with it does (the browser module carries it out), so the
page a tool sees and the page the agent reads are always the same object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from trajforge.envs.web import site
from trajforge.envs.web.site import article_eid, cart_eid, label, order_eid, product_eid, sid
from trajforge.envs.web.state import Product, WebState
from trajforge.envs.web.world import (
    CATEGORIES,
    CATEGORY_ORDER,
    COLORS,
    LANGUAGES,
    NEWSLETTER,
    SPEEDS,
    money,
    nice_date,
)
from trajforge.envs.web.world import STATES as STATE_CODES

VIEW_LINES: Final = 30
PAGE_SIZE: Final = 5

Act = tuple[str, ...]

PRICE_CAPS: Final = (
    ("Any price", ""),
    ("Under $25", "25"),
    ("Under $50", "50"),
    ("Under $100", "100"),
    ("Under $200", "200"),
)
SORTS: Final = (
    ("Relevance", ""),
    ("Price: low to high", "price_asc"),
    ("Price: high to low", "price_desc"),
    ("Customer rating", "rating"),
)


class Node:
    """One line of the accessibility tree; ``eid`` 0 means not interactive."""

    __slots__ = ("act", "eid", "indent", "key", "label", "props", "role", "value")

    def __init__(
        self,
        role: str,
        text: str,
        eid: int = 0,
        indent: int = 0,
        *,
        value: str | None = None,
        props: str = "",
        key: str = "",
        act: Act = (),
    ) -> None:
        self.role = role
        self.label = text
        self.eid = eid
        self.indent = indent
        self.value = value
        self.props = props
        self.key = key
        self.act = act

    def line(self) -> str:
        """The node as one text line."""
        pad = "  " * self.indent
        head = f"{pad}[{self.eid}] {self.role}" if self.eid else f"{pad}{self.role}"
        text = f'{head} "{self.label}"'
        if self.value is not None:
            text += f' value="{self.value}"'
        return text + self.props if self.props else text

    def describe(self) -> str:
        """``[12] link "Orders"``: how echoes and errors name the element."""
        return f'[{self.eid}] {self.role} "{self.label}"'


class Page:
    """A built page: title and nodes, with an id index built on first use."""

    __slots__ = ("_by_id", "nodes", "title")

    def __init__(self, title: str, nodes: list[Node]) -> None:
        self.title = title
        self.nodes = nodes
        self._by_id: dict[int, Node] | None = None

    def get(self, eid: int) -> Node | None:
        """The interactive node with an id, if it is on this page."""
        if self._by_id is None:
            self._by_id = {n.eid: n for n in self.nodes if n.eid}
        return self._by_id.get(eid)

    def index_of(self, eid: int) -> int:
        """The line number of a node (-1 if absent)."""
        for i, node in enumerate(self.nodes):
            if node.eid == eid:
                return i
        return -1


# ------------------------------------------------------------------------------------ helpers


def _mask(value: str, keep: int = 0) -> str:
    if not value:
        return ""
    if keep and len(value) > keep:
        return "•••• " + value[-keep:]
    return "•" * len(value)


def _options(options: tuple[str, ...] | list[str]) -> str:
    return " options: " + " | ".join(options)


def stock_text(p: Product) -> str:
    """``In stock`` / ``Out of stock``."""
    return "In stock" if p.in_stock else "Out of stock"


def product_summary(p: Product) -> str:
    """Price, rating, colour and stock on one line."""
    reviews = f"★ {p.rating} ({p.reviews} reviews)"
    return f"{money(p.price)} · {reviews} · {p.color.title()} · {stock_text(p)}"


class _Builder:
    """Appends nodes for one page of one version."""

    __slots__ = ("nodes", "s", "v")

    def __init__(self, s: WebState) -> None:
        self.s = s
        self.v = s.version
        self.nodes: list[Node] = []

    def text(self, role: str, text: str, indent: int = 0) -> None:
        self.nodes.append(Node(role, text, 0, indent))

    def link(
        self, key: str, url: str, indent: int = 0, text: str | None = None, eid: int = 0
    ) -> None:
        self.nodes.append(
            Node(
                "link",
                text if text is not None else label(self.v, key),
                eid or sid(self.v, key),
                indent,
                key=key,
                act=("nav", url),
            )
        )

    def button(
        self,
        key: str,
        act: Act,
        indent: int = 0,
        *,
        disabled: bool = False,
        text: str | None = None,
        eid: int = 0,
    ) -> None:
        self.nodes.append(
            Node(
                "button",
                text if text is not None else label(self.v, key),
                eid or sid(self.v, key),
                indent,
                props=" disabled" if disabled else "",
                key=key,
                act=act,
            )
        )

    def textbox(
        self,
        key: str,
        form: str,
        indent: int = 0,
        *,
        mask: int = -1,
        eid: int = 0,
        text: str | None = None,
    ) -> None:
        raw = self.s.browser.form.get(key, "")
        shown = raw if mask < 0 else _mask(raw, mask)
        self.nodes.append(
            Node(
                "textbox",
                text if text is not None else label(self.v, key),
                eid or sid(self.v, key),
                indent,
                value=shown,
                key=key,
                act=("field", form),
            )
        )
        self._error(key, indent)

    def combobox(
        self, key: str, form: str, options: tuple[str, ...], current: str, indent: int = 0
    ) -> None:
        self.nodes.append(
            Node(
                "combobox",
                label(self.v, key),
                sid(self.v, key),
                indent,
                value=current,
                props=_options(options),
                key=key,
                act=("select", form, *options),
            )
        )
        self._error(key, indent)

    def checkbox(self, key: str, form: str, checked: bool, indent: int = 0) -> None:
        self.nodes.append(
            Node(
                "checkbox",
                label(self.v, key),
                sid(self.v, key),
                indent,
                props=f" checked={'true' if checked else 'false'}",
                key=key,
                act=("toggle", form),
            )
        )

    def _error(self, key: str, indent: int) -> None:
        error = self.s.browser.errors.get(key)
        if error:
            self.nodes.append(Node("text", f"Error: {error}", 0, indent + 1))

    def url(self, route: str, ident: str = "", query: dict[str, str] | None = None) -> str:
        return site.url_for(self.v, route, ident, query)


# ------------------------------------------------------------------------------------ chrome


def _cart_count(s: WebState) -> int:
    return sum(line.qty for line in s.cart)


def _header(b: _Builder) -> None:
    s, v = b.s, b.v
    place = site.NAV_PLACE[v]
    b.link("hdr.home", "/")
    if place == "menu":
        b.nodes.append(
            Node(
                "button",
                label(v, "nav.menu"),
                sid(v, "nav.menu"),
                props=f" expanded={'true' if s.browser.menu_open else 'false'}",
                key="nav.menu",
                act=("menu",),
            )
        )
        if s.browser.menu_open:
            _account_links(b, 1)
    b.textbox("hdr.q", "search")
    b.button("hdr.search", ("submit", "search"))
    b.link("nav.cart", b.url("cart"), text=f"{label(v, 'nav.cart')} ({_cart_count(s)})")
    if place == "header":
        _account_links(b, 0)
    elif not s.logged_in and place == "footer":
        b.link("nav.signin", b.url("login"))
    if s.browser.notice:
        b.text("alert", s.browser.notice)


def _account_links(b: _Builder, indent: int) -> None:
    b.link("nav.orders", b.url("orders"), indent)
    b.link("nav.settings", b.url("settings"), indent)
    b.link("nav.help", b.url("help"), indent)
    if not b.s.logged_in:
        b.link("nav.signin", b.url("login"), indent)


def _footer(b: _Builder) -> None:
    contact = _article_url(b, "contact-us")
    b.text("separator", "footer")
    if site.NAV_PLACE[b.v] == "footer":
        b.text("heading", "Your account")
        b.link("nav.orders", b.url("orders"), 1)
        b.link("nav.settings", b.url("settings"), 1)
        b.text("heading", "Customer service")
        b.link("nav.help", b.url("help"), 1)
        b.link("ft.contact", contact, 1)
        b.link("ft.about", b.url("help"), 1)
    else:
        b.link("ft.contact", contact)
        b.link("ft.about", b.url("help"))


def _article_url(b: _Builder, original_slug: str) -> str:
    slug = b.s.moved_articles.get(original_slug, original_slug)
    return b.url("article", slug)


# ------------------------------------------------------------------------------------ pages


def _home(b: _Builder) -> str:
    s = b.s
    first = s.account.name.split(" ")[0]
    b.text("heading", f"Welcome back, {first}" if s.logged_in else "Welcome to Shoply")
    b.text("heading", "Featured products")
    featured = [p for p in s.catalog.values() if p.num % 7 == 3][:4]
    for p in featured:
        b.link("", b.url("product", p.id), 1, text=p.name, eid=product_eid(b.v, p.num))
        b.text("text", f"{money(p.price)} · ★ {p.rating}", 2)
    b.text("heading", "Shop by category")
    for i, slug in enumerate(CATEGORY_ORDER):
        b.link(
            f"home.cat.{i}", b.url("search", query={"category": slug}), 1, text=CATEGORIES[slug][0]
        )
    return site.title(b.v, "home")


def search_results(catalog: dict[str, Product], args: dict[str, str]) -> list[Product]:
    """Products matching a search page's query and filters, in display order."""
    q = args.get("q", "").strip().lower()
    tokens = [_stem(t) for t in _words(q)]
    category = args.get("category", "")
    color = args.get("color", "")
    cap = args.get("max_price", "")
    cap_cents = int(cap) * 100 if cap.isdigit() else 0
    in_stock = args.get("in_stock", "") == "1"
    scored: list[tuple[int, Product]] = []
    for p in catalog.values():
        if category and p.category != category:
            continue
        if color and p.color != color:
            continue
        if cap_cents and p.price > cap_cents:
            continue
        if in_stock and not p.in_stock:
            continue
        if tokens:
            words = product_words(p)
            if not all(t in words for t in tokens):
                continue
            score = (
                2 if p.name.lower() == q else 1 if all(t in _name_words(p) for t in tokens) else 0
            )
        else:
            score = 0
        scored.append((score, p))
    sort = args.get("sort", "")
    if sort == "price_asc":
        scored.sort(key=lambda sp: (sp[1].price, sp[1].num))
    elif sort == "price_desc":
        scored.sort(key=lambda sp: (-sp[1].price, sp[1].num))
    elif sort == "rating":
        scored.sort(key=lambda sp: (-sp[1].rating, sp[1].num))
    else:
        scored.sort(key=lambda sp: (-sp[0], sp[1].num))
    return [p for _, p in scored]


def _words(text: str) -> list[str]:
    out: list[str] = []
    word = []
    for ch in text.lower():
        if ch.isalnum():
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return out


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


_WORDS_CACHE: dict[tuple[str, str, str], frozenset[str]] = {}


def product_words(p: Product) -> frozenset[str]:
    """The stemmed words search matches a product by: name, brand, category and colour."""
    key = (p.name, p.category, p.color)
    words = _WORDS_CACHE.get(key)
    if words is None:
        text = f"{p.name} {CATEGORIES[p.category][0]} {p.category} {p.color}"
        words = frozenset(_stem(w) for w in _words(text))
        if len(_WORDS_CACHE) > 50_000:
            _WORDS_CACHE.clear()
        _WORDS_CACHE[key] = words
    return words


def _name_words(p: Product) -> frozenset[str]:
    return frozenset(_stem(w) for w in _words(p.name))


def search_query(args: dict[str, str], **changes: str) -> dict[str, str]:
    """A search page's query with some parameters changed (back to page 1)."""
    query = {
        k: args.get(k, "") for k in ("q", "category", "color", "max_price", "sort", "in_stock")
    }
    query.update(changes)
    return query


CATEGORY_OPTIONS: Final = ("All categories", *(CATEGORIES[c][0] for c in CATEGORY_ORDER))
COLOR_OPTIONS: Final = ("Any color", *(c.title() for c in COLORS))


def filter_value(key: str, option: str) -> str:
    """The query value for a filter option label."""
    if key == "sr.category":
        for slug in CATEGORY_ORDER:
            if CATEGORIES[slug][0] == option:
                return slug
        return ""
    if key == "sr.color":
        return "" if option == COLOR_OPTIONS[0] else option.lower()
    pairs = PRICE_CAPS if key == "sr.max_price" else SORTS
    return next((value for text, value in pairs if text == option), "")


def _search(b: _Builder) -> str:
    s, v = b.s, b.v
    args = s.browser.args
    q = args.get("q", "")
    category = args.get("category", "")
    results = search_results(s.catalog, args)
    if q:
        b.text("heading", f"Results for “{q}”")
    else:
        b.text("heading", CATEGORIES[category][0] if category in CATEGORIES else "All products")
    cat_label = CATEGORIES[category][0] if category in CATEGORIES else CATEGORY_OPTIONS[0]
    color = args.get("color", "")
    b.combobox("sr.category", "filter", CATEGORY_OPTIONS, cat_label)
    b.combobox("sr.color", "filter", COLOR_OPTIONS, color.title() if color else COLOR_OPTIONS[0])
    cap = next((t for t, val in PRICE_CAPS if val == args.get("max_price", "")), PRICE_CAPS[0][0])
    b.combobox("sr.max_price", "filter", tuple(t for t, _ in PRICE_CAPS), cap)
    sort = next((t for t, val in SORTS if val == args.get("sort", "")), SORTS[0][0])
    b.combobox("sr.sort", "filter", tuple(t for t, _ in SORTS), sort)
    b.checkbox("sr.instock", "filter", args.get("in_stock", "") == "1")
    page = args.get("page", "1")
    page_no = int(page) if page.isdigit() and int(page) > 0 else 1
    pages = max(1, -(-len(results) // PAGE_SIZE))
    page_no = min(page_no, pages)
    shown = results[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE]
    if not results:
        b.text("text", "No products match your search. Try fewer words or remove a filter.")
    else:
        first = (page_no - 1) * PAGE_SIZE + 1
        b.text(
            "text",
            f"Showing {first}–{first + len(shown) - 1} of {len(results)} results "
            f"(page {page_no} of {pages})",
        )
        b.text("list", "Results")
        for p in shown:
            b.link("", b.url("product", p.id), 1, text=p.name, eid=product_eid(v, p.num))
            b.text("text", product_summary(p), 2)
            if p.in_stock and not p.sizes:
                b.button(
                    "res.add",
                    ("quick_add", p.id),
                    2,
                    text=label(v, "res.add"),
                    eid=product_eid(v, p.num, 1),
                )
    base = search_query(args)
    if page_no > 1:
        b.link("sr.prev", b.url("search", query={**base, "page": str(page_no - 1)}))
    if page_no < pages:
        b.link("sr.next", b.url("search", query={**base, "page": str(page_no + 1)}))
    return site.title(v, "search")


def _product(b: _Builder) -> str:
    s, v = b.s, b.v
    p = s.catalog[s.browser.args["id"]]
    b.text("heading", p.name)
    b.text("text", f"Price: {money(p.price)}")
    b.text("text", f"Rating: ★ {p.rating} out of 5 ({p.reviews} reviews)")
    b.text(
        "text",
        f"Brand: {p.brand} · Color: {p.color.title()} · Category: {CATEGORIES[p.category][0]}",
    )
    b.text("text", f"Availability: {stock_text(p)}")
    b.text("text", p.blurb)
    if p.sizes:
        current = s.browser.form.get("pd.size", "") or "Select a size"
        b.combobox("pd.size", "product", tuple(p.sizes), current)
    b.textbox("pd.qty", "product")
    b.button("pd.add", ("submit", "product"), disabled=not p.in_stock)
    if s.browser.notice.startswith("Added"):
        b.link("pd.viewcart", b.url("cart"))
    b.link("pd.home", "/")
    related = [o for o in s.catalog.values() if o.category == p.category and o.id != p.id][:3]
    if related:
        b.text("heading", "Customers also viewed")
        for o in related:
            b.link("", b.url("product", o.id), 1, text=o.name, eid=product_eid(v, o.num))
    return f"{p.name} — {site.title(v, 'product')}"


def _cart(b: _Builder) -> str:
    s, v = b.s, b.v
    b.text("heading", site.title(v, "cart"))
    if not s.cart:
        b.text("text", "Your cart is empty.")
    else:
        b.text("list", "Items")
        for line in s.cart:
            p = s.catalog[line.product_id]
            b.link("", b.url("product", p.id), 1, text=p.name, eid=cart_eid(v, line.slot, 0))
            size = f"Size {line.size} · " if line.size else ""
            b.text(
                "text", f"{size}{money(p.price)} each · line total {money(p.price * line.qty)}", 2
            )
            b.textbox(
                f"cart.qty.{line.slot}",
                "cart",
                2,
                text=label(v, "cart.qty"),
                eid=cart_eid(v, line.slot, 1),
            )
            b.button(
                "cart.remove",
                ("remove", str(line.slot)),
                2,
                text=label(v, "cart.remove"),
                eid=cart_eid(v, line.slot, 2),
            )
        subtotal = sum(s.catalog[line.product_id].price * line.qty for line in s.cart)
        b.text("text", f"Subtotal ({_cart_count(s)} items): {money(subtotal)}")
        b.button("ct.update", ("submit", "cart"))
    b.button("ct.checkout", ("nav", b.url("checkout")), disabled=not s.cart)
    b.link("ct.continue", "/")
    return site.title(v, "cart")


def shipping_fee(s: WebState, subtotal: int, speed: str) -> int:
    """Shipping for a subtotal and speed under the shop's rules."""
    if speed == "Express":
        return s.rules.express_fee
    return 0 if subtotal >= s.rules.free_shipping_over else s.rules.standard_fee


def cart_subtotal(s: WebState) -> int:
    """The cart's subtotal in cents."""
    return sum(s.catalog[line.product_id].price * line.qty for line in s.cart)


def _checkout(b: _Builder) -> str:
    s, v = b.s, b.v
    b.text("heading", site.title(v, "checkout"))
    b.text("heading", "Shipping address")
    for key in ("co.name", "co.street", "co.city"):
        b.textbox(key, "checkout", 1)
    b.combobox(
        "co.state", "checkout", STATE_CODES, s.browser.form.get("co.state", "") or "Select", 1
    )
    b.textbox("co.zip", "checkout", 1)
    b.textbox("co.phone", "checkout", 1)
    b.text("heading", "Delivery")
    b.combobox("co.speed", "checkout", SPEEDS, s.browser.form.get("co.speed", "Standard"), 1)
    r = s.rules
    b.text(
        "text",
        f"Standard: free over {money(r.free_shipping_over)}, otherwise {money(r.standard_fee)}"
        f" · Express: {money(r.express_fee)}",
        2,
    )
    b.text("heading", "Payment")
    b.textbox("co.card", "checkout", 1, mask=4)
    b.text("text", f"Items subtotal: {money(cart_subtotal(s))}")
    b.button("co.continue", ("submit", "checkout"))
    b.link("co.back", b.url("cart"))
    return site.title(v, "checkout")


def _review(b: _Builder) -> str:
    s, v = b.s, b.v
    info = s.checkout
    b.text("heading", site.title(v, "review"))
    b.text("list", "Items")
    for line in s.cart:
        p = s.catalog[line.product_id]
        size = f" (size {line.size})" if line.size else ""
        b.text("listitem", f"{line.qty} × {p.name}{size} — {money(p.price * line.qty)}", 1)
    subtotal = cart_subtotal(s)
    if info is not None:
        a = info.address
        b.text("text", f"Ship to: {a.name}, {a.street}, {a.city}, {a.state} {a.zip}")
        fee = shipping_fee(s, subtotal, info.speed)
        b.text("text", f"Shipping: {info.speed} — {money(fee)}")
        b.text("text", f"Payment: card ending {info.card_last4}")
        b.text("text", f"Items subtotal: {money(subtotal)}")
        b.text("text", f"Order total: {money(subtotal + fee)}")
    b.button("rv.place", ("submit", "place"))
    b.link("rv.edit", b.url("checkout"))
    return site.title(v, "review")


def _confirmation(b: _Builder) -> str:
    s, v = b.s, b.v
    order = s.orders[s.browser.args["id"]]
    b.text("heading", f"Thank you! Order {order.id} has been placed.")
    b.text("text", f"Total charged: {money(order.total)} to card ending {order.card_last4}")
    b.text("text", f"Estimated delivery: {nice_date(order.eta)}")
    b.link("cf.view", b.url("order", order.id))
    b.link("cf.continue", "/")
    return site.title(v, "confirmation")


def _orders(b: _Builder) -> str:
    s, v = b.s, b.v
    b.text("heading", site.title(v, "orders"))
    if not s.orders:
        b.text("text", "You have not placed any orders yet.")
        return site.title(v, "orders")
    b.text("table", "Order | Placed | Status | Total")
    for order in sorted(s.orders.values(), key=lambda o: (o.placed, o.num), reverse=True):
        items = ", ".join(line.name for line in order.lines)
        b.text(
            "row",
            f"{order.id} | {nice_date(order.placed)} | {order.status} | {money(order.total)} "
            f"| {items}",
            1,
        )
        b.link(
            "",
            b.url("order", order.id),
            2,
            text=f"{label(v, 'or.view')} {order.id}",
            eid=order_eid(v, order.num),
        )
    return site.title(v, "orders")


def order_status_text(status: str, eta: str, delivered: str) -> str:
    """``Shipped — arriving Mar 18, 2025`` and the like."""
    if status == "Delivered" and delivered:
        return f"Delivered on {nice_date(delivered)}"
    if status in ("Shipped", "Processing") and eta:
        return f"{status} — arriving {nice_date(eta)}"
    return status


def _order(b: _Builder) -> str:
    s, v = b.s, b.v
    order = s.orders[s.browser.args["id"]]
    b.text("heading", f"Order {order.id}")
    b.text("text", f"Placed on {nice_date(order.placed)}")
    b.text("text", f"Status: {order_status_text(order.status, order.eta, order.delivered)}")
    if order.tracking:
        b.text("text", f"Tracking number: {order.tracking}")
    b.text("list", "Items")
    for line in order.lines:
        size = f" (size {line.size})" if line.size else ""
        b.text("listitem", f"{line.qty} × {line.name}{size} — {money(line.price * line.qty)}", 1)
    a = order.address
    b.text("text", f"Ship to: {a.name}, {a.street}, {a.city}, {a.state} {a.zip}")
    b.text(
        "text", f"Shipping: {order.speed} — {money(order.shipping)} · Total: {money(order.total)}"
    )
    b.link("od.back", b.url("orders"))
    return f"{site.title(v, 'order')} {order.id}"


def _settings(b: _Builder) -> str:
    s, v = b.s, b.v
    form = s.browser.form
    b.text("heading", site.title(v, "settings"))
    b.text("text", f"Signed in as {s.account.email}")

    def prefs() -> None:
        b.text("heading", "Preferences")
        b.combobox("st.newsletter", "prefs", NEWSLETTER, form.get("st.newsletter", ""), 1)
        b.combobox("st.language", "prefs", LANGUAGES, form.get("st.language", ""), 1)
        b.combobox("st.speed", "prefs", SPEEDS, form.get("st.speed", ""), 1)
        b.checkbox("st.twofa", "prefs", form.get("st.twofa") == "true", 1)
        b.checkbox("st.sms", "prefs", form.get("st.sms") == "true", 1)
        b.button("st.save", ("submit", "prefs"), 1)

    def credentials() -> None:
        b.text("heading", "Email address")
        b.textbox("st.email", "email", 1)
        b.button("st.email_save", ("submit", "email"), 1)
        b.text("heading", "Password")
        b.text("text", f"At least {s.rules.min_password} characters, including a number.", 1)
        for key in ("st.pw_current", "st.pw_new", "st.pw_confirm"):
            b.textbox(key, "password", 1, mask=0)
        b.button("st.pw_save", ("submit", "password"), 1)

    if v == "v2":
        credentials()
        prefs()
    else:
        prefs()
        credentials()
    return site.title(v, "settings")


def _login(b: _Builder) -> str:
    s, v = b.s, b.v
    b.text("heading", site.title(v, "login"))
    if s.browser.args.get("next"):
        b.text("text", "Please sign in to continue.")
    b.textbox("lg.email", "login")
    b.textbox("lg.password", "login", mask=0)
    b.button("lg.submit", ("submit", "login"))
    b.link("lg.forgot", _article_url(b, "account-security"))
    return site.title(v, "login")


def _help(b: _Builder) -> str:
    s, v = b.s, b.v
    b.text("heading", site.title(v, "help"))
    b.textbox("hp.q", "help_search")
    b.button("hp.search", ("submit", "help_search"))
    q = s.browser.args.get("q", "").strip()
    articles = list(s.articles.values())
    if q:
        words = [_stem(w) for w in _words(q)]
        articles = [
            a
            for a in articles
            if any(
                w in {_stem(x) for x in _words(f"{a.title} {a.section} {' '.join(a.paragraphs)}")}
                for w in words
            )
        ]
        b.text("text", f"{len(articles)} articles match “{q}”")
    sections: dict[str, list[tuple[int, str, str]]] = {}
    for a in articles:
        sections.setdefault(a.section, []).append((a.num, a.slug, a.title))
    for section, items in sections.items():
        b.text("heading", section)
        for num, slug, title in items:
            b.link("", b.url("article", slug), 1, text=title, eid=article_eid(v, num))
    return site.title(v, "help")


def _article(b: _Builder) -> str:
    s, v = b.s, b.v
    article = s.articles[s.browser.args["id"]]
    b.text("heading", article.title)
    b.text("text", f"Section: {article.section}")
    for para in article.paragraphs:
        b.text("paragraph", para)
    b.text("text", "Was this article helpful?")
    b.button("ar.yes", ("noop", "Thanks for your feedback!"), 1)
    b.button("ar.no", ("noop", "Thanks — we'll work on this article."), 1)
    b.link("ar.back", b.url("help"))
    others = [
        a for a in s.articles.values() if a.section == article.section and a.slug != article.slug
    ]
    if others:
        b.text("heading", "Related articles")
        for a in others:
            b.link("", b.url("article", a.slug), 1, text=a.title, eid=article_eid(v, a.num))
    return f"{article.title} — {site.title(v, 'article')}"


def _moved(b: _Builder) -> str:
    args = b.s.browser.args
    b.text("heading", "Page not found (404)")
    b.text("text", f"The page {args.get('from', '')} has moved to {args.get('to', '/')}.")
    b.link("mv.link", args.get("to", "/"))
    return site.title(b.v, "moved")


def _notfound(b: _Builder) -> str:
    b.text("heading", "Page not found (404)")
    b.text("text", f"We couldn't find {b.s.browser.args.get('path', '')} on Shoply.")
    b.link("nf.home", "/")
    return site.title(b.v, "notfound")


BUILDERS: Final[dict[str, Callable[[_Builder], str]]] = {
    "home": _home,
    "search": _search,
    "product": _product,
    "cart": _cart,
    "checkout": _checkout,
    "review": _review,
    "confirmation": _confirmation,
    "orders": _orders,
    "order": _order,
    "settings": _settings,
    "login": _login,
    "help": _help,
    "article": _article,
    "moved": _moved,
    "notfound": _notfound,
}


def build_page(s: WebState) -> Page:
    """The current page of the state's browser tab."""
    b = _Builder(s)
    _header(b)
    title = BUILDERS[s.browser.route](b)
    _footer(b)
    return Page(title, b.nodes)


def render(s: WebState, page: Page) -> str:
    """The visible part of a page as text (URL, title, the lines in the viewport)."""
    total = len(page.nodes)
    top = min(s.browser.scroll, max(0, total - VIEW_LINES))
    end = min(total, top + VIEW_LINES)
    parts = [f"URL: {s.browser.url}", f"Title: {page.title}"]
    if top:
        parts.append(f"… {top} lines above (scroll up)")
    parts.extend(node.line() for node in page.nodes[top:end])
    if end < total:
        parts.append(f"… {total - end} more lines below (scroll down)")
    return "\n".join(parts)
