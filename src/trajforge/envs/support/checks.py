"""Goal checks of support tasks, evaluated on the final state.

Each check compares the actual final state with the initial world and, for "nothing else
changed", with the state the task's expected actions lead to. Checks give partial credit where
it means something (refunding some of the right items, one stray change among many).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from trajforge.envs.support.state import Address, Order, SupportState
from trajforge.schema import CheckResult, GoalCheck, Task

CheckFn = Callable[[dict[str, Any], SupportState, SupportState, SupportState], CheckResult]


def _order(state: SupportState, order_id: str) -> Order | None:
    return state.orders.get(order_id)


@lru_cache(maxsize=8192)
def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().replace(".", "").replace(",", "").split())


def _address_key(address: Address) -> tuple[str, ...]:
    return tuple(_norm(getattr(address, f)) for f in ("line1", "line2", "city", "state", "zip"))


def _newly_refunded(initial: SupportState, actual: SupportState, order_id: str) -> set[str]:
    before = initial.orders.get(order_id)
    after = actual.orders.get(order_id)
    if before is None or after is None:
        return set()
    was = {i.item_id for i in before.items if i.status == "refunded"}
    return {i.item_id for i in after.items if i.status == "refunded"} - was


def identity_verified(
    params: dict[str, Any], initial: SupportState, expected: SupportState, actual: SupportState
) -> CheckResult:
    """The customer's identity was verified with verify_identity."""
    customer = actual.customers.get(params["customer_id"])
    ok = customer is not None and customer.verified
    return CheckResult(name="identity_verified", passed=ok, detail=None if ok else "not verified")


def order_status(
    params: dict[str, Any], initial: SupportState, expected: SupportState, actual: SupportState
) -> CheckResult:
    """The order ends in the expected status."""
    order = _order(actual, params["order_id"])
    status = order.status if order else None
    ok = status == params["status"]
    detail = f"{params['order_id']} is {status}, expected {params['status']}"
    return CheckResult(name="order_status", passed=ok, detail=None if ok else detail)


def refund(
    params: dict[str, Any], initial: SupportState, expected: SupportState, actual: SupportState
) -> CheckResult:
    """Exactly these items of the order were refunded, for exactly this amount."""
    oid = params["order_id"]
    want = set(params["item_ids"])
    got = _newly_refunded(initial, actual, oid)
    before, after = _order(initial, oid), _order(actual, oid)
    amount = (after.refunded_cents - before.refunded_cents) if before and after else 0
    ok = got == want and amount == params["amount_cents"]
    union = want | got
    score = len(want & got) / len(union) if union else 1.0
    detail = None
    if not ok:
        detail = (
            f"{oid}: refunded {sorted(got)} for {amount / 100:.2f}, expected {sorted(want)} "
            f"for {params['amount_cents'] / 100:.2f}"
        )
        score = min(score, 0.5) if score == 1.0 else score
    return CheckResult(name="refund", passed=ok, score=score, detail=detail)


def no_refund(
    params: dict[str, Any], initial: SupportState, expected: SupportState, actual: SupportState
) -> CheckResult:
    """Nothing was refunded on the order (e.g. above the limit: a human must approve)."""
    oid = params["order_id"]
    before, after = _order(initial, oid), _order(actual, oid)
    ok = before is not None and after is not None and after.refunded_cents == before.refunded_cents
    ok = ok and not _newly_refunded(initial, actual, oid)
    return CheckResult(name="no_refund", passed=ok, detail=None if ok else f"{oid} was refunded")


def item_variant(
    params: dict[str, Any], initial: SupportState, expected: SupportState, actual: SupportState
) -> CheckResult:
    """The order item is now the expected variant (an exchange took place)."""
    order = _order(actual, params["order_id"])
    variant = None
    if order is not None:
        variant = next((i.variant_id for i in order.items if i.item_id == params["item_id"]), None)
    ok = variant == params["variant_id"]
    detail = f"{params['item_id']} is {variant}, expected {params['variant_id']}"
    return CheckResult(name="item_variant", passed=ok, detail=None if ok else detail)


def customer_address(
    params: dict[str, Any], initial: SupportState, expected: SupportState, actual: SupportState
) -> CheckResult:
    """The customer's address on file is the new one (case and punctuation aside)."""
    customer = actual.customers.get(params["customer_id"])
    want = _address_key(Address(**params["address"]))
    fields = ("line1", "line2", "city", "state", "zip")
    if customer is None:
        return CheckResult(name="customer_address", passed=False, score=0.0, detail="no customer")
    got = _address_key(customer.address)
    right = sum(a == b for a, b in zip(got, want, strict=True))
    ok = right == len(fields)
    wrong = [f for f, a, b in zip(fields, got, want, strict=True) if a != b]
    detail = None if ok else f"address fields wrong: {wrong}"
    return CheckResult(name="customer_address", passed=ok, score=right / len(fields), detail=detail)


def customer_email(
    params: dict[str, Any], initial: SupportState, expected: SupportState, actual: SupportState
) -> CheckResult:
    """The customer's email on file is the new one."""
    customer = actual.customers.get(params["customer_id"])
    email = customer.email if customer else None
    ok = email == params["email"].lower()
    return CheckResult(name="customer_email", passed=ok, detail=None if ok else f"email is {email}")


def handed_off(
    params: dict[str, Any], initial: SupportState, expected: SupportState, actual: SupportState
) -> CheckResult:
    """The case was transferred to a human (for this customer, or without naming one)."""
    cid = params.get("customer_id")
    new = actual.transfers[len(initial.transfers) :]
    ok = any(t.customer_id in (None, cid) for t in new)
    return CheckResult(
        name="handed_off", passed=ok, detail=None if ok else "no transfer to a human"
    )


def _projection(state: SupportState) -> dict[str, Any]:
    """What "nothing else changed" compares: one value per entity."""
    entities: dict[str, Any] = {}
    for oid, order in state.orders.items():
        entities[f"order {oid}"] = (
            order.status,
            order.refunded_cents,
            order.exchange_balance_cents,
            tuple((i.item_id, i.variant_id, i.status, i.qty) for i in order.items),
            _address_key(order.shipping_address),
        )
    for cid, customer in state.customers.items():
        entities[f"customer {cid}"] = (
            customer.name,
            customer.email,
            customer.phone,
            _address_key(customer.address),
        )
    for product in state.products.values():
        for vid, variant in product.variants.items():
            entities[f"variant {vid}"] = (variant.stock, variant.price_cents)
    return entities


def no_collateral_changes(
    params: dict[str, Any], initial: SupportState, expected: SupportState, actual: SupportState
) -> CheckResult:
    """Nothing the task should leave alone was changed (score 1 / (1 + stray changes))."""
    before, want, got = _projection(initial), _projection(expected), _projection(actual)
    stray = [k for k, v in before.items() if want.get(k) == v and got.get(k) != v]
    ok = not stray
    detail = None if ok else "changed: " + ", ".join(stray[:6]) + (" …" if len(stray) > 6 else "")
    return CheckResult(
        name="no_collateral_changes", passed=ok, score=1 / (1 + len(stray)), detail=detail
    )


CHECKS: dict[str, CheckFn] = {
    "identity_verified": identity_verified,
    "order_status": order_status,
    "refund": refund,
    "no_refund": no_refund,
    "item_variant": item_variant,
    "customer_address": customer_address,
    "customer_email": customer_email,
    "handed_off": handed_off,
    "no_collateral_changes": no_collateral_changes,
}


def evaluate(
    task: Task, *, initial: SupportState, expected: SupportState, actual: SupportState
) -> list[CheckResult]:
    """Run the task's goal checks, in order."""
    results = []
    for check in task.goal_checks:
        fn = CHECKS.get(check.name)
        if fn is None:
            results.append(
                CheckResult(name=check.name, passed=False, score=0.0, detail="unknown check")
            )
            continue
        results.append(fn(check.params, initial, expected, actual))
    return results


def goal(name: str, description: str, **params: Any) -> GoalCheck:
    """A GoalCheck record for one of the checks above."""
    if name not in CHECKS:
        raise KeyError(name)
    return GoalCheck(name=name, description=description, params=params)
