"""The workspace's work flows in real Chromium: correct a step and see the re-run, approve a
waiting call of a live ``trajforge generate`` run, build a demonstration, export, and find the
human labels in the exported file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import msgspec
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select

from tests.review.conftest import Workspace, in_thread, login
from trajforge.curate.review_queue import AuditResult
from trajforge.envs.registry import get_environment
from trajforge.io import read_trajectories
from trajforge.review.models import Item, User
from trajforge.review.store import GradeInput, save_grade, trajectory_of
from trajforge.schema import LabelSource, Task, ToolCall, ToolResult, Trajectory

GOOD_ORDER = "order_id"


def _order_call(ws: Workspace) -> tuple[str, int, int, Trajectory]:
    """An alpha item with a successful call that names an order: key, step, action."""
    with ws.database.session() as session:
        for key in ws.items["alpha"]:
            item = session.scalar(select(Item).where(Item.key == key))
            assert item is not None
            trajectory = trajectory_of(item)
            for i, step in enumerate(trajectory.steps):
                for j, action in enumerate(step.actions):
                    ok = [
                        o
                        for o in step.observations
                        if isinstance(o, ToolResult) and o.status == "ok"
                    ]
                    if isinstance(action, ToolCall) and GOOD_ORDER in action.arguments and ok:
                        return key, i, j, trajectory
    raise AssertionError("no call with an order id")


def test_correct_a_step_and_see_the_rerun(context: BrowserContext, workspace: Workspace) -> None:
    key, step, action, original = _order_call(workspace)
    page = context.new_page()
    login(page, workspace, "ana")
    page.goto(f"{workspace.url}/items/{key}")
    page.locator(f"#step-{step} .action.tool_call").nth(action).locator("a.correct-link").click()
    arguments = dict(original.steps[step].actions[action].arguments)  # type: ignore[union-attr]
    arguments[GOOD_ORDER] = "#W0000000"
    page.fill('textarea[name="arguments"]', msgspec.json.encode(arguments).decode())
    page.click("form.stack button[type=submit]")
    expect(page.locator("p.lineage")).to_contain_text(
        f"corrected from {original.id} at step {step}"
    )
    result = page.locator(f"#step-{step} .observation.tool_result").nth(0)
    expect(result.locator(".status")).to_have_text("error")  # the re-run's result, not the record
    new_key = page.url.rsplit("/", 1)[1]
    with workspace.database.session() as session:
        new = session.scalar(select(Item).where(Item.key == new_key))
        old = session.scalar(select(Item).where(Item.key == key))
        assert new is not None
        assert old is not None
        fixed, kept = trajectory_of(new), trajectory_of(old)
    assert kept == original  # the original is untouched
    assert fixed.provenance.parent_id == original.id
    assert fixed.provenance.branch_step == step
    assert fixed.steps[:step] == original.steps[:step]
    assert fixed.steps[step].actions[action].arguments[GOOD_ORDER] == "#W0000000"  # type: ignore[union-attr]
    assert [x.name for x in fixed.steps[step].labels] == ["correction"]
    page.goto(f"{workspace.url}/items/{key}")  # the original links to its corrected version
    expect(page.locator("p.lineage")).to_contain_text(fixed.id)


def test_approve_a_waiting_call_of_a_live_run(
    context: BrowserContext, workspace: Workspace, tmp_path: Path
) -> None:
    project = f"live-{workspace.backend}"
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "trajforge",
        "generate",
        "--env",
        "itops",
        "--tasks",
        "8",
        "--mistakes",
        "0.3",
        "--seed",
        "0",
        "--format",
        "jsonl",
        "--out",
        str(out),
        "--approver",
        "review",
        "--review-db",
        workspace.db_url,
        "--review-project",
        project,
        "--approval-timeout",
        "120",
    ]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        page = context.new_page()
        login(page, workspace, "admin")
        page.goto(workspace.url + "/approvals")
        waiting = page.locator("section.approval", has_text=project)
        expect(waiting).to_have_count(1, timeout=90_000)  # the page reloads itself
        expect(waiting.locator("h2")).to_contain_text("rollback")
        waiting.get_by_role("button", name="Approve", exact=True).click()
        expect(page.locator("section.approval", has_text=project)).to_have_count(0)
        _stdout, stderr = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == 0, stderr
    approved = [
        (t, i, label)
        for t in read_trajectories(out)
        for i, step in enumerate(t.steps)
        for label in step.labels
        if label.name == "approval"
    ]
    assert len(approved) == 1
    trajectory, index, label = approved[0]
    assert (label.source.kind, label.source.id, label.grade) == ("human", "admin", "approve")
    result = trajectory.steps[index].observations[0]
    assert isinstance(result, ToolResult)
    assert result.error_kind != "not_approved"


def test_build_a_demonstration(context: BrowserContext, workspace: Workspace) -> None:
    page = context.new_page()
    login(page, workspace, "ana")
    page.goto(f"{workspace.url}/projects/{workspace.projects['alpha']}/demos/new")
    page.select_option('select[name="environment"]', "support")
    page.fill('input[name="seed"]', "11")
    page.click("form.stack button[type=submit]")
    tool = page.locator("#tool-find_customer_by_name_zip")
    tool.locator("summary").click()
    tool.locator('input[name="arg.name"]').fill("Nobody Here")
    tool.locator('input[name="arg.zip"]').fill("00000")
    tool.locator('textarea[name="plan"]').fill("find the customer\nverify them")
    tool.locator('input[name="rationale"]').fill("the user gave a name and a ZIP code")
    tool.locator("button[type=submit]").click()
    shown = page.locator("#step-0 .observation.tool_result pre").inner_text()
    # the environment's own answer to that call
    task = get_environment("support").generate_task(11, 1)
    env = get_environment("support")()
    env.reset(task)
    expected = env.execute(
        ToolCall(
            name="find_customer_by_name_zip", arguments={"name": "Nobody Here", "zip": "00000"}
        )
    )
    assert msgspec.json.decode(shown) == msgspec.json.decode(expected.content)
    page.locator("#tool-text summary").click()
    page.select_option('#tool-text select[name="tool"]', "finish")
    page.fill('#tool-text textarea[name="content"]', "I could not find your account.")
    page.click("#tool-text button[type=submit]")
    expect(page.locator("p.done")).to_be_visible()
    page.click("#save-demo")
    expect(page.locator("h1 .kind")).to_have_text("demonstration")
    with workspace.database.session() as session:
        item = session.scalar(select(Item).where(Item.key == page.url.rsplit("/", 1)[1]))
        assert item is not None
        demo = trajectory_of(item)
    assert demo.provenance.source == "human"
    assert demo.provenance.generator is not None
    assert demo.provenance.generator.policy == "human:ana"
    assert [(x.name, x.source.kind, x.source.id) for x in demo.labels] == [
        ("demonstration", "human", "ana")
    ]
    assert demo.steps[0].plan is not None
    assert demo.steps[0].plan.steps == [
        "find the customer",
        "verify them",
    ]
    assert demo.task == msgspec.convert(msgspec.to_builtins(task), Task)


def test_export_holds_the_human_labels(
    context: BrowserContext, workspace: Workspace, tmp_path: Path
) -> None:
    page = context.new_page()
    login(page, workspace, "cy")
    key = workspace.items["alpha"][4]
    page.goto(f"{workspace.url}/items/{key}")
    page.locator('#step-0 select[name="label"]').select_option("missing-tool")
    page.locator('#step-0 input[name="quality"][value="2"]').check()
    page.locator('#step-0 input[name="comment"]').fill("should have looked the order up")
    page.locator("#step-0 button[type=submit]").click()
    expect(page.locator("#status")).to_have_text("saved step 0")
    page.locator('#verdict input[value="reject"]').check()
    page.locator("#verdict button[type=submit]").click()
    expect(page.locator("#status")).to_have_text("saved the verdict")
    dest, results = tmp_path / "reviewed.jsonl", tmp_path / "results.jsonl"
    command = [
        sys.executable,
        "-m",
        "trajforge",
        "review",
        "export",
        str(dest),
        "--db",
        workspace.db_url,
        "--project",
        "alpha",
        "--results",
        str(results),
    ]
    done = in_thread(
        lambda: subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ)
    )
    assert done.returncode == 0, done.stderr
    with workspace.database.session() as session:
        item = session.scalar(select(Item).where(Item.key == key))
        assert item is not None
        trajectory_id = item.trajectory_id
    exported = {t.id: t for t in read_trajectories(dest) if t.provenance.parent_id is None}
    step = exported[trajectory_id].steps[0]
    mine = [
        (x.name, x.grade, x.value, x.rationale)
        for x in step.labels
        if x.source == LabelSource(kind="human", id="cy")
    ]
    assert mine == [
        ("human_step_grade", "missing-tool", None, "should have looked the order up"),
        ("human_quality", "2", 0.25, "should have looked the order up"),
    ]
    verdicts = [x for x in exported[trajectory_id].labels if x.name == "review_verdict"]
    assert [(x.grade, x.source.id) for x in verdicts] == [("reject", "cy")]
    decoded = [
        msgspec.json.decode(line, type=AuditResult) for line in results.read_bytes().splitlines()
    ]
    ours = [r for r in decoded if r.id == trajectory_id and r.reviewer == "cy"]
    assert len(ours) == 1
    assert ours[0].verdict == "reject"
    assert ours[0].step_errors[0].kind == "missing-tool"


def test_the_agreement_dashboard(context: BrowserContext, workspace: Workspace) -> None:
    key = workspace.items["alpha"][5]
    with workspace.database.transaction() as session:
        item = session.scalar(select(Item).where(Item.key == key))
        assert item is not None
        steps = len(trajectory_of(item).steps)
        for name, labels in (("ana", ["correct", "error"]), ("cy", ["correct", "redundant"])):
            user = session.scalar(select(User).where(User.username == name))
            assert user is not None
            for step, label in enumerate(labels):
                save_grade(session, item, user, GradeInput(step=step, label=label, quality=3), 0)
            save_grade(session, item, user, GradeInput(step=-1, verdict="reject"), 0)
    assert steps >= 2
    page = context.new_page()
    login(page, workspace, "admin")
    page.goto(f"{workspace.url}/projects/{workspace.projects['alpha']}/agreement")
    classes = page.locator("#kind-class")
    expect(classes.locator("tbody tr", has_text="ana · cy")).to_have_count(1)
    expect(classes.locator("ul.disagreements")).to_contain_text("ana = error; cy = redundant")
    disagreement = classes.locator("ul.disagreements a", has_text="step 1").first
    disagreement.click()
    assert page.url.endswith("#step-1")
    page.go_back()
    expect(page.locator("#graders tbody tr").first).not_to_contain_text("No automatic labels")
