"""Corrections that replace an action: a call of another tool (its arguments checked against
that tool's schema) in real Chromium; a finish in place of a call and a call in place of a text
action over HTTP. The rest is re-run, the original untouched, lineage kept."""

from __future__ import annotations

import msgspec
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select

from tests.review.conftest import Workspace, csrf_of, login
from trajforge.review.models import Item
from trajforge.review.store import trajectory_of
from trajforge.schema import ClarifyingQuestion, Finish, Reply, ToolCall, ToolResult, Trajectory


def _load(ws: Workspace, key: str) -> Trajectory:
    with ws.database.session() as session:
        item = session.scalar(select(Item).where(Item.key == key))
        assert item is not None
        return trajectory_of(item)


def _first(trajectory: Trajectory, kind: type | tuple[type, ...]) -> tuple[int, int]:
    """The first step and action of ``kind``."""
    for i, step in enumerate(trajectory.steps):
        for j, action in enumerate(step.actions):
            if isinstance(action, kind):
                return i, j
    raise AssertionError(f"no {kind}")


def test_replace_a_call_by_another_tool(context: BrowserContext, workspace: Workspace) -> None:
    key = workspace.items["alpha"][1]
    original = _load(workspace, key)
    step, action = _first(original, ToolCall)
    assert original.steps[step].actions[action].name != "get_product"  # type: ignore[union-attr]
    page = context.new_page()
    login(page, workspace, "ana")
    page.goto(f"{workspace.url}/items/{key}/correct?step={step}&action={action}")
    page.select_option('select[name="kind"]', "get_product")
    page.fill('textarea[name="arguments"]', '{"name": "Ana"}')  # not that tool's arguments
    page.click("form.stack button[type=submit]")
    expect(page.locator("#correction-error")).to_contain_text(
        "do not match the schema of get_product"
    )
    expect(page.locator('select[name="kind"]')).to_have_value("get_product")
    page.fill('textarea[name="arguments"]', '{"product_id": "P-nowhere"}')
    page.click("form.stack button[type=submit]")
    expect(page.locator("p.lineage")).to_contain_text(f"corrected from {original.id}")
    shown = page.locator(f"#step-{step} .observation.tool_result").nth(action)
    expect(shown.locator("code")).to_have_text("get_product")
    fixed = _load(workspace, page.url.rsplit("/", 1)[1])
    assert _load(workspace, key) == original
    new = fixed.steps[step].actions[action]
    assert isinstance(new, ToolCall)
    assert (new.name, new.arguments) == ("get_product", {"product_id": "P-nowhere"})
    result = fixed.steps[step].observations[action]
    assert isinstance(result, ToolResult)
    assert (result.call_id, result.name) == (new.id, "get_product")
    label = fixed.steps[step].labels[0]
    assert label.details["original"]["name"] == original.steps[step].actions[action].name  # type: ignore[union-attr]
    assert label.details["corrected"]["name"] == "get_product"


def test_replace_by_a_finish_and_a_text_action_by_a_call(workspace: Workspace) -> None:
    client = workspace.client("cy")
    key = workspace.items["alpha"][2]
    original = _load(workspace, key)
    token = csrf_of(client.get(f"/items/{key}").text)
    step, action = _first(original, ToolCall)
    form = {"step": str(step), "action": str(action), "csrf_token": token}
    empty = client.post(f"/items/{key}/correct", data={**form, "kind": "finish"})
    assert empty.status_code == 400
    assert "a finish needs a message" in empty.text
    done = client.post(
        f"/items/{key}/correct", data={**form, "kind": "finish", "content": "Stopping here."}
    )
    assert done.status_code == 303
    ended = _load(workspace, done.headers["location"].rsplit("/", 1)[1])
    assert len(ended.steps) == step + 1  # the episode ends where it finished
    assert ended.steps[step].actions[action] == Finish(content="Stopping here.")
    assert ended.provenance.parent_id == original.id
    reply_step, reply = _first(original, (Reply, ClarifyingQuestion, Finish))
    arguments = {"email": "someone@example.invalid"}
    called = client.post(
        f"/items/{key}/correct",
        data={
            **form,
            "step": str(reply_step),
            "action": str(reply),
            "kind": "find_customer_by_email",
            "arguments": msgspec.json.encode(arguments).decode(),
        },
    )
    assert called.status_code == 303
    fixed = _load(workspace, called.headers["location"].rsplit("/", 1)[1])
    call = fixed.steps[reply_step].actions[reply]
    assert isinstance(call, ToolCall)
    assert call.arguments == arguments
    paired = [o for o in fixed.steps[reply_step].observations if isinstance(o, ToolResult)]
    assert [o.call_id for o in paired if o.call_id == call.id] == [call.id]
    assert fixed.id == f"{original.id}-fix2"
    assert _load(workspace, key) == original
