"""Goal checks over the web environment's final state (several per task, some partial credit)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

import msgspec

from trajforge.envs.web import answers
from trajforge.envs.web.state import Order, WebState
from trajforge.schema import CheckResult, GoalCheck, Task

_ABBREVIATIONS: Final = {
    "ave": "avenue",
    "st": "street",
    "rd": "road",
    "blvd": "boulevard",
    "ln": "lane",
    "dr": "drive",
    "ct": "court",
    "pl": "place",
}


def _norm(text: str) -> str:
    words = re.sub(r"[.,#]", " ", text.lower()).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def _item_score(lines: list[tuple[str, int, str]], p: dict[str, Any]) -> tuple[float, str]:
    """0.5 for the product, 0.25 each for quantity and size, over lines (product_id, qty, size)."""
    mine = [(qty, size) for pid, qty, size in lines if pid == p["product_id"]]
    if not mine:
        return 0.0, f"{p['name']} is missing"
    qty = sum(q for q, _ in mine)
    sizes = {s for _, s in mine}
    score = 0.5 + 0.25 * (qty == p["qty"]) + 0.25 * (sizes == {p.get("size", "")})
    detail = f"{p['name']}: quantity {qty} (wanted {p['qty']})"
    if p.get("size"):
        detail += f", size {'/'.join(sorted(sizes))} (wanted {p['size']})"
    return score, detail


def _new_orders(s: WebState) -> list[Order]:
    return [s.orders[oid] for oid in s.placed if oid in s.orders]


def _cart_item(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    return _item_score([(line.product_id, line.qty, line.size) for line in s.cart], p)


def _cart_only(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    allowed = set(p["product_ids"])
    extra = sorted(
        {s.catalog[line.product_id].name for line in s.cart if line.product_id not in allowed}
    )
    return (
        (0.0, f"extra items in the cart: {', '.join(extra)}") if extra else (1.0, "no extra items")
    )


def _no_orders(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    if s.placed:
        return 0.0, f"unrequested orders placed: {', '.join(s.placed)}"
    return 1.0, "no orders placed"


def _order_item(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    orders = _new_orders(s)
    if not orders:
        return 0.0, "no order was placed"
    return max(
        (_item_score([(li.product_id, li.qty, li.size) for li in o.lines], p) for o in orders),
        key=lambda r: r[0],
    )


def _order_address(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    orders = list(_new_orders(s))
    if not orders:
        return 0.0, "no order was placed"
    order = orders[0]
    want = p["address"]
    got = msgspec.to_builtins(order.address)
    fields = ["name", "street", "city", "state", "zip"]
    wrong = [f for f in fields if _norm(str(got.get(f, ""))) != _norm(str(want[f]))]
    total = len(fields) + 1 + (1 if p.get("speed") else 0)
    if order.card_last4 != p["card_last4"]:
        wrong.append("card")
    if p.get("speed") and order.speed != p["speed"]:
        wrong.append("speed")
    score = (total - len(wrong)) / total
    return score, (
        "address, speed and card as requested" if not wrong else f"wrong: {', '.join(wrong)}"
    )


def _single_order(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    orders = _new_orders(s)
    if len(orders) > 1:
        return 0.0, f"{len(orders)} orders were placed"
    allowed = set(p["product_ids"])
    extra = sorted({li.name for o in orders for li in o.lines if li.product_id not in allowed})
    if extra:
        return 0.0, f"extra items purchased: {', '.join(extra)}"
    return 1.0, "no extra purchases"


def _settings(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    current = msgspec.to_builtins(s.account.settings)
    values: dict[str, Any] = p["values"]
    wrong = [k for k, v in values.items() if current.get(k) != v]
    score = (len(values) - len(wrong)) / len(values) if values else 1.0
    return score, "all saved" if not wrong else f"not as requested: {', '.join(wrong)}"


def _settings_kept(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    current = msgspec.to_builtins(s.account.settings)
    changed = [k for k, v in p["initial"].items() if current.get(k) != v]
    return (
        (0.0, f"changed without being asked: {', '.join(changed)}")
        if changed
        else (1.0, "unchanged")
    )


def _account_kept(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    bad = []
    if p.get("email", True) and "email_changed" in s.events:
        bad.append("email")
    if p.get("password", True) and "password_changed" in s.events:
        bad.append("password")
    return (0.0, f"changed without being asked: {', '.join(bad)}") if bad else (1.0, "unchanged")


def _email(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    ok = s.account.email.lower() == str(p["email"]).lower()
    return float(ok), f"email is {s.account.email}"


def _password(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    ok = s.account.password == p["password"]
    return float(ok), "password changed" if ok else "password is not the requested one"


def _answer(s: WebState, p: dict[str, Any]) -> tuple[float, str]:
    if not s.answers:
        return 0.0, "no answer was submitted"
    ok = answers.matches(s.answers[-1], p["patterns"])
    return float(ok), f"answer {'matches' if ok else 'does not match'} {p['expected']!r}"


CHECKS: Final[dict[str, Callable[[WebState, dict[str, Any]], tuple[float, str]]]] = {
    "cart_item": _cart_item,
    "cart_only": _cart_only,
    "no_orders": _no_orders,
    "order_item": _order_item,
    "order_address": _order_address,
    "single_order": _single_order,
    "settings": _settings,
    "settings_kept": _settings_kept,
    "account_kept": _account_kept,
    "email": _email,
    "password": _password,
    "answer": _answer,
}


def run_check(s: WebState, check: GoalCheck) -> CheckResult:
    """One goal check on the state."""
    func = CHECKS.get(check.name)
    if func is None:
        return CheckResult(name=check.name, passed=False, score=0.0, detail="unknown check")
    score, detail = func(s, check.params)
    return CheckResult(name=check.name, passed=score >= 1.0, score=score, detail=detail)


def evaluate(s: WebState, task: Task) -> list[CheckResult]:
    """All of a task's goal checks on the state."""
    return [run_check(s, check) for check in task.goal_checks]
