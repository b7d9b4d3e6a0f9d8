"""The support world's state: customers, orders, products, and what the episode changed.

Everything mutable lives in one ``SupportState`` so that the base class's snapshot, restore and
digest cover it. Money is kept in integer cents (tools show dollars); dates are ISO strings of a
simulated calendar (``now`` is fixed by the task).
"""

from __future__ import annotations

from typing import Literal

import msgspec

OrderStatus = Literal["pending", "processing", "delivered", "cancelled", "returned"]
ItemStatus = Literal["active", "refunded", "exchanged"]
AccountField = Literal["address", "email"]


class Address(msgspec.Struct, kw_only=True):
    """A postal address."""

    line1: str
    line2: str | None = None
    city: str
    state: str
    zip: str

    def on_file(self) -> Address:
        """The address as it is kept on file: spaces around its parts dropped, an empty second
        line none (what ``update_address`` stores, and what an expert expects to read back)."""
        return Address(
            line1=self.line1.strip(),
            line2=(self.line2 or "").strip() or None,
            city=self.city.strip(),
            state=self.state,
            zip=self.zip,
        )


class Customer(msgspec.Struct, kw_only=True):
    """A customer account. ``verified`` is set only by a successful ``verify_identity``."""

    customer_id: str
    name: str
    email: str
    phone: str
    address: Address
    payment_methods: list[str]
    order_ids: list[str] = []
    verified: bool = False
    failed_verifications: int = 0


class Variant(msgspec.Struct, kw_only=True):
    """One purchasable variant of a product (a combination of option values)."""

    variant_id: str
    options: dict[str, str]
    price_cents: int
    stock: int


class Product(msgspec.Struct, kw_only=True):
    """A catalogue product with its variants, by variant id."""

    product_id: str
    name: str
    category: str
    variants: dict[str, Variant]


class Item(msgspec.Struct, kw_only=True):
    """An order line: ``price_cents`` is the unit price paid, ``options`` the current variant's."""

    item_id: str
    product_id: str
    variant_id: str
    name: str
    options: dict[str, str]
    price_cents: int
    qty: int = 1
    status: ItemStatus = "active"
    exchanged_from: str | None = None


class Order(msgspec.Struct, kw_only=True):
    """An order. ``exchange_balance_cents`` > 0: the customer paid extra for exchanges."""

    order_id: str
    customer_id: str
    status: OrderStatus
    placed_on: str
    delivered_on: str | None = None
    payment_method: str
    items: list[Item]
    shipping_address: Address
    refunded_cents: int = 0
    exchange_balance_cents: int = 0


class Refund(msgspec.Struct, kw_only=True):
    """A refund issued to the order's payment method."""

    refund_id: str
    order_id: str
    item_ids: list[str]
    amount_cents: int
    reason: str
    method: str
    issued_on: str


class Exchange(msgspec.Struct, kw_only=True):
    """An item exchanged for another variant of the same product."""

    exchange_id: str
    order_id: str
    item_id: str
    old_variant_id: str
    new_variant_id: str
    price_difference_cents: int


class AccountChange(msgspec.Struct, kw_only=True):
    """A change of a customer's address or email."""

    customer_id: str
    field: AccountField
    old: str
    new: str


class Transfer(msgspec.Struct, kw_only=True):
    """A hand-off of the conversation to a human agent."""

    transfer_id: str
    summary: str
    customer_id: str | None = None


class SupportState(msgspec.Struct, kw_only=True):
    """The whole world of one episode."""

    now: str
    refund_limit_cents: int
    customers: dict[str, Customer]
    orders: dict[str, Order]
    products: dict[str, Product]
    refunds: dict[str, Refund] = {}
    exchanges: dict[str, Exchange] = {}
    account_changes: list[AccountChange] = []
    transfers: list[Transfer] = []
    next_id: int = 1


def format_address(address: Address) -> str:
    """One-line rendering of an address."""
    line2 = f", {address.line2}" if address.line2 else ""
    return f"{address.line1}{line2}, {address.city}, {address.state} {address.zip}"
