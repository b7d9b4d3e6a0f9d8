"""Build the initial support world from task parameters (a pure function of them).

``parameters["world"]`` = ``{"seed", "customers", "products"}`` drives a seeded generator;
``parameters["overrides"]`` adjusts it for a scenario (``{"stock": {variant_id: n}}``);
``parameters["now"]`` is the simulated date, ``parameters["refund_limit_cents"]`` the refund limit.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from typing import Any, Final

from trajforge.envs.support.catalog import (
    ADJECTIVE_AXES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    PAYMENT_KINDS,
    PLACES,
    PRODUCTS,
    STREETS,
)
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


def shift(day: str, days: int) -> str:
    """An ISO date ``days`` after ``day`` (negative: before)."""
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def days_between(earlier: str, later: str) -> int:
    """Whole days from ``earlier`` to ``later``."""
    return (date.fromisoformat(later) - date.fromisoformat(earlier)).days


def _unique(rng: random.Random, taken: set[str], make: Any) -> str:
    while True:
        value: str = make(rng)
        if value not in taken:
            taken.add(value)
            return value


def _products(rng: random.Random, count: int) -> dict[str, Product]:
    templates = rng.sample(PRODUCTS, min(count, len(PRODUCTS)))
    taken: set[str] = set()
    products: dict[str, Product] = {}
    for template in templates:
        pid = _unique(rng, taken, lambda r: f"P{r.randint(1000, 9999)}")
        lo, hi = template.price_range
        base = rng.randint(lo, hi)
        step = max(5, round(base * 0.2))
        axes = list(template.axes)
        combos = list(itertools.product(*(template.axes[a] for a in axes)))
        chosen = sorted(rng.sample(range(len(combos)), min(len(combos), rng.randint(3, 6))))
        variants: dict[str, Variant] = {}
        for n, index in enumerate(chosen, start=1):
            options = dict(zip(axes, combos[index], strict=True))
            bump = 0
            if template.priced_axis is not None:
                bump = template.axes[template.priced_axis].index(options[template.priced_axis])
            price = (base + bump * step) * 100 - 1
            stock = 0 if rng.random() < 0.12 else rng.randint(1, 25)
            vid = f"{pid}-{n:02d}"
            variants[vid] = Variant(variant_id=vid, options=options, price_cents=price, stock=stock)
        products[pid] = Product(
            product_id=pid, name=template.name, category=template.category, variants=variants
        )
    return products


def _address(rng: random.Random, place: tuple[str, str, str, str]) -> Address:
    city, state, zip_code, _ = place
    line2 = f"Apt {rng.randint(1, 30)}" if rng.random() < 0.3 else None
    return Address(
        line1=f"{rng.randint(10, 9899)} {rng.choice(STREETS)}",
        line2=line2,
        city=city,
        state=state,
        zip=zip_code,
    )


def _customers(rng: random.Random, count: int) -> list[Customer]:
    customers: list[Customer] = []
    ids: set[str] = set()
    emails: set[str] = set()
    names: list[str] = []
    for _ in range(count):
        if names and rng.random() < 0.15:
            name = rng.choice(names)  # namesakes: the zip code tells them apart
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        used_zips = {c.address.zip for c in customers if c.name == name}
        place = rng.choice([p for p in PLACES if p[2] not in used_zips])
        first, last = name.split(" ")
        local = f"{first}.{last}".lower().replace("ü", "ue")
        email = _unique(
            rng, emails, lambda r, loc=local: f"{loc}{r.randint(1, 99)}@{r.choice(EMAIL_DOMAINS)}"
        )
        cid = _unique(rng, ids, lambda r: f"C{r.randint(10000, 99999)}")
        phone = f"{place[3]}-555-{rng.randint(0, 9999):04d}"
        methods = []
        for kind in rng.sample(PAYMENT_KINDS, rng.choice((1, 1, 2))):
            methods.append(f"{kind}_{rng.randint(1000, 9999)}" if "card" in kind else kind)
        customers.append(
            Customer(
                customer_id=cid,
                name=name,
                email=email,
                phone=phone,
                address=_address(rng, place),
                payment_methods=methods,
            )
        )
        names.append(name)
    return customers


def _orders(
    rng: random.Random,
    now: str,
    customers: list[Customer],
    products: dict[str, Product],
    refunds: dict[str, Refund],
) -> dict[str, Order]:
    orders: dict[str, Order] = {}
    ids: set[str] = set()
    statuses = [s for s, _ in _STATUS_WEIGHTS]
    weights = [w for _, w in _STATUS_WEIGHTS]
    product_list = list(products.values())
    for customer in customers:
        for _ in range(rng.randint(1, 4)):
            status = rng.choices(statuses, weights)[0]
            oid = _unique(rng, ids, lambda r: f"W{r.randint(1000000, 9999999)}")
            if status == "pending":
                ago = rng.randint(0, 2)
            elif status == "processing":
                ago = rng.randint(1, 4)
            elif status == "returned":
                ago = rng.randint(20, 90)
            else:
                ago = rng.randint(5, 60)
            placed = shift(now, -ago)
            delivered = None
            if status in ("delivered", "returned"):
                delivered = shift(placed, rng.randint(2, min(5, ago - 1)))
            items = []
            for n, product in enumerate(rng.sample(product_list, rng.choice((1, 1, 2, 2, 3))), 1):
                variant = rng.choice(list(product.variants.values()))
                items.append(
                    Item(
                        item_id=f"{oid}-{n}",
                        product_id=product.product_id,
                        variant_id=variant.variant_id,
                        name=product.name,
                        options=dict(variant.options),
                        price_cents=variant.price_cents,
                        qty=2 if rng.random() < 0.12 else 1,
                    )
                )
            order = Order(
                order_id=oid,
                customer_id=customer.customer_id,
                status=status,
                placed_on=placed,
                delivered_on=delivered,
                payment_method=rng.choice(customer.payment_methods),
                items=items,
                shipping_address=Address(**_fields(customer.address)),
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
                    issued_on=shift(delivered or placed, 7),
                )
            orders[oid] = order
            customer.order_ids.append(oid)
    return orders


def _fields(address: Address) -> dict[str, Any]:
    return {f: getattr(address, f) for f in address.__struct_fields__}


_WORLDS: Final = WorldCache(SupportState)


def initial_world(parameters: dict[str, Any]) -> SupportState:
    """A fresh, mutable copy of ``build_world(parameters)``, built once per task."""
    return _WORLDS.get(parameters_key(parameters), lambda: build_world(parameters))


def build_world(parameters: dict[str, Any]) -> SupportState:
    """The initial state described by a task's parameters."""
    spec = parameters.get("world", {})
    now = str(parameters.get("now", DEFAULT_NOW))
    rng = random.Random(int(spec.get("seed", 0)))
    products = _products(rng, int(spec.get("products", 14)))
    customers = _customers(rng, int(spec.get("customers", 8)))
    refunds: dict[str, Refund] = {}
    orders = _orders(rng, now, customers, products, refunds)
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
