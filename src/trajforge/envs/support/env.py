"""SupportEnv: customer support over orders, refunds, exchanges and account changes.

The tools behave like a support console's API: lookups are free, changes check business
constraints (order status, stock, item state) and fail with an error naming the problem. Policy
(verify identity first, confirm with the user, hand off refunds above the limit) is *not*
enforced by the tools: it is the agent's job, judged afterwards by ``find_violations``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Final, Literal, TypeVar

import msgspec

from trajforge.envs.base import Environment, Violation
from trajforge.envs.support import checks, policy, tasks
from trajforge.envs.support.state import (
    AccountChange,
    Address,
    Customer,
    Exchange,
    Item,
    Order,
    OrderStatus,
    Product,
    Refund,
    SupportState,
    Transfer,
    format_address,
)
from trajforge.envs.support.world import initial_world
from trajforge.envs.tools import ToolError, tool
from trajforge.schema import CheckResult, HandOff, Task, TextAction, ToolCall, Trajectory

MAX_VERIFY_ATTEMPTS: Final = 3
_EMAIL_PATTERN: Final = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_NON_DIGITS: Final = re.compile(r"\D")

CancelReason = Literal[
    "no_longer_needed", "ordered_by_mistake", "found_better_price", "shipping_too_slow", "other"
]
RefundReason = Literal[
    "defective", "wrong_item", "not_as_described", "no_longer_needed", "arrived_late", "other"
]


class AddressInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A postal address in the United States."""

    line1: Annotated[str, msgspec.Meta(min_length=1, description="street and number")]
    line2: Annotated[str | None, msgspec.Meta(description="apartment, suite (optional)")] = None
    city: Annotated[str, msgspec.Meta(min_length=1)]
    state: Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$", description="two-letter code")]
    zip: Annotated[str, msgspec.Meta(pattern=r"^\d{5}$", description="five-digit ZIP code")]


_F = TypeVar("_F", bound=Callable[..., Any])


def lookup(func: _F) -> _F:
    """``@tool(read_only=True)``, keeping the method's type for mypy (``tool()`` returns Any)."""
    marked: _F = tool(read_only=True)(func)
    return marked


def dollars(cents: int) -> float:
    """Cents as a dollar amount."""
    return cents / 100


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _clean_id(value: str) -> str:
    return value.strip().lstrip("#").upper()


def _order_total(order: Order) -> int:
    return sum(i.price_cents * i.qty for i in order.items)


class SupportEnv(Environment):
    """Customer support: find and verify customers, then cancel, refund, exchange or update."""

    name = "support"
    #: 2: an idle episode fails with score 0 (checks that held at the start earn nothing)
    version = "3"
    description = (
        "An online shop's support console: customers, orders with items and variants, products "
        "with stock; cancel, refund, exchange, update account details or transfer to a human."
    )
    difficulty_levels: ClassVar[dict[int, str]] = {
        1: "one lookup and one change; the user gives their details and the order id",
        2: "several items or orders; the order is identified from a description; partial refunds",
        3: "compound or disallowed requests, refunds above the limit (hand-off), out-of-stock "
        "exchanges; details are only given when asked",
    }
    policy_rules = policy.RULES
    hidden_info_keys: ClassVar[dict[str, str]] = tasks.HIDDEN_INFO_KEYS
    state_type = SupportState

    _state: SupportState

    # -- tasks and state -------------------------------------------------------------------------

    @classmethod
    def generate_task(cls, seed: int, difficulty: int) -> Task:
        """A seeded support task (see ``tasks.generate_task``)."""
        return tasks.generate_task(seed, difficulty, environment=cls.name, version=cls.version)

    def build_state(self, task: Task) -> SupportState:
        """The world described by the task's parameters."""
        return initial_world(task.parameters)

    def observe_action(self, action: TextAction) -> None:
        """A HandOff action counts as a transfer to a human, like ``transfer_to_human``."""
        if not isinstance(action, HandOff):
            return
        verified = [c.customer_id for c in self._state.customers.values() if c.verified]
        self._add_transfer(action.content, verified[0] if len(verified) == 1 else None)

    # -- helpers --------------------------------------------------------------------------------

    def _next(self, prefix: str) -> str:
        value = f"{prefix}{self._state.next_id:04d}"
        self._state.next_id += 1
        return value

    def _customer(self, customer_id: str) -> Customer:
        customer = self._state.customers.get(_clean_id(customer_id))
        if customer is None:
            raise ToolError(f"customer {customer_id!r} not found", kind="not_found")
        return customer

    def _order(self, order_id: str) -> Order:
        order = self._state.orders.get(_clean_id(order_id))
        if order is None:
            raise ToolError(f"order {order_id!r} not found", kind="not_found")
        return order

    def _product(self, product_id: str) -> Product:
        pid = _clean_id(product_id)
        product = self._state.products.get(pid)
        if product is None:
            base = pid.split("-")[0]
            if "-" in pid and base in self._state.products:
                raise ToolError(
                    f"{product_id!r} is a variant id; its product id is {base!r}", kind="not_found"
                )
            raise ToolError(f"product {product_id!r} not found", kind="not_found")
        return product

    @staticmethod
    def _item(order: Order, item_id: str) -> Item:
        wanted = _clean_id(item_id)
        for item in order.items:
            if item.item_id == wanted:
                return item
        known = ", ".join(i.item_id for i in order.items)
        raise ToolError(
            f"item {item_id!r} is not in order {order.order_id} (its items: {known})",
            kind="not_found",
        )

    def _add_transfer(self, summary: str, customer_id: str | None) -> Transfer:
        transfer = Transfer(transfer_id=self._next("T"), summary=summary, customer_id=customer_id)
        self._state.transfers.append(transfer)
        return transfer

    @staticmethod
    def _item_view(item: Item) -> dict[str, Any]:
        view: dict[str, Any] = {
            "item_id": item.item_id,
            "product_id": item.product_id,
            "variant_id": item.variant_id,
            "name": item.name,
            "options": item.options,
            "price": dollars(item.price_cents),
            "qty": item.qty,
            "status": item.status,
        }
        if item.exchanged_from:
            view["exchanged_from"] = item.exchanged_from
        return view

    # -- lookups --------------------------------------------------------------------------------

    @lookup
    def find_customer_by_email(self, email: str) -> dict[str, Any]:
        """Find a customer account by its email address.

        Args:
            email: the email address the customer gave
        """
        wanted = email.strip().lower()
        for customer in self._state.customers.values():
            if customer.email == wanted:
                return {"customer_id": customer.customer_id, "name": customer.name}
        raise ToolError(f"no customer with email {email!r}", kind="not_found")

    @lookup
    def find_customer_by_name_zip(self, name: str, zip: str) -> dict[str, Any]:
        """Find a customer account by full name and the ZIP code of their address on file.

        Args:
            name: the customer's first and last name
            zip: the five-digit ZIP code of the address on file
        """
        wanted = " ".join(name.lower().split())
        matches = [
            c
            for c in self._state.customers.values()
            if c.name.lower() == wanted and c.address.zip == zip.strip()
        ]
        if not matches:
            raise ToolError(f"no customer named {name!r} with ZIP code {zip!r}", kind="not_found")
        if len(matches) > 1:
            raise ToolError(
                "several customers match; look the customer up by email", kind="ambiguous"
            )
        return {"customer_id": matches[0].customer_id, "name": matches[0].name}

    @tool(idempotent=True)
    def verify_identity(
        self,
        customer_id: str,
        email: str | None = None,
        zip: str | None = None,
        phone: str | None = None,
    ) -> dict[str, Any]:
        """Verify that the person in the conversation owns the account.

        Pass the email the user states, or both the ZIP code and the phone number they state.
        Accounts lock after three failed attempts.

        Args:
            customer_id: the account to verify
            email: the email address the user states
            zip: the ZIP code the user states (with phone)
            phone: the phone number the user states (with zip)
        """
        customer = self._customer(customer_id)
        if customer.failed_verifications >= MAX_VERIFY_ATTEMPTS:
            raise ToolError(
                "account locked after too many failed verification attempts; transfer to a human",
                kind="account_locked",
            )
        if email is not None:
            ok = email.strip().lower() == customer.email
        elif zip is not None and phone is not None:
            ok = zip.strip() == customer.address.zip and _NON_DIGITS.sub(
                "", phone
            ) == _NON_DIGITS.sub("", customer.phone)
        else:
            raise ToolError(
                "provide email, or both zip and phone, as the user stated them",
                kind="invalid_arguments",
            )
        if not ok:
            customer.failed_verifications += 1
            left = MAX_VERIFY_ATTEMPTS - customer.failed_verifications
            raise ToolError(
                f"the details do not match customer {customer.customer_id} ({left} attempts left)",
                kind="verification_failed",
            )
        customer.verified = True
        return {"customer_id": customer.customer_id, "verified": True}

    @lookup
    def get_customer(self, customer_id: str) -> dict[str, Any]:
        """Get a customer's profile; contact details are masked until identity is verified.

        Args:
            customer_id: the customer id, e.g. C12345
        """
        customer = self._customer(customer_id)
        if not customer.verified:
            return {
                "customer_id": customer.customer_id,
                "name": customer.name,
                "email": _mask_email(customer.email),
                "phone": "***-***-" + customer.phone[-4:],
                "order_ids": customer.order_ids,
                "verified": False,
            }
        return {
            "customer_id": customer.customer_id,
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "address": format_address(customer.address),
            "payment_methods": customer.payment_methods,
            "order_ids": customer.order_ids,
            "verified": True,
        }

    @lookup
    def list_orders(
        self, customer_id: str, status: OrderStatus | None = None
    ) -> list[dict[str, Any]]:
        """List a customer's orders, newest first, with item names and totals.

        Args:
            customer_id: the customer id
            status: only orders with this status
        """
        customer = self._customer(customer_id)
        rows = []
        for oid in customer.order_ids:
            order = self._state.orders[oid]
            if status is not None and order.status != status:
                continue
            rows.append(
                {
                    "order_id": oid,
                    "placed_on": order.placed_on,
                    "status": order.status,
                    "total": dollars(_order_total(order)),
                    "items": [i.name for i in order.items],
                }
            )
        rows.sort(key=lambda r: (r["placed_on"], r["order_id"]), reverse=True)
        return rows

    @lookup
    def get_order(self, order_id: str) -> dict[str, Any]:
        """Get an order's details: status, dates, payment method, items with variants and prices.

        Args:
            order_id: the order id, e.g. W1234567
        """
        order = self._order(order_id)
        return {
            "order_id": order.order_id,
            "customer_id": order.customer_id,
            "status": order.status,
            "placed_on": order.placed_on,
            "delivered_on": order.delivered_on,
            "payment_method": order.payment_method,
            "shipping_address": format_address(order.shipping_address),
            "items": [self._item_view(i) for i in order.items],
            "total": dollars(_order_total(order)),
            "refunded": dollars(order.refunded_cents),
            "exchange_balance": dollars(order.exchange_balance_cents),
        }

    @lookup
    def get_product(self, product_id: str) -> dict[str, Any]:
        """Get a product with its variants, their options, prices and stock.

        Args:
            product_id: the product id, e.g. P1234
        """
        product = self._product(product_id)
        return {
            "product_id": product.product_id,
            "name": product.name,
            "category": product.category,
            "variants": [
                {
                    "variant_id": v.variant_id,
                    "options": v.options,
                    "price": dollars(v.price_cents),
                    "stock": v.stock,
                }
                for v in product.variants.values()
            ],
        }

    # -- changes --------------------------------------------------------------------------------

    @tool(idempotent=True)
    def cancel_order(self, order_id: str, reason: CancelReason) -> dict[str, Any]:
        """Cancel a pending or processing order; the payment is voided and stock released.

        Args:
            order_id: the order to cancel
            reason: why the customer cancels
        """
        order = self._order(order_id)
        if order.status not in ("pending", "processing"):
            hint = {
                "delivered": "; a delivered order can be returned for a refund instead",
                "cancelled": "",
                "returned": "",
            }[order.status]
            raise ToolError(
                f"order {order.order_id} is {order.status} and cannot be cancelled{hint}",
                kind="invalid_status",
            )
        order.status = "cancelled"
        for item in order.items:
            self._state.products[item.product_id].variants[item.variant_id].stock += item.qty
        return {
            "order_id": order.order_id,
            "status": "cancelled",
            "reason": reason,
            "voided": dollars(_order_total(order)),
            "payment_method": order.payment_method,
        }

    @tool(idempotent=True)
    def refund_order(
        self,
        order_id: str,
        item_ids: Annotated[list[str], msgspec.Meta(min_length=1)],
        reason: RefundReason,
    ) -> dict[str, Any]:
        """Return and refund items of a delivered order to its original payment method.

        Args:
            order_id: the delivered order
            item_ids: the order items to refund (whole lines), e.g. ["W1234567-1"]
            reason: why the customer returns them
        """
        order = self._order(order_id)
        if order.status != "delivered":
            hint = "; cancel it instead" if order.status in ("pending", "processing") else ""
            raise ToolError(
                f"order {order.order_id} is {order.status}: only delivered orders can be "
                f"refunded{hint}",
                kind="invalid_status",
            )
        if len(set(map(_clean_id, item_ids))) != len(item_ids):
            raise ToolError("item_ids lists an item more than once", kind="invalid_request")
        items = [self._item(order, iid) for iid in item_ids]
        for item in items:
            if item.status != "active":
                raise ToolError(
                    f"item {item.item_id} was already {item.status}", kind="invalid_status"
                )
        amount = sum(i.price_cents * i.qty for i in items)
        for item in items:
            item.status = "refunded"
        order.refunded_cents += amount
        if all(i.status == "refunded" for i in order.items):
            order.status = "returned"
        refund = Refund(
            refund_id=self._next("R"),
            order_id=order.order_id,
            item_ids=[i.item_id for i in items],
            amount_cents=amount,
            reason=reason,
            method=order.payment_method,
            issued_on=self._state.now,
        )
        self._state.refunds[refund.refund_id] = refund
        return {
            "refund_id": refund.refund_id,
            "order_id": order.order_id,
            "item_ids": refund.item_ids,
            "amount": dollars(amount),
            "method": refund.method,
            "order_status": order.status,
        }

    @tool(idempotent=True)
    def exchange_item(self, order_id: str, item_id: str, new_variant_id: str) -> dict[str, Any]:
        """Exchange a delivered item for another variant of the same product (stock permitting).

        The price difference is charged to, or refunded to, the order's payment method.

        Args:
            order_id: the delivered order
            item_id: the item to exchange
            new_variant_id: the variant the customer wants instead, e.g. P1234-03
        """
        order = self._order(order_id)
        if order.status != "delivered":
            raise ToolError(
                f"order {order.order_id} is {order.status}: only items of delivered orders can "
                "be exchanged",
                kind="invalid_status",
            )
        item = self._item(order, item_id)
        if item.status != "active":
            raise ToolError(f"item {item.item_id} was already {item.status}", kind="invalid_status")
        product = self._state.products[item.product_id]
        new = product.variants.get(_clean_id(new_variant_id))
        if new is None:
            raise ToolError(
                f"variant {new_variant_id!r} is not a variant of {product.name} "
                f"({product.product_id})",
                kind="not_found",
            )
        if new.variant_id == item.variant_id:
            raise ToolError("the new variant is the one already ordered", kind="invalid_request")
        if new.stock < item.qty:
            raise ToolError(
                f"variant {new.variant_id} is out of stock ({new.stock} left)", kind="out_of_stock"
            )
        difference = (new.price_cents - item.price_cents) * item.qty
        old_variant = item.variant_id
        new.stock -= item.qty
        item.exchanged_from = old_variant
        item.variant_id = new.variant_id
        item.options = dict(new.options)
        item.status = "exchanged"
        order.exchange_balance_cents += difference
        exchange = Exchange(
            exchange_id=self._next("E"),
            order_id=order.order_id,
            item_id=item.item_id,
            old_variant_id=old_variant,
            new_variant_id=new.variant_id,
            price_difference_cents=difference,
        )
        self._state.exchanges[exchange.exchange_id] = exchange
        settlement = "none"
        if difference > 0:
            settlement = f"charged {dollars(difference):.2f} to {order.payment_method}"
        elif difference < 0:
            settlement = f"refunded {dollars(-difference):.2f} to {order.payment_method}"
        return {
            "exchange_id": exchange.exchange_id,
            "order_id": order.order_id,
            "item_id": item.item_id,
            "old_variant_id": old_variant,
            "new_variant_id": new.variant_id,
            "price_difference": dollars(difference),
            "settlement": settlement,
        }

    @tool(idempotent=True)
    def update_address(self, customer_id: str, address: AddressInput) -> dict[str, Any]:
        """Change the customer's default address on file (orders already placed keep theirs).

        Args:
            customer_id: the customer whose address changes
            address: the new address
        """
        customer = self._customer(customer_id)
        old = format_address(customer.address)
        updated = msgspec.convert(address, Address, from_attributes=True).on_file()
        if updated == customer.address:
            raise ToolError("that is already the address on file", kind="invalid_request")
        customer.address = updated
        new = format_address(customer.address)
        self._state.account_changes.append(
            AccountChange(customer_id=customer.customer_id, field="address", old=old, new=new)
        )
        return {"customer_id": customer.customer_id, "address": new}

    @tool(idempotent=True)
    def update_email(
        self, customer_id: str, new_email: Annotated[str, msgspec.Meta(pattern=_EMAIL_PATTERN)]
    ) -> dict[str, Any]:
        """Change the customer's email address.

        Args:
            customer_id: the customer whose email changes
            new_email: the new email address
        """
        customer = self._customer(customer_id)
        email = new_email.strip().lower()
        if email == customer.email:
            raise ToolError("that is already the email on file", kind="invalid_request")
        if any(c.email == email for c in self._state.customers.values()):
            raise ToolError(f"{new_email!r} is used by another account", kind="conflict")
        self._state.account_changes.append(
            AccountChange(
                customer_id=customer.customer_id, field="email", old=customer.email, new=email
            )
        )
        customer.email = email
        return {"customer_id": customer.customer_id, "email": email}

    @tool
    def transfer_to_human(
        self,
        summary: Annotated[str, msgspec.Meta(min_length=1)],
        customer_id: str | None = None,
    ) -> dict[str, Any]:
        """Transfer the conversation to a human agent, e.g. for approvals beyond your authority.

        Args:
            summary: what the customer needs and what was done so far
            customer_id: the customer concerned, if known
        """
        cid = None
        if customer_id is not None:
            cid = self._customer(customer_id).customer_id
        transfer = self._add_transfer(summary, cid)
        return {
            "transfer_id": transfer.transfer_id,
            "status": "queued",
            "message": "A human agent will take over the conversation.",
        }

    # -- judging --------------------------------------------------------------------------------

    def expected_state(self, task: Task) -> SupportState:
        """The final state the task's expected actions lead to, from a fresh world."""
        other = type(self)()
        other.reset(task)
        for n, action in enumerate(task.expected_actions):
            other.execute(
                ToolCall(id=f"expected-{n}", name=action.name, arguments=action.arguments)
            )
        return other._state

    def goal_checks(self, task: Task) -> list[CheckResult]:
        """Evaluate the task's goal checks on the current state."""
        return checks.evaluate(
            task,
            initial=initial_world(task.parameters),
            expected=self.expected_state(task),
            actual=self._state,
        )

    def find_violations(self, trajectory: Trajectory) -> list[Violation]:
        """Policy violations in a trajectory (verification, confirmation, refund limit)."""
        task = trajectory.task
        if task.environment in (None, self.name) and "world" in task.parameters:
            return policy.find_violations(trajectory, lambda: initial_world(task.parameters))
        return policy.find_violations(trajectory)
