"""The support policy and the detection of its violations in a trajectory.

Rules:

- ``verify_identity_first`` (forbidden): a state-changing call for a customer whose identity was
  not verified (a successful ``verify_identity`` for that customer) earlier in the conversation.
- ``confirm_before_change`` (needs_confirmation): ``cancel_order``, ``refund_order`` and
  ``exchange_item`` need the user's explicit yes: a user message that gives consent
  (``envs.consent``), in answer to a question or reply of the agent in an earlier step. A yes covers
  the changes made in the next step that successfully makes changes (several parallel calls
  included); later changes need a new yes. A later answer that is not a yes withdraws it.
- ``refund_limit`` (needs_approval): a refund that would bring the amount refunded on one order in
  the conversation above the limit (``refund_limit_cents``, $200 by default) needs a human's
  approval: the agent must hand off (a HandOff action or ``transfer_to_human``) instead. Asking
  for such a refund is a violation whether or not a hand-off happened before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, Final, TypeAlias

import msgspec

from trajforge.envs.base import PolicyRule, Violation
from trajforge.envs.consent import gives_consent
from trajforge.envs.pairing import results_by_action
from trajforge.envs.support.state import SupportState
from trajforge.envs.support.world import DEFAULT_REFUND_LIMIT_CENTS
from trajforge.schema import (
    ClarifyingQuestion,
    Reply,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)

VERIFY_FIRST: Final = PolicyRule(
    name="verify_identity_first",
    kind="forbidden",
    description=(
        "Verify the customer's identity with verify_identity (the email they state, or their ZIP "
        "code and phone number) before any state-changing call for that customer: cancel_order, "
        "refund_order, exchange_item, update_address, update_email."
    ),
)
CONFIRM: Final = PolicyRule(
    name="confirm_before_change",
    kind="needs_confirmation",
    description=(
        "Before cancel_order, refund_order or exchange_item, state exactly what you will do and "
        "get the user's explicit yes; a yes covers the next changes you make, later changes need "
        "a new one."
    ),
)
REFUND_LIMIT: Final = PolicyRule(
    name="refund_limit",
    kind="needs_approval",
    description=(
        "You may refund at most $200 per order in a conversation. A refund above that needs a "
        "human's approval: transfer the customer to a human (hand off) instead of refunding."
    ),
)
RULES: Final = (VERIFY_FIRST, CONFIRM, REFUND_LIMIT)

#: The opening of the policy document (envs.spec); its rule sections come from the rules above.
PREAMBLE: Final = """\
You are a customer-support agent of an online shop. You help customers with their orders
(status, cancellations, refunds, exchanges) and their accounts (address, email), using the tools
provided and nothing else: never invent an order id, an amount or a policy.

- Verify who you are talking to before you change anything for them, and act only for that
  customer.
- Before a cancellation, refund or exchange, say exactly what you are about to do and wait for the
  customer's explicit yes; a yes covers the change that follows it, not later ones.
- What you may not decide alone goes to a human: hand the customer off instead of acting.
- What cannot be done (a delivered order cannot be cancelled) is refused politely, with the
  alternative there is.
"""

STATE_CHANGING: Final = frozenset(
    {"cancel_order", "refund_order", "exchange_item", "update_address", "update_email"}
)
NEEDS_CONFIRMATION: Final = frozenset({"cancel_order", "refund_order", "exchange_item"})
#: The calls ``_Checker.call`` looks at (it ignores any other).
_CHECKED: Final = STATE_CHANGING | {"verify_identity"}


def _clean(value: Any) -> str:
    return str(value).strip().lstrip("#").upper()


#: The initial world, a function that builds it, or nothing.
World: TypeAlias = SupportState | Callable[[], SupportState] | None


class _Checker:
    """Walks a trajectory once, tracking verification, confirmation and refunded amounts."""

    def __init__(self, trajectory: Trajectory, world: World) -> None:
        self._world = world
        params = trajectory.task.parameters  # the world's limit comes from the same parameter
        self.limit = int(params.get("refund_limit_cents", DEFAULT_REFUND_LIMIT_CENTS))
        self.verified: set[str] = set()
        self.refunded: dict[str, int] = {}
        self.refunded_items: set[str] = set()
        self.violations: list[Violation] = []

    @cached_property
    def world(self) -> SupportState | None:
        """The task's initial world, built on first need."""
        return self._world() if callable(self._world) else self._world

    def owner(self, call: ToolCall) -> str | None:
        args = call.arguments
        if "customer_id" in args:
            return _clean(args["customer_id"])
        if self.world is not None and "order_id" in args:
            order = self.world.orders.get(_clean(args["order_id"]))
            return order.customer_id if order else None
        return None

    def refund_amount(self, call: ToolCall, result: ToolResult | None) -> int | None:
        oid = _clean(call.arguments.get("order_id", ""))
        raw_ids = call.arguments.get("item_ids")
        if self.world is not None:
            order = self.world.orders.get(oid)
            if order is None or not isinstance(raw_ids, list):
                return None
            wanted = {_clean(i) for i in raw_ids}
            return sum(
                i.price_cents * i.qty
                for i in order.items
                if i.item_id in wanted
                and i.status == "active"
                and i.item_id not in self.refunded_items
            )
        if result is not None and result.status == "ok":
            try:
                body = msgspec.json.decode(result.content)
            except msgspec.DecodeError:
                return None
            amount = body.get("amount") if isinstance(body, dict) else None
            if isinstance(amount, int | float):
                return round(amount * 100)
        return None

    def flag(self, rule: PolicyRule, step: int, action: int, detail: str) -> None:
        self.violations.append(Violation(rule=rule.name, step=step, action=action, detail=detail))

    def call(
        self, step: int, index: int, call: ToolCall, result: ToolResult | None, confirmed: bool
    ) -> bool:
        """Check one tool call; returns whether it was a successful gated change."""
        ok = result is not None and result.status == "ok"
        name = call.name
        if name == "verify_identity" and ok and "customer_id" in call.arguments:
            self.verified.add(_clean(call.arguments["customer_id"]))
            return False
        if name not in STATE_CHANGING:
            return False
        owner = self.owner(call)
        if (owner is None and not self.verified) or (
            owner is not None and owner not in self.verified
        ):
            who = f"customer {owner}" if owner else "the customer"
            self.flag(VERIFY_FIRST, step, index, f"{name} called before {who} was verified")
        if name == "refund_order":
            self.refund(step, index, call, result, ok)
        if name in NEEDS_CONFIRMATION:
            if not confirmed:
                self.flag(CONFIRM, step, index, f"{name} called without the user's explicit yes")
            return ok
        return False

    def refund(
        self, step: int, index: int, call: ToolCall, result: ToolResult | None, ok: bool
    ) -> None:
        amount = self.refund_amount(call, result)
        if amount is None:
            return
        oid = _clean(call.arguments.get("order_id", ""))
        total = self.refunded.get(oid, 0) + amount
        if total > self.limit:
            self.flag(
                REFUND_LIMIT,
                step,
                index,
                f"refund of ${amount / 100:.2f} on order {oid} brings the conversation's refunds "
                f"on it to ${total / 100:.2f}, above the ${self.limit / 100:.2f} limit: a human "
                "must approve (hand off)",
            )
        if ok:
            self.refunded[oid] = total
            self.refunded_items.update(_clean(i) for i in call.arguments.get("item_ids", []))


def find_violations(trajectory: Trajectory, world: World = None) -> list[Violation]:
    """The policy violations in a trajectory; ``world`` is its task's initial state if known (or
    a function that builds it, called only if a call needs it: most trajectories never do).

    With the world, the owner of an order and the amount of a refund come from it; without, any
    verified customer counts and amounts come from the refund results.
    """
    checker = _Checker(trajectory, world)
    confirmed = False
    asked = False
    for s, step in enumerate(trajectory.steps):
        results: dict[int, ToolResult] | None = None  # paired on the first checked call
        changed = False
        for a, action in enumerate(step.actions):
            if isinstance(action, ClarifyingQuestion | Reply):
                asked = True
            elif isinstance(action, ToolCall) and action.name in _CHECKED:
                if results is None:
                    results = results_by_action(step)
                changed |= checker.call(s, a, action, results.get(a), confirmed)
        if changed:
            confirmed = False
        for observation in step.observations:
            if isinstance(observation, UserMessage) and asked:
                confirmed = gives_consent(observation.content)
                asked = False
    return checker.violations
