"""Build the initial support world from task parameters (a pure function of them).

``parameters["world"]`` = ``{"seed", "customers", "products"}`` drives a seeded generator;
``parameters["overrides"]`` adjusts it for a scenario (``{"stock": {variant_id: n}}``);
``parameters["now"]`` is the simulated date, ``parameters["refund_limit_cents"]`` the refund limit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache, partial
from typing import Any, Final

import msgspec

from trajforge.envs.support.catalog import (
    ADJECTIVE_AXES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    PAYMENT_KINDS,
    PLACES,
    PRODUCTS,
    STREETS,
    ProductTemplate,
)
from trajforge.envs.support.draws import Draws
from trajforge.envs.support.state import (
    Address,
    Customer,
    Item,
    Order,
    OrderStatus,
    Product,
    Refund,
    SupportState,
    Variant,
)
from trajforge.envs.world_cache import WorldCache, parameters_key

DEFAULT_REFUND_LIMIT_CENTS: Final = 20_000
DEFAULT_NOW: Final = "2024-06-14"

_STATUS_WEIGHTS: Final[tuple[tuple[OrderStatus, int], ...]] = (
    ("delivered", 50),
    ("processing", 14),
    ("pending", 14),
    ("cancelled", 10),
    ("returned", 12),
)
_STATUSES: Final = tuple(s for s, _ in _STATUS_WEIGHTS)
_STATUS_CUM_WEIGHTS: Final = tuple(itertools.accumulate(w for _, w in _STATUS_WEIGHTS))


def shift(day: str, days: int) -> str:
    """An ISO date ``days`` after ``day`` (negative: before)."""
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def days_between(earlier: str, later: str) -> int:
    """Whole days from ``earlier`` to ``later``."""
    return (date.fromisoformat(later) - date.fromisoformat(earlier)).days


def _unique(taken: set[str], make: Callable[[], str]) -> str:
    while True:
        value = make()
        if value not in taken:
            taken.add(value)
            return value


def _variant_table(template: ProductTemplate) -> list[tuple[dict[str, str], int]]:
    """Every combination of a template's options, with its price bump (steps above the base)."""
    axes = list(template.axes)
    table = []
    for combo in itertools.product(*(template.axes[a] for a in axes)):
        options = dict(zip(axes, combo, strict=True))
        bump = 0
        if template.priced_axis is not None:
            bump = template.axes[template.priced_axis].index(options[template.priced_axis])
        table.append((options, bump))
    return table


#: ``_variant_table`` of each product template, by name.
_VARIANT_TABLES: Final = {t.name: _variant_table(t) for t in PRODUCTS}


def _products(draw: Draws, count: int) -> dict[str, Product]:
    randint, random = draw.randint, draw.random
    templates = draw.sample(PRODUCTS, min(count, len(PRODUCTS)))
    taken: set[str] = set()
    products: dict[str, Product] = {}
    for template in templates:
        pid = _unique(taken, lambda: f"P{randint(1000, 9999)}")
        lo, hi = template.price_range
        base = randint(lo, hi)
        step = max(5, round(base * 0.2))
        table = _VARIANT_TABLES[template.name]
        chosen = sorted(draw.sample(range(len(table)), min(len(table), randint(3, 6))))
        variants: dict[str, Variant] = {}
        for n, index in enumerate(chosen, start=1):
            options, bump = table[index]
            stock = 0 if random() < 0.12 else randint(1, 25)
            vid = f"{pid}-{n:02d}"
            variants[vid] = Variant(
                variant_id=vid,
                options=dict(options),
                price_cents=(base + bump * step) * 100 - 1,
                stock=stock,
            )
        products[pid] = Product(
            product_id=pid, name=template.name, category=template.category, variants=variants
        )
    return products


def _address(draw: Draws, place: tuple[str, str, str, str]) -> Address:
    city, state, zip_code, _ = place
    line2 = f"Apt {draw.randint(1, 30)}" if draw.random() < 0.3 else None
    return Address(
        line1=f"{draw.randint(10, 9899)} {draw.choice(STREETS)}",
        line2=line2,
        city=city,
        state=state,
        zip=zip_code,
    )


def _email(draw: Draws, local: str) -> str:
    return f"{local}{draw.randint(1, 99)}@{draw.choice(EMAIL_DOMAINS)}"


def _customers(draw: Draws, count: int) -> list[Customer]:
    randint, choice = draw.randint, draw.choice
    customers: list[Customer] = []
    ids: set[str] = set()
    emails: set[str] = set()
    names: list[str] = []
    zips: dict[str, set[str]] = {}  # the zip codes of each name's customers
    for _ in range(count):
        if names and draw.random() < 0.15:
            name = choice(names)  # namesakes: the zip code tells them apart
        else:
            name = f"{choice(FIRST_NAMES)} {choice(LAST_NAMES)}"
        used_zips = zips.setdefault(name, set())
        place = choice([p for p in PLACES if p[2] not in used_zips] if used_zips else PLACES)
        used_zips.add(place[2])
        first, last = name.split(" ")
        local = f"{first}.{last}".lower().replace("ü", "ue")
        email = _unique(emails, partial(_email, draw, local))
        cid = _unique(ids, lambda: f"C{randint(10000, 99999)}")
        phone = f"{place[3]}-555-{randint(0, 9999):04d}"
        methods = []
        for kind in draw.sample(PAYMENT_KINDS, choice((1, 1, 2))):
            methods.append(f"{kind}_{randint(1000, 9999)}" if "card" in kind else kind)
        customers.append(
            Customer(
                customer_id=cid,
                name=name,
                email=email,
                phone=phone,
                address=_address(draw, place),
                payment_methods=methods,
            )
        )
        names.append(name)
    return customers


def _orders(
    draw: Draws,
    now: str,
    customers: list[Customer],
    products: dict[str, Product],
    refunds: dict[str, Refund],
) -> dict[str, Order]:
    if not customers:
        return {}
    randint, choice, random = draw.randint, draw.choice, draw.random
    today = date.fromisoformat(now).toordinal()
    orders: dict[str, Order] = {}
    ids: set[str] = set()
    product_list = list(products.values())
    variant_lists = {pid: list(p.variants.values()) for pid, p in products.items()}
    for customer in customers:
        for _ in range(randint(1, 4)):
            status = draw.weighted(_STATUSES, _STATUS_CUM_WEIGHTS)
            oid = _unique(ids, lambda: f"W{randint(1000000, 9999999)}")
            if status == "pending":
                ago = randint(0, 2)
            elif status == "processing":
                ago = randint(1, 4)
            elif status == "returned":
                ago = randint(20, 90)
            else:
                ago = randint(5, 60)
            placed = today - ago
            delivered = None
            if status in ("delivered", "returned"):
                delivered = placed + randint(2, min(5, ago - 1))
            items = []
            for n, product in enumerate(draw.sample(product_list, choice((1, 1, 2, 2, 3))), 1):
                variant = choice(variant_lists[product.product_id])
                items.append(
                    Item(
                        item_id=f"{oid}-{n}",
                        product_id=product.product_id,
                        variant_id=variant.variant_id,
                        name=product.name,
                        options=dict(variant.options),
                        price_cents=variant.price_cents,
                        qty=2 if random() < 0.12 else 1,
                    )
                )
            order = Order(
                order_id=oid,
                customer_id=customer.customer_id,
                status=status,
                placed_on=_iso_day(placed),
                delivered_on=None if delivered is None else _iso_day(delivered),
                payment_method=choice(customer.payment_methods),
                items=items,
                shipping_address=msgspec.structs.replace(customer.address),
            )
            if status == "returned":
                total = 0
                for item in items:
                    item.status = "refunded"
                    total += item.price_cents * item.qty
                order.refunded_cents = total
                rid = f"R{len(refunds) + 1:04d}"
                refunds[rid] = Refund(
                    refund_id=rid,
                    order_id=oid,
                    item_ids=[i.item_id for i in items],
                    amount_cents=total,
                    reason="no_longer_needed",
                    method=order.payment_method,
                    issued_on=_iso_day((delivered or placed) + 7),
                )
            orders[oid] = order
            customer.order_ids.append(oid)
    return orders


_LAST_DAY: Final = date.max.toordinal()


@lru_cache(maxsize=4096)  # order dates fall in a few hundred days
def _iso_day(ordinal: int) -> str:
    """The ISO date of a day number (``date.toordinal``), out of range as date arithmetic is."""
    if not 1 <= ordinal <= _LAST_DAY:
        raise OverflowError("date value out of range")
    return date.fromordinal(ordinal).isoformat()


_WORLDS: Final = WorldCache(SupportState)


def initial_world(parameters: dict[str, Any]) -> SupportState:
    """A fresh, mutable copy of ``build_world(parameters)``, built once per task."""
    return _WORLDS.get(parameters_key(parameters), lambda: build_world(parameters))


def build_world(parameters: dict[str, Any]) -> SupportState:
    """The initial state described by a task's parameters."""
    spec = parameters.get("world", {})
    now = str(parameters.get("now", DEFAULT_NOW))
    draw = Draws(int(spec.get("seed", 0)))
    products = _products(draw, int(spec.get("products", 14)))
    customers = _customers(draw, int(spec.get("customers", 8)))
    refunds: dict[str, Refund] = {}
    orders = _orders(draw, now, customers, products, refunds)
    overrides = parameters.get("overrides", {})
    for vid, stock in overrides.get("stock", {}).items():
        products[vid.split("-")[0]].variants[vid].stock = int(stock)
    return SupportState(
        now=now,
        refund_limit_cents=int(parameters.get("refund_limit_cents", DEFAULT_REFUND_LIMIT_CENTS)),
        customers={c.customer_id: c for c in customers},
        orders=orders,
        products=products,
        refunds=refunds,
        next_id=len(refunds) + 1,
    )


def describe_options(options: dict[str, str]) -> tuple[list[str], list[str]]:
    """Split options into adjectives ("blue") and trailing descriptors ("size M")."""
    adjectives: list[str] = []
    trailing: list[str] = []
    for axis, value in options.items():
        if axis in ADJECTIVE_AXES:
            adjectives.append(value)
        elif axis == "size":
            trailing.append(f"size {value}")
        elif axis == "switch":
            trailing.append(f"{value} switches")
        elif axis in ("shade", "lens"):
            trailing.append(f"{value} {axis}")
        else:
            trailing.append(value)
    return adjectives, trailing


def describe_item(name: str, options: dict[str, str]) -> str:
    """A natural description of a product variant: "blue desk lamp", "navy t-shirt (size M)"."""
    adjectives, trailing = describe_options(options)
    text = " ".join([*adjectives, name.lower().replace("t-shirt", "T-shirt")])
    return f"{text} ({', '.join(trailing)})" if trailing else text


def describe_change(old: dict[str, str], new: dict[str, str]) -> str:
    """What differs in ``new``: "in black", "in size L", "in black and in size L"."""
    parts = []
    for axis, value in new.items():
        if old.get(axis) == value:
            continue
        if axis == "switch":
            parts.append(f"with {value} switches")
        elif axis == "shade":
            parts.append(f"with a {value} shade")
        elif axis == "lens":
            parts.append(f"with {value} lenses")
        elif axis == "size":
            parts.append(f"in size {value}")
        else:
            parts.append(f"in {value}")
    return " and ".join(parts)
