"""Seeded task generator for the web environment.

``generate_task(seed, difficulty)`` draws a site version, a world (``world_seed``) and a goal, and
returns a Task whose parameters rebuild the world exactly, whose ``truth`` tells an expert solver
everything, whose goal checks grade the final state and whose expected actions solve it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any, Final

import msgspec

from trajforge.envs.web import answers, site
from trajforge.envs.web.pages import search_results
from trajforge.envs.web.route import Plan
from trajforge.envs.web.state import Address, Order, Product
from trajforge.envs.web.world import (
    ARTICLES,
    LANGUAGES,
    NEWSLETTER,
    World,
    load_world,
    money,
    nice_date,
    random_address,
)
from trajforge.schema import GoalCheck, Task

DOMAIN: Final = "e-commerce website"
KINDS: Final[dict[int, tuple[str, ...]]] = {
    1: ("cart_named", "setting", "help", "track_order"),
    2: ("cart_constrained", "buy", "email", "password", "track_item"),
    3: ("buy_and_setting", "buy_and_help", "buy_and_track"),
}
HIDDEN_INFO_KEYS: Final[dict[str, str]] = {
    "password": "the account password; the user shares it when the agent has to sign in",
    "card_number": "the payment card number for checkout",
    "phone": "the user's phone number, for forms that require one",
    "max_total": "the most the user will pay in total; they confirm a stated total at or under it",
    "confirm_change": "the user's answer when asked to confirm an email or password change",
}
SETTING_NAMES: Final = ("newsletter", "language", "shipping_speed", "two_factor", "sms_updates")
EMAIL_DOMAINS: Final = ("mail.example", "inbox.example", "post.example", "example.org")
PW_WORDS: Final = (
    "harbor",
    "maple",
    "comet",
    "violet",
    "granite",
    "pepper",
    "willow",
    "ember",
    "tundra",
)


class _Draft:
    """What one generated task accumulates before it becomes a Task."""

    def __init__(self, rng: random.Random, version: str, world: World, logged_in: bool) -> None:
        self.rng = rng
        self.version = version
        self.world = world
        self.plan = Plan(version, logged_in=logged_in, password=world.account.password)
        self.logged_in = logged_in
        self.parts: list[str] = []
        self.checks: dict[str, GoalCheck] = {}
        self.truth: dict[str, Any] = {}
        self.hidden: dict[str, str] = {}
        self.params: dict[str, Any] = {}
        self.keep_email = True
        self.keep_password = True
        self.changed_settings: set[str] = set()

    def check(self, check: str, description: str, /, **params: Any) -> None:
        self.checks[check] = GoalCheck(name=check, description=description, params=params)


# ------------------------------------------------------------------------------------ public


def generate_task(
    seed: int, difficulty: int, *, environment_version: str, site_version: str | None = None
) -> Task:
    """A task for a seed and difficulty (1, 2 or 3).

    ``environment_version`` is recorded in the task (``WebEnv.version``). ``site_version`` forces
    the site version (v1..v3) and leaves every other choice as the seed makes it, so the same task
    can be compared across versions.
    """
    if difficulty not in KINDS:
        raise ValueError(f"difficulty must be one of {sorted(KINDS)}, got {difficulty}")
    if site_version is not None and site_version not in site.VERSIONS:
        raise ValueError(f"site_version must be one of {site.VERSIONS}, got {site_version!r}")
    rng = random.Random(seed)
    drawn = rng.choice(site.VERSIONS)
    version = site_version or drawn
    now = (dt.date(2025, 1, 6) + dt.timedelta(days=rng.randint(0, 330))).isoformat()
    world_seed = rng.getrandbits(40)
    world = load_world(world_seed, now)
    kind = rng.choice(KINDS[difficulty])
    logged_in = difficulty == 1 or rng.random() < 0.55
    d = _Draft(rng, version, world, logged_in)
    d.params = {
        "site_version": version,
        "world_seed": world_seed,
        "now": now,
        "logged_in": logged_in,
        "start_url": "/",
        "cart": [],
        "phone_required": False,
    }
    d.truth = {"kind": kind}
    if kind == "cart_named":
        _cart_named(d)
    elif kind == "cart_constrained":
        _cart_constrained(d)
    elif kind == "buy":
        _buy(d, constrained=False, quirk="")
    elif kind == "setting":
        _setting(d, count=1)
    elif kind == "email":
        _email(d)
    elif kind == "password":
        _password(d)
    elif kind == "help":
        _help(d)
    elif kind in ("track_order", "track_item"):
        _track(d, by_item=kind == "track_item")
    else:
        _buy(d, constrained=True, quirk=rng.choice(("zip_plus4", "phone_required")))
        second = kind.removeprefix("buy_and_")
        if second == "setting":
            _setting(d, count=rng.choice((1, 2)), moved=True)
        elif second == "help":
            _help(d, moved=True)
        else:
            _track(d, by_item=False, moved=True)
    _account_kept(d)
    if d.plan.signed_in:
        d.hidden.setdefault("password", f"My password is {world.account.password}")
    d.truth["confirm_before"] = d.plan.confirm_before
    d.truth["logged_in"] = logged_in
    d.params["truth"] = d.truth
    return Task(
        instruction=_join(rng, d.parts),
        environment="web",
        environment_version=environment_version,
        seed=seed,
        difficulty=difficulty,
        domain=DOMAIN,
        parameters=d.params,
        goal_checks=list(d.checks.values()),
        expected_actions=d.plan.actions,
        hidden_info=d.hidden,
    )


def _join(rng: random.Random, parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    first, second = parts
    style = rng.randrange(3)
    if style == 0:
        return f"Two things, please. First: {first}\nSecond: {second}"
    if style == 1:
        return f"{first}\n\nOnce that's done: {second}"
    return f"1) {first}\n2) {second}"


# ------------------------------------------------------------------------------------ products


def _in_stock(world: World) -> list[Product]:
    return [p for p in world.catalog.values() if p.in_stock]


def _qty_size(rng: random.Random, p: Product, max_qty: int = 3) -> tuple[int, str]:
    return rng.choice((1, 1, 1, 2, max_qty)), (rng.choice(p.sizes) if p.sizes else "")


def _item_text(p: Product, qty: int, size: str) -> str:
    size_text = f" in size {size}" if size else ""
    return f"{qty} of the {p.name}{size_text}" if qty > 1 else f"the {p.name}{size_text}"


def _target(p: Product, qty: int, size: str) -> dict[str, Any]:
    return {"product_id": p.id, "name": p.name, "qty": qty, "size": size}


NOUNS: Final = {
    "running-shoes": "pair of running shoes",
    "headphones": "pair of headphones",
    "backpacks": "backpack",
    "jackets": "jacket",
    "coffee-makers": "coffee maker",
    "desk-lamps": "desk lamp",
    "t-shirts": "T-shirt",
    "water-bottles": "water bottle",
}


def _constrained_pick(rng: random.Random, world: World) -> tuple[Product, str]:
    """A product described by constraints (and a superlative when several fit)."""
    stock = _in_stock(world)
    seed_product = rng.choice(stock)
    category = seed_product.category
    noun = NOUNS[category]
    options = ["color", "price", "rating"]
    rng.shuffle(options)
    chosen = options[: rng.choice((1, 2))]
    color = seed_product.color if "color" in chosen else ""
    cap = 0
    if "price" in chosen:
        step = 10 if seed_product.price < 10000 else 25
        cap = math.ceil((seed_product.price + 1) / (step * 100)) * step
    min_rating = 0.0
    if "rating" in chosen and seed_product.rating >= 3.5:
        min_rating = math.floor(seed_product.rating * 2) / 2
    matches = [
        p
        for p in stock
        if p.category == category
        and (not color or p.color == color)
        and (not cap or p.price <= cap * 100)
        and p.rating >= min_rating
    ]
    if color:
        noun = noun.replace("of ", f"of {color} ") if noun.startswith("pair") else f"{color} {noun}"
    conds = []
    if cap:
        conds.append(f"under ${cap}")
    if min_rating:
        conds.append(f"rated at least {min_rating:g} stars")
    text = noun + (" " + " and ".join(conds) if conds else "") + " that's in stock"
    if len(matches) == 1:
        return matches[0], ("an " if text[0] in "aeiou" else "a ") + text
    best = max(matches, key=lambda p: p.rating)
    unique_best = sum(1 for p in matches if p.rating == best.rating) == 1
    if unique_best and rng.random() < 0.4:
        return best, f"the highest-rated {text}"
    return min(matches, key=lambda p: p.price), f"the cheapest {text}"


def _cart_checks(d: _Draft, target: dict[str, Any]) -> None:
    d.check(
        "cart_item",
        "the requested product is in the cart with the right quantity and size",
        **target,
    )
    d.check("cart_only", "nothing else is in the cart", product_ids=[target["product_id"]])
    d.check("no_orders", "nothing was purchased")


def _cart_named(d: _Draft) -> None:
    rng, world = d.rng, d.world
    p = rng.choice(_in_stock(world))
    qty, size = _qty_size(rng, p)
    item = _item_text(p, qty, size)
    d.parts.append(
        rng.choice(
            (
                f"Please add {item} to my cart. Don't buy anything yet.",
                f"Could you put {item} in my shopping cart? I'll check out myself later.",
                f"I'd like {item} in my cart — just add it, no purchase.",
                f"Add {item} to my cart please.",
            )
        )
    )
    target = _target(p, qty, size)
    d.truth["target"] = target
    d.plan.add_to_cart(world.catalog, p, qty, size)
    _cart_checks(d, target)


def _cart_constrained(d: _Draft) -> None:
    rng, world = d.rng, d.world
    p, text = _constrained_pick(rng, world)
    qty, size = _qty_size(rng, p, max_qty=2)
    qty_text = f"{qty} of them" if qty > 1 else "one"
    size_text = f" in size {size}" if size else ""
    d.parts.append(
        rng.choice(
            (
                f"Find me {text}, and add {qty_text}{size_text} to my cart. Don't check out.",
                f"I'm shopping for {text}. Put {qty_text}{size_text} in my cart — no purchase yet.",
                f"Can you look for {text}? Add {qty_text}{size_text} to my cart, I'll pay later.",
            )
        )
    )
    target = _target(p, qty, size)
    d.truth.update(target=target, description=text)
    d.plan.add_to_cart(world.catalog, p, qty, size)
    _cart_checks(d, target)


def _new_address(rng: random.Random, world: World) -> tuple[Address, bool]:
    account = world.account
    for_self = rng.random() < 0.4
    while True:
        a = random_address(rng, account.name if for_self else None)
        if a.street != account.address.street and a.city != account.address.city:
            return a, for_self


def _address_text(a: Address, zip_text: str) -> str:
    return f"{a.name}, {a.street}, {a.city}, {a.state} {zip_text}"


def _buy(d: _Draft, *, constrained: bool, quirk: str) -> None:
    rng, world = d.rng, d.world
    if constrained:
        p, text = _constrained_pick(rng, world)
        qty, size = _qty_size(rng, p, max_qty=2)
        extra = ([f"quantity {qty}"] if qty > 1 else []) + ([f"size {size}"] if size else [])
        what = text + (f" ({', '.join(extra)})" if extra else "")
    else:
        p = rng.choice(_in_stock(world))
        qty, size = _qty_size(rng, p, max_qty=2)
        what = _item_text(p, qty, size)
    address, for_self = _new_address(rng, world)
    zip_text = address.zip
    if quirk == "zip_plus4":
        zip_text = f"{address.zip}-{rng.randint(1000, 9999)}"
    if quirk == "phone_required":
        d.params["phone_required"] = True
    speed = "Express" if rng.random() < 0.3 else None
    leftover: list[dict[str, Any]] = []
    if rng.random() < (0.5 if constrained else 0.35):
        other = rng.choice([o for o in _in_stock(world) if o.id != p.id])
        leftover.append(
            {
                "product_id": other.id,
                "qty": 1,
                "size": rng.choice(other.sizes) if other.sizes else "",
            }
        )
    d.params["cart"] = leftover
    # the total the user will be asked to confirm
    default_speed = world.account.settings.shipping_speed
    final_speed = speed or default_speed
    subtotal = p.price * qty
    fee = (
        world.rules.express_fee
        if final_speed == "Express"
        else (0 if subtotal >= world.rules.free_shipping_over else world.rules.standard_fee)
    )
    total = subtotal + fee
    budget = math.ceil((total + rng.randint(0, 3000)) / 100.0) * 100
    where = _address_text(address, zip_text)
    whom = f"me ({where})" if for_self else where
    speed_text = " Use express shipping." if speed else ""
    d.parts.append(
        rng.choice(
            (
                f"Please buy {what} and ship it to {whom}.{speed_text} Only that item "
                "— nothing else. I'll give you my card number when you need it.",
                f"Order {what} for delivery to {where}.{speed_text} Ask me for the card number "
                "at checkout.",
                f"I want to purchase {what}. Shipping address: {where}.{speed_text} Don't buy "
                "anything else; I'll tell you the card details.",
            )
        )
    )
    d.hidden["card_number"] = f"My card number is {world.account.card_number}"
    d.hidden["phone"] = f"My phone number is {world.account.phone}"
    d.hidden["max_total"] = f"Yes, go ahead — anything up to {money(budget)} in total is fine."
    target = _target(p, qty, size)
    d.plan.add_to_cart(world.catalog, p, qty, size)
    d.plan.checkout(
        address,
        zip5=address.zip,
        phone=world.account.phone if quirk == "phone_required" else "",
        speed=speed if speed and speed != default_speed else None,
        card=world.account.card_number,
        remove_slots=list(range(len(leftover))),
    )
    addr = msgspec.to_builtins(address)
    d.truth.update(
        target=target,
        address=addr,
        address_as_given=where,
        speed=final_speed,
        expected_total=total,
        card_number=world.account.card_number,
        phone=world.account.phone,
        quirk=quirk,
        leftover=leftover,
    )
    if constrained:
        d.truth["description"] = what
    d.check(
        "order_item", "one new order contains the requested product, quantity and size", **target
    )
    d.check(
        "order_address",
        "the order ships to the given address with the requested speed and card",
        address=addr,
        speed=speed or "",
        card_last4=world.account.card_number[-4:],
    )
    d.check(
        "single_order",
        "no extra purchases: one order, only the requested product",
        product_ids=[p.id],
    )


# ------------------------------------------------------------------------------------ account


def _setting_change(rng: random.Random, name: str, current: Any) -> tuple[Any, str]:
    if name == "newsletter":
        value = rng.choice([o for o in NEWSLETTER if o != current])
        if value == "Never":
            return value, rng.choice(
                (
                    "stop sending me the newsletter",
                    "turn the email newsletter off (set it to Never)",
                )
            )
        return value, f"set my newsletter emails to {value.lower()}"
    if name == "language":
        value = rng.choice([o for o in LANGUAGES if o != current])
        return value, f"switch the site language to {value}"
    if name == "shipping_speed":
        value = "Express" if current == "Standard" else "Standard"
        return value, f"make {value.lower()} my default shipping speed"
    if name == "two_factor":
        turn_on = not current
        return turn_on, (
            "turn on two-factor authentication" if turn_on else "turn off two-factor authentication"
        )
    sms_on = not current
    return (
        sms_on,
        "turn on text-message (SMS) order updates" if sms_on else "stop the SMS order updates",
    )


def _setting(d: _Draft, *, count: int, moved: bool = False) -> None:
    rng, world = d.rng, d.world
    current = msgspec.to_builtins(world.account.settings)
    names = rng.sample(SETTING_NAMES, count)
    changes: dict[str, Any] = {}
    phrases: list[str] = []
    for name in names:
        value, phrase = _setting_change(rng, name, current[name])
        changes[name] = value
        phrases.append(phrase)
    wish = " and ".join(phrases)
    old_url = ""
    if moved:
        old_url = site.url_for(_other_version(rng, d.version), "settings")
        d.parts.append(
            rng.choice(
                (
                    f"In my account settings (I bookmarked {old_url}), please {wish}.",
                    f"I used to change preferences at {old_url} — please {wish}.",
                )
            )
        )
        d.truth.update(moved_from=old_url, moved_to=site.url_for(d.version, "settings"))
    else:
        d.parts.append(
            rng.choice(
                (
                    f"Please {wish}.",
                    f"Could you go into my account settings and {wish}?",
                    f"In my account preferences, {wish}, please.",
                )
            )
        )
    d.plan.change_settings(changes, old_url)
    d.changed_settings |= set(changes)
    d.truth["settings"] = changes
    d.check("settings", "the requested preferences are saved", values=changes)
    if "no_orders" not in d.checks and "order_item" not in d.checks:
        d.check("no_orders", "nothing was purchased")


def _email(d: _Draft) -> None:
    rng, world = d.rng, d.world
    first, last = world.account.name.lower().split(" ")
    while True:
        new = (
            f"{rng.choice((first, first[0] + last, last + '.' + first))}{rng.randint(1, 999)}@"
            f"{rng.choice(EMAIL_DOMAINS)}"
        )
        if new != world.account.email:
            break
    d.parts.append(
        rng.choice(
            (
                f"Please change the email address on my account to {new}.",
                f"I have a new email: {new}. Update my account to use it.",
                f"Switch my account email to {new}, please.",
            )
        )
    )
    d.hidden["confirm_change"] = "Yes, please make that change."
    d.plan.change_email(new)
    d.keep_email = False
    d.truth["new_email"] = new
    d.check("email", "the account email is the new address", email=new)
    d.check("no_orders", "nothing was purchased")


def _password(d: _Draft) -> None:
    rng, world = d.rng, d.world
    new = f"{rng.choice(PW_WORDS)}-{rng.randint(1000, 9999)}-{rng.choice(PW_WORDS)}"
    d.parts.append(
        rng.choice(
            (
                f"Please change my account password to {new}. You'll need my current one — "
                "just ask.",
                f"Set my Shoply password to {new} (ask me for the current password).",
            )
        )
    )
    d.hidden["password"] = f"My current password is {world.account.password}"
    d.hidden["confirm_change"] = "Yes, please change it."
    d.plan.change_password(world.account.password, new)
    d.keep_password = False
    d.truth.update(new_password=new, password=world.account.password)
    d.check("password", "the account password is the new one", password=new)
    d.check("no_orders", "nothing was purchased")


def _account_kept(d: _Draft) -> None:
    initial = msgspec.to_builtins(d.world.account.settings)
    kept = {k: v for k, v in initial.items() if k not in d.changed_settings}
    d.check("settings_kept", "preferences the user did not mention are unchanged", initial=kept)
    d.check(
        "account_kept",
        "email and password changed only if asked",
        email=d.keep_email,
        password=d.keep_password,
    )
    if d.logged_in is False:
        d.truth["password"] = d.world.account.password


# ------------------------------------------------------------------------------------ look-ups

#: fact -> (original article slug, questions, answer template)
FACTS: Final[dict[str, tuple[str, tuple[str, ...], str]]] = {
    "return_days": (
        "returns-policy",
        (
            "How many days do I have to return something I bought?",
            "What's the return window for items?",
        ),
        "Most items can be returned within {return_days} days of delivery.",
    ),
    "refund_days": (
        "returns-policy",
        ("After they receive a return, how long does the refund take?",),
        "Refunds arrive within {refund_days} business days after the return is received.",
    ),
    "free_shipping_over": (
        "shipping-options",
        ("How much do I have to spend to get free standard shipping?",),
        "Standard shipping is free on orders over ${free_shipping_over}.",
    ),
    "express_fee": (
        "shipping-options",
        ("How much does express shipping cost?",),
        "Express shipping costs {express_money}.",
    ),
    "standard_days": (
        "shipping-options",
        ("How long does standard shipping take?",),
        "Standard shipping takes {standard_days} business days.",
    ),
    "warranty_years": (
        "warranty",
        (
            "How long is the warranty on headphones?",
            "What warranty do the coffee makers come with?",
        ),
        "Electronics have a {warranty_years}-year limited warranty.",
    ),
    "support_hours": (
        "contact-us",
        ("What hours is customer support open?",),
        "Support is open {support_open}–{support_close} Eastern Time, Monday to Friday.",
    ),
    "support_phone": (
        "contact-us",
        ("What's the phone number for customer support?",),
        "You can call support at {support_phone}.",
    ),
    "cancel_hours": (
        "cancel-order",
        ("How long after ordering can I still cancel an order?",),
        "You can cancel within {cancel_hours} hours of placing the order.",
    ),
    "price_match_days": (
        "price-match",
        ("How many days after buying does the price match still apply?",),
        "Price match applies within {price_match_days} days of purchase.",
    ),
    "min_password": (
        "account-security",
        ("What's the minimum password length on the site?",),
        "Passwords must be at least {min_password} characters long.",
    ),
    "gift_card_years": (
        "gift-cards",
        ("How long are gift cards valid for?",),
        "Gift cards are valid for {gift_card_years} years.",
    ),
}


def _fact_patterns(fact: str, f: dict[str, str]) -> list[list[str]]:
    if fact == "express_fee":
        cents = int(f["express_fee"])
        return [[answers.number(f"{cents // 100}.{cents % 100:02d}")]]
    if fact == "standard_days":
        a, b = f["standard_days"].split("-")
        return [[answers.number(a)], [answers.number(b)]]
    if fact == "support_hours":
        return [[answers.time_of_day(f["support_open"])], [answers.time_of_day(f["support_close"])]]
    if fact == "support_phone":
        digits = "".join(ch for ch in f["support_phone"] if ch.isdigit())
        return [[f"digits:{digits}", f"digits:{digits[1:]}"]]
    return [[answers.number(f[fact])]]


def _other_version(rng: random.Random, version: str) -> str:
    return rng.choice([v for v in site.VERSIONS if v != version])


def _answer_check(d: _Draft, question: str, expected: str, patterns: list[list[str]]) -> None:
    d.truth.update(question=question, answer=expected)
    d.check(
        "answer",
        "the reported answer is correct",
        question=question,
        expected=expected,
        patterns=patterns,
    )
    if "order_item" not in d.checks:
        d.check("no_orders", "nothing was purchased")


def _help(d: _Draft, *, moved: bool = False) -> None:
    rng, world = d.rng, d.world
    fact = rng.choice(tuple(FACTS))
    original, questions, template = FACTS[fact]
    question = rng.choice(questions)
    f = world.facts
    expected = template.format(**f, express_money=money(int(f["express_fee"])))
    slug = world.moved_articles.get(original, original)
    article = world.articles[slug]
    old_url = ""
    if moved:
        old_url = site.url_for(_other_version(rng, d.version), "article", original)
        d.parts.append(
            rng.choice(
                (
                    f"There was a help page at {old_url} that answers this: {question} "
                    "Please tell me.",
                    f"{question} I think it's explained at {old_url}. Report the answer back.",
                )
            )
        )
        d.truth.update(moved_from=old_url, moved_to=site.url_for(d.version, "article", slug))
    else:
        d.parts.append(
            rng.choice(
                (
                    f"{question} Please check the help center and tell me.",
                    f"Quick question: {question[:1].lower() + question[1:]} Look it up on the "
                    "site and let me know.",
                    f"Can you find out from the site's help pages: {question}",
                )
            )
        )
    d.plan.read_article(article.num, old_url)
    d.plan.answer(expected)
    d.truth["article"] = slug
    _answer_check(d, question, expected, _fact_patterns(fact, f))


def _track(d: _Draft, *, by_item: bool, moved: bool = False) -> None:
    rng, world = d.rng, d.world
    orders = list(world.orders.values())
    order = rng.choice(orders)
    aspects = ["status"]
    if order.tracking:
        aspects.append("tracking")
    if order.eta:
        aspects.append("eta")
    if order.delivered:
        aspects.append("delivered")
    aspect = rng.choice(aspects)
    question, expected, patterns = _order_question(order, aspect)
    item = order.lines[0].name
    subject = f"I ordered the {item} a while ago." if by_item else f"About my order {order.id}:"
    old_url = ""
    if moved:
        old_url = site.url_for(_other_version(rng, d.version), "order", order.id)
        d.parts.append(f"{subject} {question} (It used to be at {old_url}.) Please tell me.")
        d.truth.update(moved_from=old_url, moved_to=site.url_for(d.version, "order", order.id))
    else:
        d.parts.append(
            rng.choice(
                (
                    f"{subject} {question}",
                    f"{subject} {question} Check my order history and tell me.",
                )
            )
        )
    d.plan.open_order(order.num, old_url)
    d.plan.answer(expected)
    d.truth["order_id"] = order.id
    _answer_check(d, question, expected, patterns)


def _order_question(order: Order, aspect: str) -> tuple[str, str, list[list[str]]]:
    if aspect == "tracking":
        return (
            "What's the tracking number?",
            f"The tracking number is {order.tracking}.",
            [[answers.word(order.tracking)]],
        )
    if aspect == "eta":
        return (
            "When is it supposed to arrive?",
            f"It should arrive on {nice_date(order.eta)}.",
            [answers.date(order.eta)],
        )
    if aspect == "delivered":
        return (
            "When was it delivered?",
            f"It was delivered on {nice_date(order.delivered)}.",
            [answers.date(order.delivered)],
        )
    return (
        "What's its current status?",
        f"The order is {order.status.lower()}.",
        [[answers.word(order.status)]],
    )


__all__ = ["ARTICLES", "HIDDEN_INFO_KEYS", "KINDS", "generate_task", "search_results"]
