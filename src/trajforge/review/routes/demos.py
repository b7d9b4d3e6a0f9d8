"""Demonstrations: pick an environment and a task, then act through forms made from the tools'
JSON Schemas, seeing the environment's real observations; save as a trajectory."""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select, update

from trajforge.agents.base import Decision
from trajforge.envs.registry import ENVIRONMENTS, get_environment, get_spec
from trajforge.errors import TrajforgeError
from trajforge.review.demonstrations import (
    decode_decisions,
    encode_decisions,
    finished_trajectory,
    new_task,
    replay,
)
from trajforge.review.forms import TEXT_ACTIONS, form_fields, read_arguments, text_action
from trajforge.review.models import Demonstration, Project, User
from trajforge.review.store import EditConflictError, add_item, can_see, project_for
from trajforge.review.view import trajectory_view
from trajforge.review.web import DB, CurrentUser, error_response, not_found, render
from trajforge.schema import Action, Plan, Task, ToolCall

router = APIRouter()


@router.get("/projects/{key}/demos/new")
def new_demo_page(request: Request, session: DB, me: CurrentUser, key: str) -> Response:
    """Pick an environment and a task."""
    project = project_for(session, me, key)
    if project is None:
        raise not_found("project")
    envs = {name: get_environment(name).difficulty_levels for name in ENVIRONMENTS}
    return render(request, "demo_new.html", {"project": project, "envs": envs}, me=me)


@router.post("/projects/{key}/demos")
def start_demo(
    request: Request,
    session: DB,
    me: CurrentUser,
    key: str,
    environment: Annotated[str, Form(max_length=64)],
    seed: Annotated[int, Form()],
    difficulty: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """Start a demonstration of the chosen task."""
    project = project_for(session, me, key)
    if project is None:
        raise not_found("project")
    try:
        task = new_task(environment, seed, int(difficulty) if difficulty.isdigit() else None)
    except TrajforgeError as exc:
        return error_response(request, 400, str(exc), exc.hint)
    demo = Demonstration(
        project_id=project.id,
        user_id=me.id,
        environment=environment,
        task=msgspec.json.encode(task).decode(),
    )
    session.add(demo)
    session.commit()
    return RedirectResponse(f"/demos/{demo.key}", status_code=303)


def _demo(session: DB, me: User, key: str) -> Demonstration:
    demo = session.scalar(select(Demonstration).where(Demonstration.key == key))
    if demo is None or not can_see(session, me, demo.project_id):
        raise not_found("demonstration")
    if demo.user_id != me.id and me.role != "admin":
        raise not_found("demonstration")
    return demo


@router.get("/demos/{key}")
def demo_page(request: Request, session: DB, me: CurrentUser, key: str) -> Response:
    """The demonstration so far, and the forms of the next action."""
    demo = _demo(session, me, key)
    task = msgspec.json.decode(demo.task, type=Task)
    recorder = replay(demo.environment, task, decode_decisions(demo.decisions), demo.key)
    tools = [
        (t.name, t.description or "", form_fields(t.parameters)) for t in recorder.env.tool_specs()
    ]
    context = {
        "demo": demo,
        "task": task,
        "first": recorder.first_observation.content,
        "steps": trajectory_view(recorder.trajectory()),
        "tools": tools,
        "done": recorder.done,
        "project": session.get(Project, demo.project_id),
    }
    return render(request, "demo.html", context, me=me)


def _action(
    request_form: dict[str, str], tool: str, tools: dict[str, object], index: int
) -> Action:
    if tool in TEXT_ACTIONS:
        return text_action(tool, request_form.get("content", ""))
    if tool not in tools:
        raise TrajforgeError(f"unknown tool {tool!r}", path="tool")
    parameters = tools[tool]
    arguments = read_arguments(parameters if isinstance(parameters, dict) else None, request_form)
    return ToolCall(
        id=f"call_{abs(hash((tool, len(request_form))))}", name=tool, arguments=arguments
    )


async def _text_fields(request: Request) -> dict[str, str]:
    """The submitted form's text fields (the tool's arguments are named by its schema)."""
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.post("/demos/{key}/act")
def act(
    request: Request,
    session: DB,
    me: CurrentUser,
    key: str,
    form: Annotated[dict[str, str], Depends(_text_fields)],
) -> Response:
    """Take the next action in the environment."""
    demo = _demo(session, me, key)
    decisions = decode_decisions(demo.decisions)
    tools = {t.name: t.parameters for t in get_environment(demo.environment)().tool_specs()}
    try:
        action = _action(form, form.get("tool", ""), dict(tools), len(decisions))
    except TrajforgeError as exc:
        return error_response(request, 400, str(exc), exc.hint)
    plan_lines = [line.strip() for line in form.get("plan", "").splitlines() if line.strip()]
    decision = Decision(
        actions=[action],
        reasoning=form.get("reasoning", "").strip() or None,
        plan=Plan(steps=plan_lines) if plan_lines else None,
    )
    version = int(form.get("version", "0") or 0)
    updated = session.execute(
        update(Demonstration)
        .where(Demonstration.id == demo.id, Demonstration.version == version)
        .values(decisions=encode_decisions([*decisions, decision]), version=version + 1)
    )
    if updated.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        error = EditConflictError("this demonstration moved on since the page was loaded")
        return error_response(request, 409, error.message, "reload the page")
    session.commit()
    return RedirectResponse(f"/demos/{demo.key}#end", status_code=303)


@router.post("/demos/{key}/save")
def save_demo(session: DB, me: CurrentUser, key: str) -> Response:
    """Save the demonstration as a trajectory of its project (source human)."""
    demo = _demo(session, me, key)
    task = msgspec.json.decode(demo.task, type=Task)
    recorder = replay(demo.environment, task, decode_decisions(demo.decisions), f"demo-{demo.key}")
    prompt = get_spec(demo.environment).policy_document
    trajectory = finished_trajectory(recorder, me.username, prompt)
    project = session.get(Project, demo.project_id)
    assert project is not None
    item = add_item(session, project, trajectory, kind="demonstration", created_by=me)
    demo.item_id = item.id
    session.commit()
    return RedirectResponse(f"/items/{item.key}", status_code=303)
