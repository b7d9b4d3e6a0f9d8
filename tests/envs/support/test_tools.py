"""Support tools: schemas, argument validation, lookups and the business rules of changes."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.envs.support.helpers import call, fresh, run, task_of
from trajforge.envs.support import SupportEnv
from trajforge.envs.support.state import Order, SupportState

READ_ONLY = {
    "find_customer_by_email",
    "find_customer_by_name_zip",
    "get_customer",
    "list_orders",
    "get_order",
    "get_product",
}


def body(result: Any) -> Any:
    return json.loads(result.content)


def _world(env: SupportEnv) -> SupportState:
    state: SupportState = env._state
    return state


def _order(env: SupportEnv, status: str) -> Order:
    return next(o for o in _world(env).orders.values() if o.status == status)


@pytest.fixture
def env() -> SupportEnv:
    return fresh(SupportEnv.generate_task(11, 2))


def test_tool_schemas_are_valid_draft_2020_12_and_count_holds() -> None:
    specs = SupportEnv().tool_specs()
    assert 6 <= len(specs) <= 15
    for spec in specs:
        assert spec.description, spec.name
        assert spec.parameters is not None
        jsonschema.Draft202012Validator.check_schema(spec.parameters)
        assert spec.parameters["type"] == "object"
        for name, prop in spec.parameters["properties"].items():
            assert "description" in prop or "$ref" not in prop, (spec.name, name)


def test_expected_arguments_validate_against_the_published_schemas() -> None:
    schemas = {s.name: s.parameters for s in SupportEnv().tool_specs()}
    for difficulty in (1, 2, 3):
        for seed in range(40):
            for action in SupportEnv.generate_task(seed, difficulty).expected_actions:
                jsonschema.validate(action.arguments, schemas[action.name])


def test_read_only_flags() -> None:
    flags = {name: t.read_only for name, t in SupportEnv.tools.items()}
    assert {n for n, ro in flags.items() if ro} == READ_ONLY


def test_lookups_do_not_change_state(env: SupportEnv) -> None:
    state = _world(env)
    customer = next(iter(state.customers.values()))
    order = state.orders[customer.order_ids[0]]
    before = env.digest()
    results = run(
        env,
        [
            call("find_customer_by_email", email=customer.email.upper()),
            call("find_customer_by_name_zip", name=customer.name, zip=customer.address.zip),
            call("get_customer", customer_id=customer.customer_id),
            call("list_orders", customer_id=customer.customer_id),
            call("get_order", order_id="#" + order.order_id),
            call("get_product", product_id=order.items[0].product_id),
        ],
    )
    assert all(r.status == "ok" for r in results), [r.content for r in results]
    assert env.digest() == before
    assert body(results[0])["customer_id"] == customer.customer_id
    assert body(results[1])["customer_id"] == customer.customer_id
    assert body(results[4])["order_id"] == order.order_id


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("get_order", {}, "order_id"),
        ("get_order", {"order_id": 12}, "order_id"),
        ("cancel_order", {"order_id": "W1", "reason": "bored"}, "reason"),
        ("refund_order", {"order_id": "W1", "item_ids": [], "reason": "defective"}, "item_ids"),
        ("refund_order", {"order_id": "W1", "item_ids": "W1-1", "reason": "other"}, "item_ids"),
        ("list_orders", {"customer_id": "C1", "status": "lost"}, "status"),
        ("update_email", {"customer_id": "C1", "new_email": "not-an-email"}, "new_email"),
        (
            "update_address",
            {"customer_id": "C1", "address": {"line1": "1 A St", "city": "X", "state": "TX"}},
            "zip",
        ),
        (
            "update_address",
            {
                "customer_id": "C1",
                "address": {"line1": "1 A St", "city": "X", "state": "TX", "zip": "123"},
            },
            "address.zip",
        ),
        ("get_customer", {"customer_id": "C1", "verbose": True}, "verbose"),
    ],
)
def test_invalid_arguments_name_the_field(
    env: SupportEnv, name: str, arguments: dict[str, Any], field: str
) -> None:
    result = env.execute(call(name, "x", **arguments))
    assert result.status == "error"
    assert result.error_kind == "invalid_request"
    assert field in body(result)["error"]


@pytest.mark.parametrize(
    ("name", "arguments", "needle"),
    [
        ("get_order", {"order_id": "W0000000"}, "order 'W0000000' not found"),
        ("get_customer", {"customer_id": "C00000"}, "customer 'C00000' not found"),
        ("list_orders", {"customer_id": "nobody"}, "customer 'nobody' not found"),
        ("get_product", {"product_id": "P0"}, "product 'P0' not found"),
        ("find_customer_by_email", {"email": "ghost@example.com"}, "no customer with email"),
        ("find_customer_by_name_zip", {"name": "No Body", "zip": "00000"}, "no customer named"),
        ("verify_identity", {"customer_id": "C00000", "email": "a@b.c"}, "not found"),
        ("cancel_order", {"order_id": "W0000000", "reason": "other"}, "not found"),
    ],
)
def test_unknown_ids_give_clear_errors(
    env: SupportEnv, name: str, arguments: dict[str, Any], needle: str
) -> None:
    before = env.digest()
    result = env.execute(call(name, "x", **arguments))
    assert result.status == "error"
    assert result.error_kind == "not_found"
    assert needle in body(result)["error"]
    assert env.digest() == before


def test_unknown_tool_lists_the_available_ones(env: SupportEnv) -> None:
    result = env.execute(call("delete_customer", customer_id="C1"))
    assert result.error_kind == "unknown_tool"
    assert "refund_order" in body(result)["error"]


def test_get_product_with_a_variant_id_points_to_the_product(env: SupportEnv) -> None:
    product = next(iter(_world(env).products.values()))
    vid = next(iter(product.variants))
    result = env.execute(call("get_product", product_id=vid))
    assert result.status == "error"
    assert product.product_id in body(result)["error"]


def test_verification_masks_details_until_verified_and_locks_after_three_failures(
    env: SupportEnv,
) -> None:
    customer = next(iter(_world(env).customers.values()))
    cid = customer.customer_id
    masked = body(env.execute(call("get_customer", customer_id=cid)))
    assert masked["verified"] is False
    assert masked["email"] != customer.email
    assert "***" in masked["email"]
    assert "address" not in masked
    missing = env.execute(call("verify_identity", customer_id=cid, zip=customer.address.zip))
    assert missing.error_kind == "invalid_arguments"
    ok = env.execute(
        call(
            "verify_identity",
            customer_id=cid,
            zip=customer.address.zip,
            phone="(" + customer.phone.replace("-", ") ", 1),
        )
    )
    assert ok.status == "ok", ok.content
    full = body(env.execute(call("get_customer", customer_id=cid)))
    assert full["email"] == customer.email
    assert full["verified"] is True

    other = list(_world(env).customers.values())[1]
    for left in (2, 1, 0):
        bad = env.execute(call("verify_identity", customer_id=other.customer_id, email="x@y.zz"))
        assert bad.error_kind == "verification_failed"
        assert f"{left} attempts left" in body(bad)["error"]
    locked = env.execute(call("verify_identity", customer_id=other.customer_id, email=other.email))
    assert locked.error_kind == "account_locked"
    assert not _world(env).customers[other.customer_id].verified


def test_cancel_only_pending_or_processing_and_it_restocks(env: SupportEnv) -> None:
    delivered = _order(env, "delivered")
    result = env.execute(call("cancel_order", order_id=delivered.order_id, reason="other"))
    assert result.error_kind == "invalid_status"
    assert "returned for a refund instead" in body(result)["error"]

    open_order = next(
        o for o in _world(env).orders.values() if o.status in ("pending", "processing")
    )
    item = open_order.items[0]
    stock = _world(env).products[item.product_id].variants[item.variant_id].stock
    result = env.execute(
        call("cancel_order", order_id=open_order.order_id, reason="ordered_by_mistake")
    )
    assert result.status == "ok"
    assert _world(env).orders[open_order.order_id].status == "cancelled"
    variant = _world(env).products[item.product_id].variants[item.variant_id]
    assert variant.stock == stock + item.qty
    again = env.execute(call("cancel_order", order_id=open_order.order_id, reason="other"))
    assert again.error_kind == "invalid_status"


def test_refund_rules_and_amounts(env: SupportEnv) -> None:
    pending = next(o for o in _world(env).orders.values() if o.status in ("pending", "processing"))
    result = env.execute(
        call(
            "refund_order",
            order_id=pending.order_id,
            item_ids=[pending.items[0].item_id],
            reason="defective",
        )
    )
    assert result.error_kind == "invalid_status"
    assert "cancel it instead" in body(result)["error"]

    order = next(o for o in _world(env).orders.values() if o.status == "delivered")
    first = order.items[0]
    oid = order.order_id
    wrong = env.execute(call("refund_order", order_id=oid, item_ids=["W1-9"], reason="other"))
    assert wrong.error_kind == "not_found"
    assert first.item_id in body(wrong)["error"]
    twice = env.execute(
        call("refund_order", order_id=oid, item_ids=[first.item_id, first.item_id], reason="other")
    )
    assert twice.error_kind == "invalid_request"

    result = env.execute(
        call("refund_order", order_id=oid, item_ids=[first.item_id], reason="defective")
    )
    assert result.status == "ok"
    assert body(result)["amount"] == first.price_cents * first.qty / 100
    assert _world(env).orders[oid].refunded_cents == first.price_cents * first.qty
    expected_status = "returned" if len(order.items) == 1 else "delivered"
    assert _world(env).orders[oid].status == expected_status
    again = env.execute(
        call("refund_order", order_id=oid, item_ids=[first.item_id], reason="defective")
    )
    assert again.status == "error"


def test_exchange_checks_product_stock_and_charges_the_difference() -> None:
    task = task_of("exchange_out_of_stock", 3)
    env = fresh(task)
    truth = task.parameters["truth"]
    oid = truth["target_orders"][0]
    order = _world(env).orders[oid]
    item = next(
        i for i in order.items if i.product_id == truth["out_of_stock_variant"].split("-")[0]
    )
    out = env.execute(
        call(
            "exchange_item",
            order_id=oid,
            item_id=item.item_id,
            new_variant_id=truth["out_of_stock_variant"],
        )
    )
    assert out.error_kind == "out_of_stock"
    same = env.execute(
        call("exchange_item", order_id=oid, item_id=item.item_id, new_variant_id=item.variant_id)
    )
    assert same.error_kind == "invalid_request"
    foreign = next(
        v
        for p in _world(env).products.values()
        if p.product_id != item.product_id
        for v in p.variants
    )
    alien = env.execute(
        call("exchange_item", order_id=oid, item_id=item.item_id, new_variant_id=foreign)
    )
    assert alien.error_kind == "not_found"
    assert "is not a variant of" in body(alien)["error"]

    product = _world(env).products[item.product_id]
    target = next(
        v
        for v in product.variants.values()
        if v.variant_id != item.variant_id and v.stock >= item.qty
    )
    stock, paid, old = target.stock, item.price_cents, item.variant_id
    result = env.execute(
        call("exchange_item", order_id=oid, item_id=item.item_id, new_variant_id=target.variant_id)
    )
    assert result.status == "ok", result.content
    diff = (target.price_cents - paid) * item.qty
    assert body(result)["price_difference"] == diff / 100
    state = _world(env)
    assert state.orders[oid].exchange_balance_cents == diff
    assert state.products[item.product_id].variants[target.variant_id].stock == stock - item.qty
    changed = next(i for i in state.orders[oid].items if i.item_id == item.item_id)
    assert (changed.variant_id, changed.exchanged_from, changed.status) == (
        target.variant_id,
        old,
        "exchanged",
    )
    refund = env.execute(
        call("refund_order", order_id=oid, item_ids=[item.item_id], reason="other")
    )
    assert refund.status == "error"
    assert "already exchanged" in body(refund)["error"]


def test_account_updates_and_transfers(env: SupportEnv) -> None:
    customers = list(_world(env).customers.values())
    a, b = customers[0], customers[1]
    clash = env.execute(call("update_email", customer_id=a.customer_id, new_email=b.email))
    assert clash.error_kind == "conflict"
    ok = env.execute(
        call("update_email", customer_id=a.customer_id, new_email="New.Me@Example.com")
    )
    assert body(ok)["email"] == "new.me@example.com"
    found = env.execute(call("find_customer_by_email", email="new.me@example.com"))
    assert body(found)["customer_id"] == a.customer_id

    address = {"line1": "5 Oak St", "line2": "", "city": "Austin", "state": "TX", "zip": "78701"}
    result = env.execute(call("update_address", customer_id=a.customer_id, address=address))
    assert body(result)["address"] == "5 Oak St, Austin, TX 78701"
    assert [c.field for c in _world(env).account_changes] == ["email", "address"]

    transfer = env.execute(
        call("transfer_to_human", summary="needs approval", customer_id=a.customer_id)
    )
    assert body(transfer)["status"] == "queued"
    assert _world(env).transfers[-1].customer_id == a.customer_id
    empty = env.execute(call("transfer_to_human", summary=""))
    assert empty.status == "error"
    assert "summary" in body(empty)["error"]


def test_list_orders_is_newest_first_and_filters(env: SupportEnv) -> None:
    customer = max(_world(env).customers.values(), key=lambda c: len(c.order_ids))
    rows = body(env.execute(call("list_orders", customer_id=customer.customer_id)))
    assert len(rows) == len(customer.order_ids)
    assert [r["placed_on"] for r in rows] == sorted((r["placed_on"] for r in rows), reverse=True)
    status = rows[0]["status"]
    only = body(env.execute(call("list_orders", customer_id=customer.customer_id, status=status)))
    assert only
    assert all(r["status"] == status for r in only)
