"""XSS: 60 payloads in every field the workspace renders (instruction, reasoning, plan,
arguments, tool results, error kinds, faults, state notes and diffs, labels, comments,
usernames, project names, approval requests, error messages) execute nothing in Chromium:
no dialog, no ``window.__xss``, no script error or CSP report, no element or event handler
that the pages do not have themselves, and the payloads show as text."""

from __future__ import annotations

import json
from dataclasses import dataclass

import msgspec
import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page

from tests.review.conftest import PASSWORD, Workspace, login
from tests.review.payloads import FOREIGN, PAYLOADS
from trajforge.envs.approval import ApprovalRequest
from trajforge.envs.base import Violation
from trajforge.review.models import Approval
from trajforge.review.store import (
    GradeInput,
    add_item,
    assign,
    create_user,
    project_named,
    save_grade,
    user_named,
)
from trajforge.schema import (
    FaultRecord,
    Generator,
    Label,
    LabelSource,
    Plan,
    Provenance,
    Reply,
    StateNotes,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)


def _step(i: int, p: str) -> Step:
    call = f"c{i}"
    return Step(
        reasoning=p,
        plan=Plan(steps=[p], revision=1, reason=p),
        actions=[ToolCall(id=call, name="lookup", arguments={"q": p, p: [p]}), Reply(content=p)],
        observations=[
            ToolResult(call_id=call, name="lookup", content=p, status="error", error_kind=p),
            UserMessage(content=p, name=p),
        ],
        state_notes=StateNotes(done=[p], remaining=[p], assumptions=[p]),
        env_state_digest=p,
        state_diff={p: p},
        faults=[FaultRecord(kind=p, tool="lookup", call_id=call, detail=p)],
        labels=[Label(name=p, source=LabelSource(kind="rule", id=p), grade=p, rationale=p)],
    )


def hostile_trajectory() -> Trajectory:
    """A trajectory with a payload in every field, one step per payload."""
    schema = {
        "type": "object",
        "properties": {"q": {"type": "string"}},
        "additionalProperties": False,
    }
    return Trajectory(
        id=PAYLOADS[1],
        task=Task(instruction="\n".join(PAYLOADS), environment=PAYLOADS[2]),
        tools=[ToolSpec(name="lookup", description=PAYLOADS[3], parameters=schema)],
        steps=[_step(i, p) for i, p in enumerate(PAYLOADS)],
        labels=[
            Label(name=p, source=LabelSource(kind="judge", id=p), rationale=p) for p in PAYLOADS
        ],
        provenance=Provenance(generator=Generator(policy=PAYLOADS[4])),
    )


@dataclass
class Hostile:
    """Where the payloads are: the project and item keys."""

    project: str
    item: str


@pytest.fixture(scope="session")
def hostile(workspace: Workspace) -> Hostile:
    """A project named with a payload, holding the hostile trajectory, graded by users named
    with payloads (comments with payloads), and a pending approval made of payloads."""
    trajectory = hostile_trajectory()
    with workspace.database.transaction() as session:
        project = project_named(session, PAYLOADS[0], create=True)
        item = add_item(session, project, trajectory)
        admin = user_named(session, "admin")
        assert admin is not None
        for i, p in enumerate(PAYLOADS):
            save_grade(session, item, admin, GradeInput(step=i, comment=p), 0)
            user = create_user(session, p, PASSWORD, "reviewer")
            assign(session, project, user)
            label = ("correct", "error")[i % 2]
            save_grade(session, item, user, GradeInput(step=0, label=label, comment=p), 0)
        request = ApprovalRequest(
            trajectory_id=PAYLOADS[5],
            task=trajectory.task,
            tools=trajectory.tools,
            steps=trajectory.steps[:3],
            step=3,
            action=0,
            call=ToolCall(id="c", name=PAYLOADS[6], arguments={p: p for p in PAYLOADS}),
            violations=[Violation(rule=p, step=3, action=0, detail=p) for p in PAYLOADS],
        )
        session.add(Approval(project_id=project.id, request=msgspec.json.encode(request).decode()))
        return Hostile(project=project.key, item=item.key)


class Watch:
    """What a page did that it should not: dialogs, errors, console reports."""

    def __init__(self, page: Page) -> None:
        self.events: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda e: self.events.append(f"error {e}"))
        page.on("console", self._console)

    def _dialog(self, dialog: Dialog) -> None:
        self.events.append(f"dialog {dialog.message}")
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        # an error page's own status (400, 404) is reported too: that is no script's doing
        if message.type in ("error", "warning") and not message.text.startswith(
            "Failed to load resource: the server responded with a status of"
        ):
            self.events.append(f"console {message.text}")


@pytest.fixture
def admin_page(context: BrowserContext, workspace: Workspace) -> tuple[Page, Watch]:
    page = context.new_page()
    watch = Watch(page)
    login(page, workspace, "admin")
    return page, watch


def assert_inert(page: Page, watch: Watch) -> None:
    """Nothing ran, nothing foreign is in the page."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)  # let any handler that was going to fire fire
    assert watch.events == []
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator(FOREIGN).count() == 0
    handlers = page.evaluate(
        "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
        ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
    )
    assert handlers == []
    assert page.locator("script").count() == 1  # the workspace's own


def text_of(page: Page) -> str:
    return str(page.evaluate("document.body.textContent"))


def test_trajectory_fields(
    admin_page: tuple[Page, Watch], workspace: Workspace, hostile: Hostile
) -> None:
    page, watch = admin_page
    page.goto(f"{workspace.url}/items/{hostile.item}")
    assert_inert(page, watch)
    text = text_of(page)
    for p in PAYLOADS:
        assert p in text  # instruction, reasoning, results... shown as text
        assert json.dumps(p, ensure_ascii=False)[1:-1] in text  # the pretty JSON arguments
    comments = page.locator('section.step input[name="comment"]')
    assert [comments.nth(i).input_value() for i in range(len(PAYLOADS))] == list(PAYLOADS)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/projects/{project}",
        "/projects/{project}/agreement",
        "/approvals",
        "/admin/users",
        "/items/{item}/correct?step=0&action=0",
        "/items/{item}/correct?step=0&action=1",
    ],
)
def test_pages(
    admin_page: tuple[Page, Watch], workspace: Workspace, hostile: Hostile, path: str
) -> None:
    page, watch = admin_page
    page.goto(workspace.url + path.format(project=hostile.project, item=hostile.item))
    assert_inert(page, watch)
    text = text_of(page)
    assert PAYLOADS[0] in text or "/admin/users" not in path
    if path in ("/admin/users", "/projects/{project}", "/projects/{project}/agreement"):
        assert all(p in text for p in PAYLOADS)  # usernames


def test_error_messages(
    admin_page: tuple[Page, Watch], workspace: Workspace, hostile: Hostile
) -> None:
    page, watch = admin_page
    # a taken username, echoed in the error
    page.goto(workspace.url + "/admin/users")
    page.fill('input[name="username"]', PAYLOADS[7])
    page.fill('input[name="password"]', PASSWORD)
    page.click("form.stack button[type=submit]")
    assert_inert(page, watch)
    assert PAYLOADS[7] in page.locator("#form-error").inner_text()
    # arguments that break the tool's schema: the error names the unknown property
    page.goto(f"{workspace.url}/items/{hostile.item}/correct?step=0&action=0")
    page.fill('textarea[name="arguments"]', json.dumps({PAYLOADS[8]: 1}))
    page.click("form.stack button[type=submit]")
    assert_inert(page, watch)
    assert PAYLOADS[8] in page.locator("#correction-error").inner_text()
    # an unknown tool in a demonstration, named in the error page
    page.goto(f"{workspace.url}/projects/{hostile.project}/demos/new")
    page.click("form.stack button[type=submit]")
    page.locator("#tool-text summary").click()
    page.evaluate(
        "p => { const s = document.querySelector('#tool-text select[name=tool]');"
        " s.options[0].value = p; s.value = p; }",
        PAYLOADS[9],
    )
    page.fill('#tool-text textarea[name="content"]', PAYLOADS[10])
    page.click("#tool-text button[type=submit]")
    assert_inert(page, watch)
    assert PAYLOADS[9] in page.locator("#error-message").inner_text()


def test_login_echo(context: BrowserContext, workspace: Workspace) -> None:
    page = context.new_page()
    watch = Watch(page)
    page.goto(workspace.url + "/login")
    page.fill('input[name="username"]', PAYLOADS[11])
    page.fill('input[name="password"]', "wrong password")
    page.click('button[type="submit"]')
    assert_inert(page, watch)
    assert page.locator('input[name="username"]').input_value() == PAYLOADS[11]
