"""Seeded task generator of the support environment.

``generate_task(seed, difficulty)`` draws a world (``parameters["world"]``), picks a scenario of
the difficulty, finds customers, orders and items in the world that fit it, and writes the user's
request, what only the user knows, the ground truth, the goal checks and one correct sequence of
tool calls. Only ``random.Random(seed)`` is used, so a seed always gives the same task.

``parameters``: ``now``, ``refund_limit_cents``, ``world`` (``seed``, ``customers``,
``products``), optional ``overrides`` (``stock``), and ``truth``: ``kind``, ``customer_id``,
``verify_with`` ("email" or "zip_phone"), ``target_orders``, ``expected_statuses`` {order:
status}, ``refunds`` {order: {item_ids, amount_cents}}, ``exchanges`` [{order_id, item_id,
from_variant, to_variant, price_difference_cents}], ``cancellations``, ``account`` (new
``address`` / ``email``), ``handoff``, ``refusal`` (why the request as asked cannot be done, or
None) and ``outcome`` (the right outcome in a sentence).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from trajforge.envs.support.catalog import (
    CANCEL_REASONS,
    EMAIL_DOMAINS,
    PLACES,
    REFUND_REASONS,
    STREETS,
)
from trajforge.envs.support.checks import goal
from trajforge.envs.support.state import Customer, Item, Order, Product, SupportState, Variant
from trajforge.envs.support.world import (
    DEFAULT_REFUND_LIMIT_CENTS,
    build_world,
    days_between,
    describe_change,
    describe_item,
    shift,
)
from trajforge.schema import ExpectedAction, GoalCheck, Task

HIDDEN_INFO_KEYS: Final[dict[str, str]] = {
    "email": "the email address on the account",
    "name": "the account holder's full name",
    "zip": "the ZIP code of the address on file",
    "phone": "the phone number on file",
    "order_id": "the order id(s) the request is about",
    "items": "which items the request is about, described as the user would",
    "new_variant": "which variant the user wants in an exchange",
    "reason": "why the user wants the change",
    "fallback": "what the user accepts if the request cannot be done as asked",
    "confirm": "what the user says yes to when the agent asks for confirmation",
}

_FIRST_DAY: Final = "2024-01-02"
_MAX_ATTEMPTS: Final = 200


def timeframe(days: int) -> str:
    """How a person says when something happened, ``days`` ago."""
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days <= 4:
        return "a few days ago"
    if days <= 9:
        return "last week"
    if days <= 16:
        return "about two weeks ago"
    if days <= 23:
        return "about three weeks ago"
    if days <= 45:
        return "last month"
    return "a couple of months ago"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dollars(cents: int) -> str:
    return f"${cents / 100:.2f}"


def _call(tool_name: str, /, **arguments: Any) -> ExpectedAction:
    return ExpectedAction(name=tool_name, arguments=arguments)


@dataclass
class Draft:
    """A scenario's output, before it becomes a Task."""

    instruction: str
    customer: Customer
    verify_with: str
    actions: list[ExpectedAction]
    checks: list[GoalCheck]
    hidden: dict[str, str]
    truth: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ctx:
    """What a scenario builder works with: the seeded generator and the world."""

    rng: random.Random
    world: SupportState

    @property
    def limit(self) -> int:
        return self.world.refund_limit_cents

    def orders(self, customer: Customer) -> list[Order]:
        return [self.world.orders[oid] for oid in customer.order_ids]

    def product(self, item: Item) -> Product:
        return self.world.products[item.product_id]

    def days_ago(self, order: Order) -> int:
        return days_between(order.placed_on, self.world.now)

    def active_delivered(self, customer: Customer) -> list[tuple[Order, Item]]:
        return [
            (o, i)
            for o in self.orders(customer)
            if o.status == "delivered"
            for i in o.items
            if i.status == "active"
        ]

    def phrase(
        self, customer: Customer, order: Order, item: Item, *, when: bool | None = None
    ) -> str | None:
        """ "the blue desk lamp (I ordered last week)", unique among the customer's items."""
        base = describe_item(item.name, item.options)
        twins = [
            o
            for o in self.orders(customer)
            for i in o.items
            if i.product_id == item.product_id and i.options == item.options and i is not item
        ]
        bucket = timeframe(self.days_ago(order))
        if twins:
            if any(timeframe(self.days_ago(o)) == bucket for o in twins):
                return None
            when = True
        if when is None:
            when = self.rng.random() < 0.5
        return f"the {base} I ordered {bucket}" if when else f"the {base}"

    def alternatives(self, item: Item, *, in_stock: bool = True) -> list[Variant]:
        """Other variants of the item's product (with stock for its quantity if asked)."""
        return [
            v
            for v in self.product(item).variants.values()
            if v.variant_id != item.variant_id and (not in_stock or v.stock >= item.qty)
        ]


# -------------------------------------------------------------------------------- identity


def _identity(
    ctx: Ctx, customer: Customer, mode: str, *, old_zip: bool = False
) -> tuple[str, list[ExpectedAction]]:
    """The user's self-introduction and the lookup + verification calls it allows."""
    first = customer.name.split(" ")[0]
    if mode == "email":
        phrase = ctx.rng.choice(
            (
                f"My email is {customer.email}.",
                f"My account email is {customer.email}.",
                f"I'm {first}, my email is {customer.email}.",
                f"You can find me under {customer.email}.",
                f"(Account: {customer.email}.)",
            )
        )
        return phrase, [
            _call("find_customer_by_email", email=customer.email),
            _call("verify_identity", customer_id=customer.customer_id, email=customer.email),
        ]
    zip_words = "the ZIP code on file is still my old one," if old_zip else "ZIP code"
    phrase = ctx.rng.choice(
        (
            f"I'm {customer.name}, {zip_words} {customer.address.zip}, phone {customer.phone}.",
            f"My name is {customer.name} ({zip_words} {customer.address.zip}); my phone number is "
            f"{customer.phone}.",
        )
    )
    return phrase, [
        _call("find_customer_by_name_zip", name=customer.name, zip=customer.address.zip),
        _call(
            "verify_identity",
            customer_id=customer.customer_id,
            zip=customer.address.zip,
            phone=customer.phone,
        ),
    ]


def _who(customer: Customer) -> dict[str, str]:
    return {
        "email": customer.email,
        "name": customer.name,
        "zip": customer.address.zip,
        "phone": customer.phone,
    }


def _mode(ctx: Ctx, email_share: float = 0.6) -> str:
    return "email" if ctx.rng.random() < email_share else "zip_phone"


# -------------------------------------------------------------------------------- checks, truth


def _base_checks(customer: Customer) -> list[GoalCheck]:
    return [
        goal(
            "identity_verified",
            "the customer's identity was verified",
            customer_id=customer.customer_id,
        )
    ]


def _status_check(order_id: str, status: str) -> GoalCheck:
    return goal("order_status", f"order {order_id} ends {status}", order_id=order_id, status=status)


def _refund_check(order_id: str, item_ids: list[str], amount: int) -> GoalCheck:
    return goal(
        "refund",
        f"exactly {', '.join(item_ids)} refunded on {order_id} ({_dollars(amount)})",
        order_id=order_id,
        item_ids=item_ids,
        amount_cents=amount,
    )


def _collateral() -> GoalCheck:
    return goal("no_collateral_changes", "nothing else in the world was changed")


def _after_refund(order: Order, item_ids: list[str]) -> str:
    remaining = [i for i in order.items if i.status == "active" and i.item_id not in item_ids]
    return "delivered" if remaining else "returned"


def _truth(
    kind: str, customer: Customer, verify_with: str, outcome: str, **extra: Any
) -> dict[str, Any]:
    truth: dict[str, Any] = {
        "kind": kind,
        "customer_id": customer.customer_id,
        "verify_with": verify_with,
        "target_orders": [],
        "expected_statuses": {},
        "refunds": {},
        "exchanges": [],
        "cancellations": [],
        "account": {},
        "handoff": False,
        "refusal": None,
        "outcome": outcome,
    }
    truth.update(extra)
    return truth


def _exchange_truth(order: Order, item: Item, variant: Variant) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "item_id": item.item_id,
        "from_variant": item.variant_id,
        "to_variant": variant.variant_id,
        "price_difference_cents": (variant.price_cents - item.price_cents) * item.qty,
    }


def _pick_variant(ctx: Ctx, item: Item, options: list[Variant]) -> Variant:
    """Prefer a variant that differs from the item in a single option."""
    single = [v for v in options if sum(v.options[a] != item.options[a] for a in v.options) == 1]
    return ctx.rng.choice(single or options)


# -------------------------------------------------------------------------------- difficulty 1


def cancel_by_id(ctx: Ctx) -> Draft | None:
    """Cancel a pending/processing order the user names by id."""
    pool = [
        (c, o)
        for c in ctx.world.customers.values()
        for o in ctx.orders(c)
        if o.status in ("pending", "processing")
    ]
    if not pool:
        return None
    customer, order = ctx.rng.choice(pool)
    mode = _mode(ctx)
    ident, lookup = _identity(ctx, customer, mode)
    code, why = ctx.rng.choice(CANCEL_REASONS)
    oid = order.order_id
    instruction = ctx.rng.choice(
        (
            f"Hi, {ident} Please cancel my order {oid}, {why}.",
            f"{ident} I need to cancel order {oid} because {why}.",
            f"Hello! Could you cancel order {oid} for me? {_cap(why)}. {ident}",
            f"I want to cancel {oid}. {_cap(why)}. {ident}",
        )
    )
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=[
            *lookup,
            _call("get_order", order_id=oid),
            _call("cancel_order", order_id=oid, reason=code),
        ],
        checks=[*_base_checks(customer), _status_check(oid, "cancelled"), _collateral()],
        hidden={
            **_who(customer),
            "order_id": oid,
            "reason": why,
            "confirm": f"cancelling order {oid}",
        },
        truth=_truth(
            "cancel_by_id",
            customer,
            mode,
            f"order {oid} cancelled",
            target_orders=[oid],
            expected_statuses={oid: "cancelled"},
            cancellations=[oid],
        ),
    )


def refund_by_id(ctx: Ctx) -> Draft | None:
    """Refund one item of a delivered order the user names by id."""
    pool = [
        (c, o, i)
        for c in ctx.world.customers.values()
        for o, i in ctx.active_delivered(c)
        if i.price_cents * i.qty <= ctx.limit
    ]
    if not pool:
        return None
    customer, order, item = ctx.rng.choice(pool)
    mode = _mode(ctx)
    ident, lookup = _identity(ctx, customer, mode)
    code, why = ctx.rng.choice(REFUND_REASONS)
    oid, desc = order.order_id, describe_item(item.name, item.options)
    amount = item.price_cents * item.qty
    instruction = ctx.rng.choice(
        (
            f"{ident} Please refund the {desc} from order {oid}; {why}.",
            f"Hi! I'd like to return the {desc} in order {oid} for a refund — {why}. {ident}",
            f"Hello! {ident} The {desc} from order {oid} has to go back: {why}. Can I get my "
            "money back?",
        )
    )
    status = _after_refund(order, [item.item_id])
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=[
            *lookup,
            _call("get_order", order_id=oid),
            _call("refund_order", order_id=oid, item_ids=[item.item_id], reason=code),
        ],
        checks=[
            *_base_checks(customer),
            _refund_check(oid, [item.item_id], amount),
            _status_check(oid, status),
            _collateral(),
        ],
        hidden={
            **_who(customer),
            "order_id": oid,
            "items": f"the {desc}",
            "reason": why,
            "confirm": f"refunding the {desc} ({_dollars(amount)})",
        },
        truth=_truth(
            "refund_by_id",
            customer,
            mode,
            f"{item.item_id} refunded ({_dollars(amount)})",
            target_orders=[oid],
            expected_statuses={oid: status},
            refunds={oid: {"item_ids": [item.item_id], "amount_cents": amount}},
        ),
    )


def update_address(ctx: Ctx) -> Draft | None:
    """Change the address on file to one the user dictates."""
    customer = ctx.rng.choice(list(ctx.world.customers.values()))
    mode = _mode(ctx, 0.7)
    ident, lookup = _identity(ctx, customer, mode, old_zip=True)
    city, state, zip_code, _ = ctx.rng.choice([p for p in PLACES if p[2] != customer.address.zip])
    address: dict[str, Any] = {
        "line1": f"{ctx.rng.randint(10, 9899)} {ctx.rng.choice(STREETS)}",
        "city": city,
        "state": state,
        "zip": zip_code,
    }
    if ctx.rng.random() < 0.3:
        address["line2"] = f"Apt {ctx.rng.randint(1, 40)}"
    line2 = f", {address['line2']}" if "line2" in address else ""
    text = f"{address['line1']}{line2}, {city}, {state} {zip_code}"
    instruction = ctx.rng.choice(
        (
            f"I just moved. Please update my address to {text}. {ident}",
            f"{ident} Could you change the address on my account to {text}?",
            f"Hi, I have a new address: {text}. Please put it on my account. {ident}",
        )
    )
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=[
            *lookup,
            _call("update_address", customer_id=customer.customer_id, address=address),
        ],
        checks=[
            *_base_checks(customer),
            goal(
                "customer_address",
                f"the address on file is {text}",
                customer_id=customer.customer_id,
                address={"line2": None, **address},
            ),
            _collateral(),
        ],
        hidden={**_who(customer), "confirm": f"changing the address to {text}"},
        truth=_truth(
            "update_address",
            customer,
            mode,
            f"address changed to {text}",
            account={"address": address},
        ),
    )


def update_email(ctx: Ctx) -> Draft | None:
    """Change the email on file to a new one."""
    customer = ctx.rng.choice(list(ctx.world.customers.values()))
    mode = _mode(ctx, 0.5)
    ident, lookup = _identity(ctx, customer, mode)
    taken = {c.email for c in ctx.world.customers.values()}
    first, last = customer.name.lower().replace("ü", "ue").split(" ")
    new = f"{first[0]}{last}.{ctx.rng.randint(100, 999)}@{ctx.rng.choice(EMAIL_DOMAINS)}"
    if new in taken:
        return None
    if mode == "email":
        ident = ident.replace("email is", "current email is").replace("under", "under my current")
    instruction = ctx.rng.choice(
        (
            f"{ident} Please change my email address to {new}.",
            f"Hi, I'd like to use {new} as my email from now on. {ident}",
            f"Can you switch the email on my account to {new}? {ident}",
        )
    )
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=[*lookup, _call("update_email", customer_id=customer.customer_id, new_email=new)],
        checks=[
            *_base_checks(customer),
            goal(
                "customer_email",
                f"the email on file is {new}",
                customer_id=customer.customer_id,
                email=new,
            ),
            _collateral(),
        ],
        hidden={**_who(customer), "confirm": f"changing the email to {new}"},
        truth=_truth(
            "update_email", customer, mode, f"email changed to {new}", account={"email": new}
        ),
    )


# -------------------------------------------------------------------------------- difficulty 2


def refund_described(ctx: Ctx) -> Draft | None:
    """Partial refund: one item of a multi-item order, identified by description."""
    pool = [
        (c, o, i)
        for c in ctx.world.customers.values()
        if len(c.order_ids) >= 2
        for o, i in ctx.active_delivered(c)
        if i.price_cents * i.qty <= ctx.limit and sum(x.status == "active" for x in o.items) >= 2
    ]
    ctx.rng.shuffle(pool)
    for customer, order, item in pool:
        desc = ctx.phrase(customer, order, item)
        if desc is not None:
            break
    else:
        return None
    mode = _mode(ctx)
    ident, lookup = _identity(ctx, customer, mode)
    code, why = ctx.rng.choice(REFUND_REASONS)
    amount = item.price_cents * item.qty
    oid = order.order_id
    instruction = ctx.rng.choice(
        (
            f"{ident} I'd like to return {desc} — {why}. Only that item, please keep the rest of "
            "the order.",
            f"Hi, I need a refund for {desc}; {why}. The other things in that order are fine. "
            f"{ident}",
            f"Hello! {_cap(desc)} has to go back because {why}. Can you refund just that one? "
            f"{ident}",
        )
    )
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=[
            *lookup,
            _call("list_orders", customer_id=customer.customer_id),
            _call("get_order", order_id=oid),
            _call("refund_order", order_id=oid, item_ids=[item.item_id], reason=code),
        ],
        checks=[
            *_base_checks(customer),
            _refund_check(oid, [item.item_id], amount),
            _status_check(oid, "delivered"),
            _collateral(),
        ],
        hidden={
            **_who(customer),
            "order_id": "I don't have the order number handy; it was placed "
            + timeframe(ctx.days_ago(order)),
            "items": desc,
            "reason": why,
            "confirm": f"refunding {desc} ({_dollars(amount)}) and nothing else",
        },
        truth=_truth(
            "refund_described",
            customer,
            mode,
            f"only {item.item_id} of {oid} refunded ({_dollars(amount)})",
            target_orders=[oid],
            expected_statuses={oid: "delivered"},
            refunds={oid: {"item_ids": [item.item_id], "amount_cents": amount}},
        ),
    )


def refund_two(ctx: Ctx) -> Draft | None:
    """Refund two described items, from one order or from two."""
    pools = []
    for c in ctx.world.customers.values():
        items = ctx.active_delivered(c)
        for n, (o1, i1) in enumerate(items):
            for o2, i2 in items[n + 1 :]:
                a1, a2 = i1.price_cents * i1.qty, i2.price_cents * i2.qty
                within = a1 + a2 <= ctx.limit if o1 is o2 else max(a1, a2) <= ctx.limit
                if within:
                    pools.append((c, o1, i1, o2, i2))
    ctx.rng.shuffle(pools)
    for customer, o1, i1, o2, i2 in pools:
        d1, d2 = ctx.phrase(customer, o1, i1), ctx.phrase(customer, o2, i2)
        if d1 is not None and d2 is not None:
            break
    else:
        return None
    mode = _mode(ctx)
    ident, lookup = _identity(ctx, customer, mode)
    code, why = ctx.rng.choice(REFUND_REASONS)
    instruction = ctx.rng.choice(
        (
            f"{ident} Two things need to go back: {d1} and {d2}. {_cap(why)}. Please refund both.",
            f"Hi! I want refunds for {d1} and for {d2} — {why}. {ident}",
            f"Hello, please return {d1} and {d2} for me; {why}. {ident}",
        )
    )
    actions = [*lookup, _call("list_orders", customer_id=customer.customer_id)]
    checks = _base_checks(customer)
    by_order: dict[str, list[Item]] = {}
    for order, item in ((o1, i1), (o2, i2)):
        by_order.setdefault(order.order_id, []).append(item)
    refunds: dict[str, Any] = {}
    statuses: dict[str, str] = {}
    for oid, lines in by_order.items():
        ids = [i.item_id for i in lines]
        amount = sum(i.price_cents * i.qty for i in lines)
        actions += [
            _call("get_order", order_id=oid),
            _call("refund_order", order_id=oid, item_ids=ids, reason=code),
        ]
        statuses[oid] = _after_refund(ctx.world.orders[oid], ids)
        refunds[oid] = {"item_ids": ids, "amount_cents": amount}
        checks += [_refund_check(oid, ids, amount), _status_check(oid, statuses[oid])]
    total = sum(r["amount_cents"] for r in refunds.values())
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=actions,
        checks=[*checks, _collateral()],
        hidden={
            **_who(customer),
            "items": f"{d1}; {d2}",
            "reason": why,
            "confirm": f"refunding both items ({_dollars(total)} in total)",
        },
        truth=_truth(
            "refund_two",
            customer,
            mode,
            f"{i1.item_id} and {i2.item_id} refunded ({_dollars(total)})",
            target_orders=list(by_order),
            expected_statuses=statuses,
            refunds=refunds,
        ),
    )


def cancel_described(ctx: Ctx) -> Draft | None:
    """Cancel the pending/processing order that contains a described item."""
    pool = [
        (c, o, i)
        for c in ctx.world.customers.values()
        if len(c.order_ids) >= 2
        for o in ctx.orders(c)
        if o.status in ("pending", "processing")
        for i in o.items
    ]
    ctx.rng.shuffle(pool)
    for customer, order, item in pool:
        desc = ctx.phrase(customer, order, item)
        if desc is not None:
            break
    else:
        return None
    mode = _mode(ctx)
    ident, lookup = _identity(ctx, customer, mode)
    code, why = ctx.rng.choice(CANCEL_REASONS)
    oid = order.order_id
    instruction = ctx.rng.choice(
        (
            f"{ident} Please cancel the order with {desc} — {why}.",
            f"Hi, I want to cancel my order that has {desc} in it; {why}. {ident}",
            f"Hello! {_cap(why)}, so please cancel the order containing {desc}. {ident}",
        )
    )
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=[
            *lookup,
            _call("list_orders", customer_id=customer.customer_id),
            _call("get_order", order_id=oid),
            _call("cancel_order", order_id=oid, reason=code),
        ],
        checks=[*_base_checks(customer), _status_check(oid, "cancelled"), _collateral()],
        hidden={
            **_who(customer),
            "items": desc,
            "reason": why,
            "confirm": "cancelling the whole order with " + desc.removeprefix("the "),
        },
        truth=_truth(
            "cancel_described",
            customer,
            mode,
            f"order {oid} cancelled",
            target_orders=[oid],
            expected_statuses={oid: "cancelled"},
            cancellations=[oid],
        ),
    )


def exchange_described(ctx: Ctx) -> Draft | None:
    """Exchange a described item for another variant described by its options."""
    pool = [
        (c, o, i)
        for c in ctx.world.customers.values()
        for o, i in ctx.active_delivered(c)
        if ctx.alternatives(i)
    ]
    ctx.rng.shuffle(pool)
    for customer, order, item in pool:
        desc = ctx.phrase(customer, order, item)
        if desc is not None:
            break
    else:
        return None
    variant = _pick_variant(ctx, item, ctx.alternatives(item))
    change = describe_change(item.options, variant.options)
    mode = _mode(ctx)
    ident, lookup = _identity(ctx, customer, mode)
    oid = order.order_id
    same = " (everything else the same)" if len(variant.options) > 1 else ""
    instruction = ctx.rng.choice(
        (
            f"{ident} I'd like to exchange {desc} for one {change}{same}.",
            f"Hi, can I swap {desc} for the same thing {change}? {ident}",
            f"Hello! {_cap(desc)} isn't quite right — I want it {change}{same}. {ident}",
        )
    )
    exchange = _exchange_truth(order, item, variant)
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=[
            *lookup,
            _call("list_orders", customer_id=customer.customer_id),
            _call("get_order", order_id=oid),
            _call("get_product", product_id=item.product_id),
            _call(
                "exchange_item",
                order_id=oid,
                item_id=item.item_id,
                new_variant_id=variant.variant_id,
            ),
        ],
        checks=[
            *_base_checks(customer),
            goal(
                "item_variant",
                f"{item.item_id} exchanged for {variant.variant_id}",
                order_id=oid,
                item_id=item.item_id,
                variant_id=variant.variant_id,
            ),
            _status_check(oid, "delivered"),
            _collateral(),
        ],
        hidden={
            **_who(customer),
            "items": desc,
            "new_variant": f"the same product {change}",
            "confirm": f"exchanging {desc} for one {change}, price difference "
            f"{_dollars(exchange['price_difference_cents'])}",
        },
        truth=_truth(
            "exchange_described",
            customer,
            mode,
            f"{item.item_id} exchanged to {variant.variant_id}",
            target_orders=[oid],
            expected_statuses={oid: "delivered"},
            exchanges=[exchange],
        ),
    )


# -------------------------------------------------------------------------------- difficulty 3


def exchange_and_refund(ctx: Ctx) -> Draft | None:
    """Compound: exchange one item and refund another; details come only when asked."""
    pool = []
    for c in ctx.world.customers.values():
        items = ctx.active_delivered(c)
        for oa, ia in items:
            if not ctx.alternatives(ia):
                continue
            for ob, ib in items:
                if (
                    ib is not ia
                    and ib.price_cents * ib.qty <= ctx.limit
                    and ib.product_id != ia.product_id
                ):
                    pool.append((c, oa, ia, ob, ib))
    ctx.rng.shuffle(pool)
    for customer, oa, ia, ob, ib in pool:
        da, db = ctx.phrase(customer, oa, ia, when=False), ctx.phrase(customer, ob, ib, when=False)
        if da is not None and db is not None:
            break
    else:
        return None
    variant = _pick_variant(ctx, ia, ctx.alternatives(ia))
    change = describe_change(ia.options, variant.options)
    code, why = ctx.rng.choice(REFUND_REASONS)
    mode = _mode(ctx, 0.7)
    _, lookup = _identity(ctx, customer, mode)
    name_a, name_b = ia.name.lower(), ib.name.lower()
    instruction = ctx.rng.choice(
        (
            f"Hi, I need to exchange my {name_a} for a different version and return my {name_b}.",
            f"Hello. Two things: I want to swap the {name_a} I got for a different version, and I "
            f"want to send back the {name_b} for a refund.",
            f"I'd like to return the {name_b} I bought, and also exchange the {name_a}.",
        )
    )
    amount = ib.price_cents * ib.qty
    exchange = _exchange_truth(oa, ia, variant)
    actions = [
        *lookup,
        _call("list_orders", customer_id=customer.customer_id),
        _call("get_order", order_id=oa.order_id),
        _call("get_product", product_id=ia.product_id),
        _call(
            "exchange_item",
            order_id=oa.order_id,
            item_id=ia.item_id,
            new_variant_id=variant.variant_id,
        ),
    ]
    if ob is not oa:
        actions.append(_call("get_order", order_id=ob.order_id))
    actions.append(_call("refund_order", order_id=ob.order_id, item_ids=[ib.item_id], reason=code))
    statuses = {oa.order_id: "delivered", ob.order_id: _after_refund(ob, [ib.item_id])}
    if ob is oa:
        statuses[oa.order_id] = "delivered"  # the exchanged item stays with the customer
    checks = [
        *_base_checks(customer),
        goal(
            "item_variant",
            f"{ia.item_id} exchanged for {variant.variant_id}",
            order_id=oa.order_id,
            item_id=ia.item_id,
            variant_id=variant.variant_id,
        ),
        _refund_check(ob.order_id, [ib.item_id], amount),
        *(_status_check(oid, s) for oid, s in statuses.items()),
        _collateral(),
    ]
    orders_text = (
        f"both are in order {oa.order_id}"
        if ob is oa
        else f"{name_a}: order {oa.order_id}; {name_b}: order {ob.order_id}"
    )
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=actions,
        checks=checks,
        hidden={
            **_who(customer),
            "order_id": orders_text,
            "items": f"exchange {da}; return {db}",
            "new_variant": f"the {name_a} {change}",
            "reason": f"for the {name_b}: {why}",
            "confirm": f"exchanging {da} for one {change} and refunding {db} ({_dollars(amount)})",
        },
        truth=_truth(
            "exchange_and_refund",
            customer,
            mode,
            f"{ia.item_id} exchanged to {variant.variant_id}; "
            f"{ib.item_id} refunded ({_dollars(amount)})",
            target_orders=list(statuses),
            expected_statuses=statuses,
            refunds={ob.order_id: {"item_ids": [ib.item_id], "amount_cents": amount}},
            exchanges=[exchange],
        ),
    )


def refund_over_limit(ctx: Ctx) -> Draft | None:
    """A refund above the limit: the agent must hand off to a human and refund nothing."""
    pool: list[tuple[Customer, Order, list[Item]]] = []
    for c in ctx.world.customers.values():
        for o in ctx.orders(c):
            if o.status != "delivered" or any(i.status != "active" for i in o.items):
                continue
            for i in o.items:
                if i.price_cents * i.qty > ctx.limit:
                    pool.append((c, o, [i]))
            if len(o.items) > 1 and sum(i.price_cents * i.qty for i in o.items) > ctx.limit:
                pool.append((c, o, list(o.items)))
    if not pool:
        return None
    customer, order, items = ctx.rng.choice(pool)
    whole = len(items) > 1
    _, why = ctx.rng.choice(REFUND_REASONS)
    mode = _mode(ctx, 0.7)
    _, lookup = _identity(ctx, customer, mode)
    amount = sum(i.price_cents * i.qty for i in items)
    oid = order.order_id
    when = timeframe(ctx.days_ago(order))
    if whole:
        what = f"everything from my order from {when}"
        described = ", ".join(describe_item(i.name, i.options) for i in items)
    else:
        what = f"my {items[0].name.lower()}"
        described = describe_item(items[0].name, items[0].options)
    instruction = ctx.rng.choice(
        (
            f"I want a refund for {what}. {_cap(why)}.",
            f"Hi, I'd like to return {what} and get my money back.",
            f"Hello, can you refund {what}? {_cap(why)}.",
        )
    )
    summary = (
        f"Customer {customer.customer_id} (verified) requests a refund of {_dollars(amount)} for "
        f"{described} on order {oid} ({why}); above the {_dollars(ctx.limit)} limit, "
        "needs approval."
    )
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=[
            *lookup,
            _call("list_orders", customer_id=customer.customer_id),
            _call("get_order", order_id=oid),
            _call("transfer_to_human", summary=summary, customer_id=customer.customer_id),
        ],
        checks=[
            *_base_checks(customer),
            goal(
                "handed_off", "the refund was handed to a human", customer_id=customer.customer_id
            ),
            goal("no_refund", f"nothing refunded on {oid}", order_id=oid),
            _status_check(oid, "delivered"),
            _collateral(),
        ],
        hidden={
            **_who(customer),
            "order_id": oid,
            "items": described,
            "reason": why,
            "fallback": "if you can't do it yourself, transfer me to someone who can",
            "confirm": "being transferred to a human agent",
        },
        truth=_truth(
            "refund_over_limit",
            customer,
            mode,
            f"transferred to a human; nothing refunded ({_dollars(amount)} is above the limit)",
            target_orders=[oid],
            expected_statuses={oid: "delivered"},
            handoff=True,
            refusal=f"refund of {_dollars(amount)} is above the {_dollars(ctx.limit)} limit",
        ),
    )


def cancel_delivered(ctx: Ctx) -> Draft | None:
    """The user asks to cancel a delivered order: refuse; return it only if the user wants."""
    pool = [
        (c, o)
        for c in ctx.world.customers.values()
        for o in ctx.orders(c)
        if o.status == "delivered" and all(i.status == "active" for i in o.items)
    ]
    if not pool:
        return None
    customer, order = ctx.rng.choice(pool)
    amount = sum(i.price_cents * i.qty for i in order.items)
    refund = amount <= ctx.limit and ctx.rng.random() < 0.5
    mode = _mode(ctx, 0.7)
    _, lookup = _identity(ctx, customer, mode)
    oid = order.order_id
    name = order.items[0].name.lower()
    when = timeframe(ctx.days_ago(order))
    instruction = ctx.rng.choice(
        (
            f"Please cancel my order with the {name}, I don't want it anymore.",
            f"Hi, I need to cancel the order I placed {when}.",
            f"I changed my mind about the {name} I ordered {when} — cancel it please.",
        )
    )
    described = ", ".join(describe_item(i.name, i.options) for i in order.items)
    actions = [
        *lookup,
        _call("list_orders", customer_id=customer.customer_id),
        _call("get_order", order_id=oid),
    ]
    checks = _base_checks(customer)
    if refund:
        ids = [i.item_id for i in order.items]
        actions.append(_call("refund_order", order_id=oid, item_ids=ids, reason="no_longer_needed"))
        checks += [_refund_check(oid, ids, amount), _status_check(oid, "returned")]
        fallback = "if the order can't be cancelled, return the whole order and refund me instead"
        confirm = f"returning the whole order for a refund of {_dollars(amount)}"
        outcome = (
            f"cannot cancel a delivered order; returned and refunded instead ({_dollars(amount)})"
        )
        refunds = {oid: {"item_ids": ids, "amount_cents": amount}}
    else:
        checks += [
            goal("no_refund", f"nothing refunded on {oid}", order_id=oid),
            _status_check(oid, "delivered"),
        ]
        fallback = "if the order can't be cancelled, never mind — I'll keep it, nothing else to do"
        confirm = "nothing: the user declines a return"
        outcome = "cannot cancel a delivered order; user declines a return, nothing changes"
        refunds = {}
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=actions,
        checks=[*checks, _collateral()],
        hidden={
            **_who(customer),
            "order_id": oid,
            "items": described,
            "reason": "I don't need it anymore",
            "fallback": fallback,
            "confirm": confirm,
        },
        truth=_truth(
            "cancel_delivered",
            customer,
            mode,
            outcome,
            target_orders=[oid],
            expected_statuses={oid: "returned" if refund else "delivered"},
            refunds=refunds,
            refusal="delivered orders cannot be cancelled",
        ),
    )


def exchange_out_of_stock(ctx: Ctx) -> Draft | None:
    """The wanted variant is out of stock: fall back to a second choice or a refund."""
    pool = [
        (c, o, i)
        for c in ctx.world.customers.values()
        for o, i in ctx.active_delivered(c)
        if len(ctx.alternatives(i, in_stock=False)) >= 2 and ctx.alternatives(i)
    ]
    if not pool:
        return None
    customer, order, item = ctx.rng.choice(pool)
    second = _pick_variant(ctx, item, ctx.alternatives(item))
    first = ctx.rng.choice([v for v in ctx.alternatives(item, in_stock=False) if v is not second])
    amount = item.price_cents * item.qty
    refund = amount <= ctx.limit and ctx.rng.random() < 0.4
    first_change = describe_change(item.options, first.options)
    second_change = describe_change(item.options, second.options)
    code, why = ctx.rng.choice(REFUND_REASONS)
    mode = _mode(ctx, 0.7)
    _, lookup = _identity(ctx, customer, mode)
    oid, name = order.order_id, item.name.lower()
    instruction = ctx.rng.choice(
        (
            f"Hi, I'd like to exchange my {name} for one {first_change}.",
            f"Can I swap the {name} I got for one {first_change}?",
            f"Hello, the {name} isn't right for me. I want it {first_change} instead.",
        )
    )
    actions = [
        *lookup,
        _call("list_orders", customer_id=customer.customer_id),
        _call("get_order", order_id=oid),
        _call("get_product", product_id=item.product_id),
    ]
    checks = _base_checks(customer)
    exchanges: list[dict[str, Any]] = []
    refunds: dict[str, Any] = {}
    if refund:
        actions.append(_call("refund_order", order_id=oid, item_ids=[item.item_id], reason=code))
        status = _after_refund(order, [item.item_id])
        checks += [_refund_check(oid, [item.item_id], amount), _status_check(oid, status)]
        fallback = f"if it's not available {first_change}, just refund it ({why})"
        confirm = f"refunding the {name} ({_dollars(amount)})"
        outcome = f"{first.variant_id} out of stock; {item.item_id} refunded instead"
        refunds = {oid: {"item_ids": [item.item_id], "amount_cents": amount}}
    else:
        actions.append(
            _call(
                "exchange_item",
                order_id=oid,
                item_id=item.item_id,
                new_variant_id=second.variant_id,
            )
        )
        status = "delivered"
        checks += [
            goal(
                "item_variant",
                f"{item.item_id} exchanged for {second.variant_id}",
                order_id=oid,
                item_id=item.item_id,
                variant_id=second.variant_id,
            ),
            _status_check(oid, status),
        ]
        fallback = f"if that's out of stock, one {second_change} is fine too"
        confirm = f"exchanging the {name} for one {second_change}"
        outcome = f"{first.variant_id} out of stock; exchanged to {second.variant_id} instead"
        exchanges = [_exchange_truth(order, item, second)]
    return Draft(
        instruction=instruction,
        customer=customer,
        verify_with=mode,
        actions=actions,
        checks=[*checks, _collateral()],
        hidden={
            **_who(customer),
            "order_id": oid,
            "items": describe_item(item.name, item.options),
            "new_variant": f"first choice: {first_change}",
            "fallback": fallback,
            "confirm": confirm,
        },
        truth=_truth(
            "exchange_out_of_stock",
            customer,
            mode,
            outcome,
            target_orders=[oid],
            expected_statuses={oid: status},
            refunds=refunds,
            exchanges=exchanges,
            refusal=f"variant {first.variant_id} is out of stock",
            out_of_stock_variant=first.variant_id,
        ),
        overrides={"stock": {first.variant_id: 0}},
    )


Builder = Callable[[Ctx], Draft | None]

SCENARIOS: Final[dict[int, tuple[Builder, ...]]] = {
    1: (cancel_by_id, refund_by_id, update_address, update_email),
    2: (refund_described, refund_two, cancel_described, exchange_described),
    3: (exchange_and_refund, refund_over_limit, cancel_delivered, exchange_out_of_stock),
}


def generate_task(
    seed: int, difficulty: int, *, environment: str = "support", version: str = "1"
) -> Task:
    """A support task for ``seed`` and ``difficulty`` (1, 2 or 3)."""
    if difficulty not in SCENARIOS:
        raise ValueError(f"difficulty must be one of {sorted(SCENARIOS)}, not {difficulty!r}")
    rng = random.Random(seed)
    builder = rng.choice(SCENARIOS[difficulty])
    now = shift(_FIRST_DAY, rng.randint(0, 330))
    for _ in range(_MAX_ATTEMPTS):
        parameters: dict[str, Any] = {
            "now": now,
            "refund_limit_cents": DEFAULT_REFUND_LIMIT_CENTS,
            "world": {
                "seed": rng.getrandbits(40),
                "customers": rng.randint(6, 10),
                "products": rng.randint(12, 18),
            },
        }
        draft = builder(Ctx(rng, build_world(parameters)))
        if draft is not None:
            break
    else:  # pragma: no cover - every scenario fits most worlds
        raise RuntimeError(f"no world fits scenario {builder.__name__} for seed {seed}")
    if draft.overrides:
        parameters["overrides"] = draft.overrides
    parameters["truth"] = draft.truth
    return Task(
        instruction=draft.instruction,
        environment=environment,
        environment_version=version,
        seed=seed,
        parameters=parameters,
        goal_checks=draft.checks,
        expected_actions=draft.actions,
        difficulty=difficulty,
        domain="customer_support",
        hidden_info=draft.hidden,
    )
