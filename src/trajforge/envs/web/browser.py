"""What the site does when the agent navigates or submits a form: routing (moved pages, 404s,
redirects, the login wall), form defaults, validation, cart, checkout, settings and sign-in.

Functions here change the state; expected failures raise ToolError, and form validation errors are
shown on the page (as a real site would) instead of failing the call.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from trajforge.envs.tools import ToolError
from trajforge.envs.web import site
from trajforge.envs.web.pages import cart_subtotal, shipping_fee
from trajforge.envs.web.site import LOGIN_REQUIRED, MAX_CART_LINES, MAX_ORDERS, PATTERNS, REDIRECTS
from trajforge.envs.web.state import Address, CartLine, Checkout, Order, OrderLine, WebState
from trajforge.envs.web.world import LANGUAGES, NEWSLETTER, SPEEDS, STATES, luhn_ok

HISTORY_LIMIT: Final = 30
MAX_QTY: Final = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_BAD_URL_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


# ------------------------------------------------------------------------------------ URLs


def check_url(url: str) -> str:
    """A site-relative URL from what the agent gave, or a ToolError for anything off-site."""
    text = url.strip()
    if not text:
        raise ToolError("url is empty; give a site path such as /cart", kind="invalid_url")
    if _BAD_URL_CHARS.search(text):
        raise ToolError("url contains control characters or backslashes", kind="invalid_url")
    if text.lower().startswith(site.ORIGIN):
        text = text[len(site.ORIGIN) :] or "/"
    if _SCHEME.match(text) or text.startswith("//"):
        raise ToolError(
            f"refused to open {text!r}: only pages of this site can be opened (site-relative URLs "
            "starting with '/', e.g. /cart)",
            kind="url_not_allowed",
        )
    if not text.startswith(("/", "?")):
        raise ToolError(
            f"{text!r} is not a site-relative URL; start it with '/', e.g. /{text}",
            kind="invalid_url",
        )
    if len(text) > 500:
        raise ToolError("url is too long (at most 500 characters)", kind="invalid_url")
    return text


def _exists(s: WebState, route: str, ident: str) -> bool:
    if route == "product":
        return ident in s.catalog
    if route == "order":
        return ident in s.orders
    if route == "confirmation":
        return ident in s.placed
    if route == "article":
        return ident in s.articles
    return True


def resolve(s: WebState, url: str) -> tuple[str, dict[str, str], str, str]:
    """(route, args, canonical URL, notice) for a site-relative URL on the state's version."""
    v = s.version
    parts = urlsplit(url)
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = dict(parse_qsl(parts.query, keep_blank_values=False))
    if path in REDIRECTS:
        route = REDIRECTS[path]
        target = site.url_for(v, route)
        return route, {}, target, f"Redirected from {path} to {target}."
    for route, pattern, has_param in PATTERNS[v]:
        m = pattern.match(path)
        if m is None:
            continue
        if not has_param:
            canonical = site.url_for(v, route, query=query) if query else path
            return route, query, canonical, ""
        ident = m.group(1)
        if _exists(s, route, ident):
            return route, {"id": ident}, path, ""
        if route == "article" and ident in s.moved_articles:
            return _moved(path, site.url_for(v, "article", s.moved_articles[ident]))
    for other in site.VERSIONS:
        if other == v:
            continue
        for route, pattern, has_param in PATTERNS[other]:
            m = pattern.match(path)
            if m is None:
                continue
            if not has_param:
                return _moved(path, site.url_for(v, route, query=query))
            ident = m.group(1)
            if route == "article" and ident in s.moved_articles:
                ident = s.moved_articles[ident]
            if _exists(s, route, ident):
                return _moved(path, site.url_for(v, route, ident))
    return "notfound", {"path": path}, path, ""


def _moved(path: str, target: str) -> tuple[str, dict[str, str], str, str]:
    return "moved", {"from": path, "to": target}, path, ""


# ------------------------------------------------------------------------------------ navigation


def navigate(s: WebState, url: str, *, push: bool = True, notice: str = "") -> None:
    """Open a URL in the tab (login wall and redirects applied), resetting the page's forms."""
    route, args, canonical, redirect_notice = resolve(s, url)
    notice = notice or redirect_notice
    if route in LOGIN_REQUIRED and not s.logged_in:
        args = {"next": canonical}
        canonical = site.url_for(s.version, "login", query=args)
        route = "login"
        notice = notice or "Please sign in to continue."
    elif route == "review" and (s.checkout is None or not s.cart):
        route, args, canonical = "checkout", {}, site.url_for(s.version, "checkout")
    b = s.browser
    if push and b.url != canonical:
        b.history.append(b.url)
        if len(b.history) > HISTORY_LIMIT:
            del b.history[0]
    b.url = canonical
    b.route = route
    b.args = args
    b.scroll = 0
    b.menu_open = False
    b.errors = {}
    b.notice = notice
    b.form = _form_defaults(s, route, args)


def _form_defaults(s: WebState, route: str, args: dict[str, str]) -> dict[str, str]:
    form = {"hdr.q": args.get("q", "") if route == "search" else ""}
    if route == "product":
        form.update({"pd.qty": "1", "pd.size": ""})
    elif route == "cart":
        form.update({f"cart.qty.{line.slot}": str(line.qty) for line in s.cart})
    elif route == "checkout":
        info = s.checkout
        a = info.address if info is not None else s.account.address
        form.update(
            {
                "co.name": a.name,
                "co.street": a.street,
                "co.city": a.city,
                "co.state": a.state,
                "co.zip": a.zip,
                "co.phone": a.phone if info is not None else "",
                "co.speed": info.speed if info is not None else s.account.settings.shipping_speed,
                "co.card": "",
            }
        )
    elif route == "settings":
        st = s.account.settings
        form.update(
            {
                "st.newsletter": st.newsletter,
                "st.language": st.language,
                "st.speed": st.shipping_speed,
                "st.twofa": "true" if st.two_factor else "false",
                "st.sms": "true" if st.sms_updates else "false",
                "st.email": s.account.email,
                "st.pw_current": "",
                "st.pw_new": "",
                "st.pw_confirm": "",
            }
        )
    elif route == "login":
        form.update({"lg.email": s.account.email, "lg.password": ""})
    elif route == "help":
        form["hp.q"] = args.get("q", "")
    return form


def go_back(s: WebState) -> None:
    """The browser's back button."""
    if not s.browser.history:
        raise ToolError("there is no previous page in this tab's history", kind="no_history")
    url = s.browser.history.pop()
    navigate(s, url, push=False)


# ------------------------------------------------------------------------------------ forms

#: form -> the key of the button that submits it (pressing Enter in a field submits the form)
FORM_SUBMIT: Final = {
    "search": "hdr.search",
    "product": "pd.add",
    "cart": "ct.update",
    "checkout": "co.continue",
    "place": "rv.place",
    "prefs": "st.save",
    "email": "st.email_save",
    "password": "st.pw_save",
    "login": "lg.submit",
    "help_search": "hp.search",
}


def submit(s: WebState, form: str) -> None:
    """Submit one of the current page's forms."""
    b = s.browser
    b.errors = {}
    b.notice = ""
    if form == "search":
        navigate(s, site.url_for(s.version, "search", query={"q": b.form.get("hdr.q", "").strip()}))
    elif form == "help_search":
        navigate(s, site.url_for(s.version, "help", query={"q": b.form.get("hp.q", "").strip()}))
    elif form == "product":
        _add_from_product_page(s)
    elif form == "cart":
        _update_cart(s)
    elif form == "checkout":
        _validate_checkout(s)
    elif form == "place":
        _place_order(s)
    elif form == "prefs":
        _save_prefs(s)
    elif form == "email":
        _change_email(s)
    elif form == "password":
        _change_password(s)
    elif form == "login":
        _sign_in(s)
    else:  # pragma: no cover - every page form is listed above
        raise ToolError(f"form {form!r} cannot be submitted", kind="invalid_request")


def add_to_cart(s: WebState, product_id: str, qty: int, size: str) -> str:
    """Put a product in the cart (merging with a line of the same size); returns the notice."""
    p = s.catalog[product_id]
    for line in s.cart:
        if line.product_id == product_id and line.size == size:
            if line.qty + qty > MAX_QTY:
                return f"You can have at most {MAX_QTY} of an item in your cart."
            line.qty += qty
            break
    else:
        used = {line.slot for line in s.cart}
        free = next((i for i in range(MAX_CART_LINES) if i not in used), None)
        if free is None:
            return f"Your cart is full ({MAX_CART_LINES} lines). Remove something first."
        s.cart.append(CartLine(slot=free, product_id=product_id, qty=qty, size=size))
    s.events.append(f"cart_add:{product_id}:{qty}:{size}")
    sized = f" (size {size})" if size else ""
    return f"Added {qty} × {p.name}{sized} to your cart."


def _add_from_product_page(s: WebState) -> None:
    b = s.browser
    p = s.catalog[b.args["id"]]
    if not p.in_stock:
        b.notice = "This item is out of stock."
        return
    size = b.form.get("pd.size", "")
    if p.sizes and size not in p.sizes:
        b.errors["pd.size"] = "Please choose a size."
    raw = b.form.get("pd.qty", "1").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_QTY:
        b.errors["pd.qty"] = f"Quantity must be a whole number from 1 to {MAX_QTY}."
    if b.errors:
        b.notice = "The item was not added: please fix the errors below."
        return
    b.notice = add_to_cart(s, p.id, int(raw), size)
    b.form["pd.qty"] = "1"


def remove_line(s: WebState, slot: int) -> None:
    """Remove a cart line."""
    for i, line in enumerate(s.cart):
        if line.slot == slot:
            del s.cart[i]
            s.events.append(f"cart_remove:{line.product_id}")
            s.browser.form.pop(f"cart.qty.{slot}", None)
            s.browser.notice = f"Removed {s.catalog[line.product_id].name} from your cart."
            return
    raise ToolError("that cart line no longer exists", kind="element_not_found")  # pragma: no cover


def _update_cart(s: WebState) -> None:
    b = s.browser
    new: dict[int, int] = {}
    for line in s.cart:
        raw = b.form.get(f"cart.qty.{line.slot}", str(line.qty)).strip()
        if not raw.isdigit() or int(raw) > MAX_QTY:
            b.errors[f"cart.qty.{line.slot}"] = (
                f"Quantity must be a whole number from 0 to {MAX_QTY}."
            )
        else:
            new[line.slot] = int(raw)
    if b.errors:
        b.notice = "The cart was not updated: please fix the errors below."
        return
    s.cart = [line for line in s.cart if new[line.slot] > 0]
    for line in s.cart:
        line.qty = new[line.slot]
    s.events.append("cart_update")
    b.form = _form_defaults(s, "cart", b.args)
    b.notice = "Your cart has been updated."


def _validate_checkout(s: WebState) -> None:
    b = s.browser
    f = {
        k: b.form.get(k, "").strip()
        for k in (
            "co.name",
            "co.street",
            "co.city",
            "co.state",
            "co.zip",
            "co.phone",
            "co.speed",
            "co.card",
        )
    }
    errors = b.errors
    if not s.cart:
        b.notice = "Your cart is empty."
        return
    for key, what in (
        ("co.name", "Full name"),
        ("co.street", "Street address"),
        ("co.city", "City"),
    ):
        if not f[key]:
            errors[key] = f"{what} is required."
    if f["co.state"] not in STATES:
        errors["co.state"] = "Choose a state."
    if not re.fullmatch(r"\d{5}", f["co.zip"]):
        errors["co.zip"] = "ZIP code must be 5 digits."
    phone_digits = re.sub(r"\D", "", f["co.phone"])
    if s.rules.phone_required and not f["co.phone"]:
        errors["co.phone"] = "A phone number is required for delivery."
    elif f["co.phone"] and len(phone_digits) < 10:
        errors["co.phone"] = "Enter a 10-digit phone number."
    if f["co.speed"] not in SPEEDS:
        errors["co.speed"] = "Choose a shipping speed."
    card = re.sub(r"[\s-]", "", f["co.card"])
    if not card:
        errors["co.card"] = "Card number is required."
    elif not (len(card) == 16 and luhn_ok(card)):
        errors["co.card"] = "Card number is invalid."
    if errors:
        b.notice = f"Please fix {len(errors)} problem{'s' if len(errors) > 1 else ''} below."
        return
    address = Address(
        name=f["co.name"],
        street=f["co.street"],
        city=f["co.city"],
        state=f["co.state"],
        zip=f["co.zip"],
        phone=f["co.phone"],
    )
    s.checkout = Checkout(address=address, speed=f["co.speed"], card_last4=card[-4:])
    navigate(s, site.url_for(s.version, "review"))


def _place_order(s: WebState) -> None:
    b = s.browser
    info = s.checkout
    if info is None or not s.cart:
        b.notice = "Your order could not be placed: your cart is empty or checkout is incomplete."
        return
    if len(s.orders) >= MAX_ORDERS:
        b.notice = "Your order could not be placed: please contact support."
        return
    subtotal = cart_subtotal(s)
    fee = shipping_fee(s, subtotal, info.speed)
    lines = []
    for line in s.cart:
        p = s.catalog[line.product_id]
        lines.append(
            OrderLine(product_id=p.id, name=p.name, qty=line.qty, price=p.price, size=line.size)
        )
    s.order_seq += 1
    oid = f"W{s.order_seq}"
    now = dt.date.fromisoformat(s.now)
    days = 2 if info.speed == "Express" else s.rules.standard_days[1]
    s.orders[oid] = Order(
        id=oid,
        num=len(s.orders),
        placed=s.now,
        status="Processing",
        lines=lines,
        subtotal=subtotal,
        shipping=fee,
        total=subtotal + fee,
        address=info.address,
        speed=info.speed,
        eta=(now + dt.timedelta(days=days)).isoformat(),
        card_last4=info.card_last4,
    )
    s.placed.append(oid)
    s.events.append(f"order:{oid}")
    s.cart = []
    s.checkout = None
    navigate(s, site.url_for(s.version, "confirmation", oid))


def _save_prefs(s: WebState) -> None:
    b = s.browser
    f = b.form
    st = s.account.settings
    checks = (("st.newsletter", NEWSLETTER), ("st.language", LANGUAGES), ("st.speed", SPEEDS))
    for key, options in checks:
        if f.get(key, "") not in options:
            b.errors[key] = "Choose one of the options."
    if b.errors:
        b.notice = "Your preferences were not saved."
        return
    st.newsletter = f["st.newsletter"]
    st.language = f["st.language"]
    st.shipping_speed = f["st.speed"]
    st.two_factor = f.get("st.twofa") == "true"
    st.sms_updates = f.get("st.sms") == "true"
    s.events.append("settings_saved")
    b.notice = "Your preferences have been saved."


def _change_email(s: WebState) -> None:
    b = s.browser
    new = b.form.get("st.email", "").strip()
    if not _EMAIL.match(new):
        b.errors["st.email"] = "Enter a valid email address."
    elif new.lower() == s.account.email.lower():
        b.errors["st.email"] = "That is already your email address."
    if b.errors:
        b.notice = "Your email address was not changed."
        return
    s.account.email = new
    s.events.append("email_changed")
    b.notice = f"Your email address is now {new}."


def _change_password(s: WebState) -> None:
    b = s.browser
    f = b.form
    current, new, again = (
        f.get("st.pw_current", ""),
        f.get("st.pw_new", ""),
        f.get("st.pw_confirm", ""),
    )
    n = s.rules.min_password
    if current != s.account.password:
        b.errors["st.pw_current"] = "Current password is incorrect."
    if len(new) < n or not any(ch.isdigit() for ch in new):
        b.errors["st.pw_new"] = f"Password must be at least {n} characters and include a number."
    elif new == current:
        b.errors["st.pw_new"] = "Choose a password different from the current one."
    if again != new:
        b.errors["st.pw_confirm"] = "Passwords do not match."
    for key in ("st.pw_current", "st.pw_new", "st.pw_confirm"):
        f[key] = ""
    if b.errors:
        b.notice = "Your password was not changed."
        return
    s.account.password = new
    s.events.append("password_changed")
    b.notice = "Your password has been changed."


def _sign_in(s: WebState) -> None:
    b = s.browser
    email = b.form.get("lg.email", "").strip().lower()
    password = b.form.get("lg.password", "")
    b.form["lg.password"] = ""
    if email != s.account.email.lower() or password != s.account.password:
        b.errors["lg.password"] = "Incorrect email or password."
        b.notice = "Sign-in failed."
        return
    s.logged_in = True
    s.events.append("signed_in")
    target = b.args.get("next") or "/"
    navigate(s, target, notice=f"Signed in as {s.account.email}.")
