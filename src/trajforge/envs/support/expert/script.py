"""The scripted expert of the support environment.

A careful support agent: verifies the customer (from what they said, or by asking), finds the
order (by the id they gave, by their description through the order list, or by asking for the
id), asks for the customer's explicit yes right before each cancellation, refund or exchange,
hands refunds above the limit to a human, refuses what cannot be done (a delivered order cannot be
cancelled) and offers the alternative, and re-plans when the world or the customer changes the
route (an out-of-stock variant, a fallback answer). The steps it repeats live in
``moves``; reading and phrasing in ``text`` (requests for a yes avoid every word
that reads as a question about the customer's details, see ``text.DETAIL_WORDS``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from trajforge.agents.scripted import Call, Done, Result, Script
from trajforge.envs.support.expert.moves import (
    FIND,
    REFUND,
    REPORT,
    VERIFY,
    Line,
    Order,
    Sub,
    SupportMoves,
)
from trajforge.envs.support.expert.text import (
    EMAIL,
    ORDER_ID,
    PHONE,
    ZIP,
    as_list,
    as_object,
    cents,
    dollars,
    label,
    options_text,
    role,
    variant_in,
)
from trajforge.envs.support.state import Address, format_address
from trajforge.schema import Task

PICK = "pick the variant asked for"
SWAP = "exchange once the customer says yes"
CANCEL = "cancel the order once the customer says yes"
REFUND_OTHER = "refund the other item once the customer says yes"
ASK = {
    "email": "What is the email address on your account?",
    "name": "What is the full name of the account holder?",
    "zip": "What is the ZIP code of the address on file?",
    "phone": "What is the phone number on file?",
}
PLANS = {
    "update_address": ["update the address on file"],
    "update_email": ["update the email on file"],
    "cancel": [FIND, CANCEL],
    "refund": [FIND, REFUND],
    "exchange": [FIND, PICK, SWAP],
    "exchange_and_refund": [FIND, PICK, SWAP, REFUND_OTHER],
}


class SupportExpert(SupportMoves):
    """Solves support tasks the way a careful human agent would, writing down why."""

    # -- the script ----------------------------------------------------------------------------

    def script(self, task: Task) -> Script:
        """Verify, then follow the flow for what the customer asks."""
        kind = str(self.truth.get("kind", ""))
        topic = kind if kind in PLANS else kind.split("_", maxsplit=1)[0]
        flow: Callable[[], Sub[bool]] | None = {
            "update_address": self.update_address,
            "update_email": self.update_email,
            "cancel": self.cancel_flow,
            "refund": self.refund_flow,
            "exchange": self.exchange_flow,
            "exchange_and_refund": self.exchange_flow,
        }.get(topic)
        if flow is None:
            yield Done(f"I'm sorry, I can't help with this request ({kind}).", completed=False)
            return
        self.plan([VERIFY, *PLANS[topic], REPORT])
        if (yield from self.identify()) and (yield from flow()):
            self.mark_done(REPORT)
            why = "Everything asked for is settled; summarising."
            if self.declined:
                why = "The customer declined a change, so the request is not carried out as asked."
            yield Done(" ".join(self.report), completed=not self.declined, why=why)

    def stated(self, key: str) -> str | None:
        """A detail of the customer's, if their request states it."""
        value = str(self.task.hidden_info.get(key, ""))
        return value if value and value.lower() in self.request.lower() else None

    # -- identity ------------------------------------------------------------------------------

    def identify(self) -> Sub[bool]:
        """Find and verify the customer from the details they gave, or give when asked."""
        facts: dict[str, str] = {}
        named = {k: self.stated(k) for k in ("name", "zip", "phone")}
        email = self.stated("email")
        if email:
            facts["email"] = email
        elif all(named.values()):
            facts = {k: v for k, v in named.items() if v}
        else:
            mode = str(self.truth.get("verify_with", "email"))
            for key in ["email"] if mode == "email" else ["name", "zip", "phone"]:
                answer = yield from self.ask(
                    ASK[key], "I need this to find and verify the account."
                )
                value = self.extract(key, answer)
                if not value:
                    yield self.fail("I cannot verify the account without that detail")
                    return False
                facts[key] = value
        if "email" in facts:
            find = Call("find_customer_by_email", {"email": facts["email"]})
            proof = {"email": facts["email"]}
        else:
            find = Call("find_customer_by_name_zip", {"name": facts["name"], "zip": facts["zip"]})
            proof = {"zip": facts["zip"], "phone": facts["phone"]}
        find.why = "Look up the account from the details the customer gave."
        found: Result = yield find
        cid = str(as_object(found.data).get("customer_id", ""))
        if not found.ok or not cid:
            yield self.fail("I could not find the account", found)
            return False
        verified: Result = yield Call(
            "verify_identity",
            {"customer_id": cid, **proof},
            why="Policy: verify the customer before any change to their account or orders.",
            verification=True,
        )
        if not verified.ok:
            yield self.fail("I could not verify your identity", verified)
            return False
        self.customer = cid
        self.mark_done(VERIFY)
        return True

    @staticmethod
    def extract(key: str, answer: str) -> str | None:
        """The detail in the customer's answer."""
        pattern = {"email": EMAIL, "zip": ZIP, "phone": PHONE}.get(key)
        if pattern is None:
            text = answer.strip().rstrip(".")
            return text if text and "know" not in text.lower() else None
        found = pattern.search(answer)
        return found.group(0) if found else None

    # -- account changes -----------------------------------------------------------------------

    def update_address(self) -> Sub[bool]:
        """Put the address the customer dictated on file."""
        address = dict(self.truth.get("account", {}).get("address", {}))
        on_file = format_address(msgspec.convert(address, Address).on_file())
        call = Call(
            "update_address",
            {"customer_id": self.customer, "address": address},
            why="The customer is verified and dictated the new address (no yes needed for this).",
        )
        return (yield from self.change_on_file(call, "address", on_file))

    def update_email(self) -> Sub[bool]:
        """Change the account's email to the one the customer asked for."""
        new = str(self.truth.get("account", {}).get("email", ""))
        call = Call(
            "update_email",
            {"customer_id": self.customer, "new_email": new},
            why="The customer is verified and asked for this email (no yes needed for this).",
        )
        return (yield from self.change_on_file(call, "email", new))

    def change_on_file(self, call: Call, field: str, wanted: str) -> Sub[bool]:
        """Put ``wanted`` on file as the account's ``field``; report it or fail.

        A change whose reply was cut off may have gone through, so a second try is refused as
        "already" on file; the profile tells whether the first one took.
        """
        result: Result = yield call
        if not result.ok and "already" in str(result.error):
            profile: Result = yield Call(
                "get_customer",
                {"customer_id": self.customer},
                why="The change was rejected; checking whether the first attempt went through.",
            )
            result = Result(ok=as_object(profile.data).get(field) == wanted, error=result.error)
        if not result.ok:
            yield self.fail(f"the {field} could not be changed", result)
            return False
        self.mark_done(f"update the {field} on file")
        self.report.append(f"The {field} on your account is now {wanted}.")
        return True

    # -- flows ---------------------------------------------------------------------------------

    def cancel_flow(self) -> Sub[bool]:
        """Cancel the order asked about, or explain why not and offer a return."""
        if ORDER_ID.search(self.request) or self.level >= 3:
            given = yield from self.given_orders()
            if given is None:
                return False
            order = given[0][0]
        else:
            found = yield from self.locate(("pending", "processing"), 1)
            if found is None:
                return False
            order = found[0][0]
        oid, status = str(order["order_id"]), order.get("status")
        if status == "delivered":
            return (yield from self.refuse_cancel(order))
        if status not in ("pending", "processing"):
            yield self.fail(f"order {oid} is {status} and can no longer be cancelled")
            return False
        total = dollars(cents(order.get("total", 0)))
        if not (yield from self.confirm(f"cancel all of {oid} ({total})", CANCEL)):
            return True
        result: Result = yield Call(
            "cancel_order",
            {"order_id": oid, "reason": self.why_cancel()},
            why=f"The customer said yes and {oid} is {status}, so it can still be cancelled.",
        )
        if not (
            yield from self.went_through(result, oid, lambda o: o.get("status") == "cancelled")
        ):
            yield self.fail(f"order {oid} could not be cancelled", result)
            return False
        self.mark_done(CANCEL)
        method = order.get("payment_method", "your payment method")
        self.report.append(f"Order {oid} is cancelled and the {total} charge on {method} voided.")
        return True

    def refuse_cancel(self, order: Order) -> Sub[bool]:
        """A delivered order cannot be cancelled: say so and offer to take it back instead."""
        oid = str(order["order_id"])
        lines = [(order, i) for i in order["items"] if i.get("status") == "active"]
        amount = sum(cents(i["price"]) * int(i.get("qty", 1)) for _, i in lines)
        offer = "explain why not and offer a return instead"
        self.replan(
            f"{oid} was already delivered, and a delivered order cannot be cancelled.",
            {CANCEL: [offer]},
        )
        refund = f"I could take everything back with a return and refund {dollars(amount)}"
        if amount > self.limit:
            refund += f", which a colleague must approve since it is above {dollars(self.limit)}"
        answer = yield from self.ask(
            f"{oid} was delivered on {order.get('delivered_on')}, so it cannot be cancelled any "
            f"more. {refund}. If the cancellation cannot be done, what do you accept instead?",
            "Refuse what policy does not allow, say why, and offer the alternative.",
        )
        self.mark_done(offer)
        if "refund" not in answer.lower():
            self.report.append(
                f"Order {oid} was already delivered, so it cannot be cancelled; as you asked, "
                "nothing was changed and you keep it."
            )
            return True
        step = "return the whole order for a refund once the customer says yes"
        self.replan("The customer wants a return and refund instead.", {offer: [offer, step]})
        self.assume(
            "the return reason is filed as no_longer_needed: the customer changed their mind"
        )
        return (yield from self.refund(lines, "no_longer_needed", step))

    def refund_flow(self) -> Sub[bool]:
        """Refund the items the request names, order by order, each after a yes."""
        if ORDER_ID.search(self.request) or self.level >= 3:
            given = yield from self.given_orders()
            if given is None:
                return False
            orders, answer = given
            lines = self.named_lines(orders, answer)
            if "everything" in self.request.lower():
                lines = [(o, i) for o in orders for i in o["items"] if i.get("status") == "active"]
        else:
            refunds = self.truth.get("refunds", {}).values()
            found = yield from self.locate(
                ("delivered",), sum(len(r["item_ids"]) for r in refunds) or 1
            )
            if found is None:
                return False
            lines = found
        if not lines:
            yield self.fail("I could not find the item you mean in that order")
            return False
        groups: dict[str, list[Line]] = {}
        for line in lines:
            groups.setdefault(str(line[0]["order_id"]), []).append(line)
        for group in groups.values():
            if not (yield from self.refund(group, self.why_return(self.request), None)):
                return False
        self.mark_done(REFUND)
        return True

    def exchange_flow(self) -> Sub[bool]:
        """Exchange the item for the variant asked for (and refund the other item, if asked)."""
        if self.level < 3:
            found = yield from self.locate(("delivered",), 1)
            if found is None:
                return False
            return (yield from self.exchange(*found[0]))
        given = yield from self.given_orders()
        if given is None:
            return False
        lines = self.named_lines(*given)
        swap = [ln for ln in lines if len(lines) == 1 or role(self.request, ln[1]) == "exchange"]
        back = [ln for ln in lines if len(lines) > 1 and role(self.request, ln[1]) == "return"]
        if not swap:
            yield self.fail("I could not find the item you want to exchange")
            return False
        if not (yield from self.exchange(*swap[0])):
            return False
        if not back:
            return True
        name = str(back[0][1].get("name", "item")).lower()
        reason = yield from self.ask(
            f"Why are you sending back the {name}? I need a reason for the return.",
            "Filing a return needs its reason, which the request does not give.",
        )
        return (yield from self.refund(back[:1], self.why_return(reason), REFUND_OTHER))

    def exchange(self, order: Order, item: dict[str, Any]) -> Sub[bool]:
        """Pick the variant asked for from the product and exchange, or handle no stock."""
        got: Result = yield Call(
            "get_product",
            {"product_id": item["product_id"]},
            why="See the product's variants with their prices and stock.",
        )
        if not got.ok:
            yield self.fail("I could not look up the product", got)
            return False
        variants = [as_object(v) for v in as_list(as_object(got.data).get("variants"))]
        variant = variant_in(self.request, item, variants)
        if variant is None:
            name = str(item.get("name", "item")).lower()
            answer = yield from self.ask(
                f"Which variant of the {name} do you want in exchange?",
                "The request asks for a different version without saying which.",
            )
            variant = variant_in(answer, item, variants)
        if variant is None:
            yield self.fail("I could not tell which variant you want")
            return False
        self.mark_done(PICK)
        if int(variant.get("stock", 0)) >= int(item.get("qty", 1)):
            return (yield from self.swap(order, item, variant, SWAP))
        return (yield from self.out_of_stock(order, item, variant, variants))

    def out_of_stock(
        self,
        order: Order,
        item: dict[str, Any],
        first: dict[str, Any],
        variants: list[dict[str, Any]],
    ) -> Sub[bool]:
        """The wanted variant has no stock: ask what the customer accepts instead."""
        vid = str(first["variant_id"])
        ask = "ask what the customer accepts instead"
        self.replan(
            f"{vid} is out of stock, so the exchange cannot be done as asked.", {SWAP: [ask]}
        )
        options = options_text(dict(first.get("options") or {}))
        answer = yield from self.ask(
            f"I am sorry: {vid} ({options}) is out of stock right now, so I cannot swap "
            f"{label(item)} for it. If the swap cannot be done, what do you accept instead?",
            "Say what cannot be done and let the customer choose the alternative.",
        )
        self.mark_done(ask)
        if "refund" in answer.lower():
            step = "refund the item once the customer says yes"
            self.replan("The customer prefers a refund.", {ask: [ask, step]})
            return (yield from self.refund([(order, item)], self.why_return(answer), step))
        qty = int(item.get("qty", 1))
        others = [
            v for v in variants if v.get("variant_id") != vid and int(v.get("stock", 0)) >= qty
        ]
        second = variant_in(answer, item, others)
        if second is None:
            yield self.fail("the variant you wanted is out of stock and I found no alternative")
            return False
        step = "exchange for the second choice once the customer says yes"
        self.replan(f"The customer accepts {second['variant_id']} instead.", {ask: [ask, step]})
        return (yield from self.swap(order, item, second, step))
