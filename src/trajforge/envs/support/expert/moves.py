"""Building blocks of the support expert: the steps a careful support agent repeats.

Opening orders (by the id the customer gave or asked for, or by their description through the
order list, with the profile as a fallback), asking for an explicit yes right before a change,
refunding within the limit or handing off above it, exchanging, and reading the order back when
a change's reply was cut off (never making the change twice) or a change was rejected. Each
block is a generator of moves that returns what it found (None, or False, after reporting a
failure).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, ClassVar, TypeVar

from trajforge.agents.scripted import (
    Ask,
    Call,
    Done,
    HandOffMove,
    Move,
    Result,
    ScriptedExpert,
)
from trajforge.envs.consent import gives_consent
from trajforge.envs.support.expert.text import (
    ORDER_ID,
    age,
    as_list,
    as_object,
    cancel_reason,
    cents,
    describe,
    described_in,
    dollars,
    label,
    named_in,
    options_text,
    order_for,
    refund_reason,
)
from trajforge.envs.support.world import DEFAULT_REFUND_LIMIT_CENTS, describe_item
from trajforge.schema import Task, ToolSpec

T = TypeVar("T")
Sub = Generator[Move, Any, T]
Order = dict[str, Any]
Line = tuple[Order, dict[str, Any]]  # an order and one of its items

VERIFY = "verify the customer's identity"
FIND = "find the order"
REFUND = "refund once the customer says yes"
REPORT = "tell the customer the outcome"


class SupportMoves(ScriptedExpert):
    """The support expert's reusable steps; ``SupportExpert`` strings them into flows."""

    run_once: ClassVar[frozenset[str]] = frozenset(
        {"cancel_order", "refund_order", "exchange_item"}
    )

    def __init__(
        self, task: Task, tools: list[ToolSpec], seed: int, *, system_prompt: str | None = None
    ) -> None:
        super().__init__(task, tools, seed, system_prompt=system_prompt)
        self.request = task.instruction or ""
        self.now = str(task.parameters.get("now", ""))
        self.limit = int(task.parameters.get("refund_limit_cents", DEFAULT_REFUND_LIMIT_CENTS))
        self.level = task.difficulty or 1
        self.customer = ""
        self.refunded: dict[str, int] = {}
        self.report: list[str] = []
        self.declined = False

    # -- conversation --------------------------------------------------------------------------

    def replan(self, reason: str, replace: dict[str, list[str]]) -> None:
        """Revise the plan: each step in ``replace`` becomes the steps it maps to."""
        self.plan([s for step in self._plan for s in replace.get(step, [step])], reason=reason)

    def ask(self, question: str, why: str) -> Sub[str]:
        """Ask the customer; their answer."""
        answer = yield Ask(question, why=why)
        return str(answer or "")

    def fail(self, why: str, result: Result | None = None) -> Done:
        """An honest failure report that says what was done (and the tool's error, if any)."""
        if result is not None and result.error:
            why = f"{why} ({result.error})"
        done = " ".join(self.report) or "Nothing was changed."
        return Done(f"I'm sorry, {why}. {done}", completed=False, why=f"{why}; stopping.")

    def why_return(self, words: str) -> str:
        """The refund reason code for the customer's words, noted as an assumption."""
        code = refund_reason(words)
        self.assume(f"the return reason is filed as {code}, from the customer's own words")
        return code

    def why_cancel(self) -> str:
        """The cancellation reason code for the customer's words, noted as an assumption."""
        code = cancel_reason(self.request)
        self.assume(f"the cancellation reason is filed as {code}, from the customer's words")
        return code

    # -- finding orders and items --------------------------------------------------------------

    def get_order(self, order_id: str, why: str) -> Sub[Order | None]:
        """An order's details, or None after reporting the failure."""
        result: Result = yield Call("get_order", {"order_id": order_id}, why=why)
        order = as_object(result.data)
        if not result.ok or not order.get("items"):
            yield self.fail(f"I could not open order {order_id}", result)
            return None
        order["items"] = [as_object(i) for i in as_list(order["items"])]
        return order

    def given_orders(self) -> Sub[tuple[list[Order], str] | None]:
        """The orders whose ids the request gives, or the customer gives when asked."""
        answer = self.request
        if not ORDER_ID.search(answer):
            answer = yield from self.ask(
                "Could you give me the order id (the W number) of that purchase?",
                "The request does not say which order; the customer has the id.",
            )
        orders = []
        for oid in dict.fromkeys(ORDER_ID.findall(answer.upper())):
            order = yield from self.get_order(
                oid, f"Open {oid}, the order the customer gave, to see its items and status."
            )
            if order is None:
                return None
            orders.append(order)
        if not orders:
            yield self.fail("I need the order id to go on")
            return None
        self.mark_done(FIND)
        return orders, answer

    def locate(self, statuses: tuple[str, ...], count: int) -> Sub[list[Line] | None]:
        """Find the ``count`` items the request describes, in orders with these statuses."""
        listed: Result = yield Call(
            "list_orders",
            {"customer_id": self.customer},
            why="The customer described the item, not the order: list their orders.",
            fallbacks=[
                Call(
                    "get_customer",
                    {"customer_id": self.customer},
                    why="The profile lists the customer's order ids.",
                )
            ],
        )
        if not listed.ok:
            yield self.fail("I could not list your orders", listed)
            return None
        found: list[Line] = []
        for oid in self.candidates(listed.data, statuses):
            order = yield from self.get_order(
                oid, f"Order {oid} may hold what the customer described; checking its items."
            )
            if order is None:
                return None
            placed = str(order.get("placed_on", ""))
            found += [
                (order, item)
                for item in order["items"]
                if order.get("status") in statuses
                and item.get("status") == "active"
                and described_in(self.request, item, placed, self.now)
            ]
            if len(found) >= count:
                break
        if len(found) < count:
            yield self.fail("I could not find what you described among your orders")
            return None
        self.mark_done(FIND)
        return found[:count]

    def candidates(self, data: Any, statuses: tuple[str, ...]) -> list[str]:
        """Order ids worth opening, most likely first: right status, a product the request names."""
        if isinstance(data, dict) and "order_ids" in data:  # the profile, from the fallback
            return [str(o) for o in as_list(data["order_ids"])]
        rows = [data] if isinstance(data, dict) else [as_object(r) for r in as_list(data)]
        text = self.request.lower()
        ranked = []
        for n, row in enumerate(rows):
            names = [str(x).lower() for x in as_list(row.get("items"))]
            if row.get("status") in statuses and any(x in text for x in names):
                when = f"i ordered {age(str(row.get('placed_on')), self.now)}" in text
                ranked.append((not when, n, str(row.get("order_id"))))
        return [oid for *_, oid in sorted(ranked)]

    def named_lines(self, orders: list[Order], answer: str) -> list[Line]:
        """The active items of these orders that the request names (by description or name)."""
        lines = []
        for order in orders:
            placed = str(order.get("placed_on", ""))
            active = [i for i in order["items"] if i.get("status") == "active"]
            chosen = [i for i in active if described_in(self.request, i, placed, self.now)]
            for item in chosen or [i for i in active if named_in(self.request, i)]:
                given = order_for(answer, str(item.get("name", "")))
                if given in (None, order["order_id"]):
                    lines.append((order, item))
        return lines

    # -- changes -------------------------------------------------------------------------------

    def confirm(self, what: str, step: str) -> Sub[bool]:
        """Ask for the customer's explicit yes to ``what``; on a no, drop ``step`` from the plan."""
        answer = yield from self.ask(
            f"Shall I go ahead and {what}?",
            "Policy: say exactly what I will do and get the customer's explicit yes first.",
        )
        if gives_consent(answer):
            return True
        self.declined = True
        self.replan("The customer did not say yes.", {step: []})
        self.report.append(f"As you asked, I did not {what}.")
        return False

    def went_through(
        self, result: Result, order_id: str, check: Callable[[Order], bool]
    ) -> Sub[bool]:
        """Whether a change to an order took effect: yes when it said so; when its reply was cut
        off, or it was rejected (an earlier attempt may have gone through after all), the order
        read back tells."""
        if result.ok and result.kind != "partial":
            return True
        order = yield from self.get_order(
            order_id,
            "The reply was cut off after the change went through; checking the order instead of "
            "changing it twice."
            if result.ok
            else "The change was rejected; checking whether the first attempt went through.",
        )
        return order is not None and check(order)

    def refund(self, lines: list[Line], reason: str, step: str | None) -> Sub[bool]:
        """Refund items of one order after a yes, or hand off when above the limit."""
        order = lines[0][0]
        oid = str(order["order_id"])
        amount = sum(cents(i["price"]) * int(i.get("qty", 1)) for _, i in lines)
        if self.refunded.get(oid, 0) + amount > self.limit:
            yield from self.hand_off(oid, lines, amount)
            return False
        what = " and ".join(label(i) for _, i in lines)
        method = order.get("payment_method", "the original payment method")
        todo = f"refund {what} from {oid}, {dollars(amount)} back to {method}"
        if not (yield from self.confirm(todo, step or REFUND)):
            return True
        ids = [str(i["item_id"]) for _, i in lines]
        result: Result = yield Call(
            "refund_order",
            {"order_id": oid, "item_ids": ids, "reason": reason},
            why=f"The customer said yes; {dollars(amount)} is within the {dollars(self.limit)} "
            "limit.",
        )
        if not (
            yield from self.went_through(
                result,
                oid,
                lambda o: all(i["status"] == "refunded" for i in o["items"] if i["item_id"] in ids),
            )
        ):
            yield self.fail(f"the refund on {oid} failed", result)
            return False
        self.refunded[oid] = self.refunded.get(oid, 0) + amount
        if step:
            self.mark_done(step)
        self.report.append(f"I refunded {what} from {oid}: {dollars(amount)} back to {method}.")
        return True

    def hand_off(self, oid: str, lines: list[Line], amount: int) -> Sub[None]:
        """A refund above the limit needs a human's approval: hand off, refund nothing."""
        step = f"hand the refund to a human for approval (above {dollars(self.limit)})"
        self.plan(
            [VERIFY, FIND, step],
            reason=f"The refund of {dollars(amount)} is above my {dollars(self.limit)} limit.",
        )
        self.mark_done(step)
        what = ", ".join(describe(i) for _, i in lines)
        yield HandOffMove(
            f"The refund you asked for ({what} on order {oid}, {dollars(amount)}) is above the "
            f"{dollars(self.limit)} I may approve, so I am transferring you to a colleague who "
            f"can. For the colleague: customer {self.customer} (verified) asks for a refund of "
            f"{dollars(amount)} for {what} on {oid}; nothing has been refunded.",
            reason=f"refund of {dollars(amount)} exceeds the {dollars(self.limit)} limit",
            why="Policy: a refund above the limit needs a human's approval; hand off instead.",
        )

    def swap(
        self, order: Order, item: dict[str, Any], variant: dict[str, Any], step: str
    ) -> Sub[bool]:
        """Exchange the item for the variant after a yes."""
        oid, iid, vid = str(order["order_id"]), str(item["item_id"]), str(variant["variant_id"])
        qty = int(item.get("qty", 1))
        diff = (cents(variant["price"]) - cents(item["price"])) * qty
        method = order.get("payment_method", "your payment method")
        money = "no price difference"
        if diff:
            money = f"{dollars(abs(diff))} {'charged to' if diff > 0 else 'back to'} {method}"
        options = dict(variant.get("options") or {})
        todo = f"swap {label(item)} from {oid} for {vid} ({options_text(options)}), {money}"
        if not (yield from self.confirm(todo, step)):
            return True
        result: Result = yield Call(
            "exchange_item",
            {"order_id": oid, "item_id": iid, "new_variant_id": vid},
            why=f"The customer said yes and {vid} has stock for {qty}.",
        )
        if not (
            yield from self.went_through(
                result,
                oid,
                lambda o: any(i["item_id"] == iid and i["variant_id"] == vid for i in o["items"]),
            )
        ):
            yield self.fail(f"the exchange on {oid} failed", result)
            return False
        self.mark_done(step)
        new = describe_item(str(item.get("name", "")), options)
        self.report.append(f"I exchanged the {describe(item)} from {oid} for the {new}: {money}.")
        return True
