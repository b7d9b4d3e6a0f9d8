"""One trajectory, step by step: grading (per step and per trajectory) and corrections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from trajforge.errors import TrajforgeError
from trajforge.review.corrections import correct, edited_action, kind_of, replacement
from trajforge.review.forms import TEXT_ACTIONS
from trajforge.review.labels import STEP_CLASSES, VERDICTS
from trajforge.review.models import Item, Project, User
from trajforge.review.store import (
    EditConflictError,
    GradeInput,
    add_item,
    grades_by_step,
    item_for,
    save_grade,
    trajectory_of,
)
from trajforge.review.view import options, pretty, quality_radios, trajectory_view
from trajforge.review.web import DB, CurrentUser, error_response, not_found, render, wants_json
from trajforge.schema import ToolCall, Trajectory

router = APIRouter()


@router.get("/items/{key}")
def item_page(request: Request, session: DB, me: CurrentUser, key: str) -> Response:
    """The step-by-step view of an item, with the user's grades and its lineage."""
    item = item_for(session, me, key)
    if item is None:
        raise not_found("item")
    trajectory = trajectory_of(item)
    project = session.get(Project, item.project_id)
    parent = session.get(Item, item.parent_id) if item.parent_id is not None else None
    children = session.scalars(select(Item).where(Item.parent_id == item.id)).all()
    context = {
        "item": item,
        "project": project,
        "t": trajectory,
        "steps": trajectory_view(trajectory),
        "grades": grades_by_step(session, item, me),
        "classes": STEP_CLASSES,
        "verdicts": VERDICTS,
        "parent": parent,
        "children": children,
        "options": options,
        "quality_radios": quality_radios,
    }
    return render(request, "item.html", context, me=me)


def _int(value: str, default: int | None) -> int | None:
    return int(value) if value.strip().lstrip("-").isdigit() else default


@router.post("/items/{key}/grade")
def grade(
    request: Request,
    session: DB,
    me: CurrentUser,
    key: str,
    step: Annotated[str, Form(max_length=12)],
    version: Annotated[str, Form(max_length=12)] = "0",
    label: Annotated[str, Form(max_length=64)] = "",
    quality: Annotated[str, Form(max_length=4)] = "",
    verdict: Annotated[str, Form(max_length=16)] = "",
    ask_human: Annotated[str, Form(max_length=8)] = "",
    comment: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Save the user's grade of one step (or of the trajectory: step -1)."""
    item = item_for(session, me, key)
    if item is None:
        raise not_found("item")
    index = _int(step, None)
    if index is None:
        return error_response(request, 400, "the step is not a number")
    grade_input = GradeInput(
        step=index,
        label=label or None,
        quality=_int(quality, None),
        verdict=verdict or None,
        ask_human=bool(ask_human),
        comment=comment,
    )
    try:
        grade_input.check(item.steps)
        saved = save_grade(session, item, me, grade_input, _int(version, 0) or 0)
        session.commit()
    except EditConflictError as exc:
        session.rollback()
        return error_response(request, 409, exc.message, exc.hint)
    except TrajforgeError as exc:
        session.rollback()
        return error_response(request, 400, str(exc), exc.hint)
    if wants_json(request):
        return JSONResponse({"saved": True, "step": index, "version": saved})
    anchor = f"#step-{index}" if index >= 0 else "#verdict"
    return RedirectResponse(f"/items/{item.key}{anchor}", status_code=303)


@router.get("/items/{key}/correct")
def correction_form(
    request: Request, session: DB, me: CurrentUser, key: str, step: int, action: int
) -> Response:
    """The form to edit an action: its arguments, or another tool or a text action instead."""
    found = _corrected(request, session, me, key, step, action)
    if isinstance(found, Response):
        return found
    item, trajectory = found
    original = edited_action(trajectory, step, action)
    form = CorrectionForm(
        kind=kind_of(original),
        arguments=pretty(original.arguments) if isinstance(original, ToolCall) else "{}",
        content="" if isinstance(original, ToolCall) else original.content,
    )
    context = _correction_context(item, trajectory, step, action, form, None)
    return render(request, "correct.html", context, me=me)


@dataclass(frozen=True, slots=True)
class CorrectionForm:
    """What the correction form holds: the action's kind (a tool or a text action), the
    arguments of a call (JSON) and the message of a text action."""

    kind: str
    arguments: str
    content: str


def _corrected(
    request: Request, session: DB, me: User, key: str, step: int, action: int
) -> tuple[Item, Trajectory] | Response:
    """The item and trajectory whose action ``step``/``action`` is corrected (404 when the
    user may not see it), or the error page when there is no such action."""
    item = item_for(session, me, key)
    if item is None:
        raise not_found("item")
    trajectory = trajectory_of(item)
    try:
        edited_action(trajectory, step, action)
    except TrajforgeError as exc:
        return error_response(request, 400, str(exc))
    return item, trajectory


def _correction_context(
    item: Item,
    trajectory: Trajectory,
    step: int,
    action: int,
    form: CorrectionForm,
    error: str | None,
) -> dict[str, object]:
    kinds = (*(t.name for t in trajectory.tools), *TEXT_ACTIONS)
    return {
        "item": item,
        "step": step,
        "action": action,
        "original": kind_of(edited_action(trajectory, step, action)),
        "form": form,
        "kinds": options(kinds, form.kind),
        "tools": [
            (t.name, t.description or "", pretty(t.parameters or {})) for t in trajectory.tools
        ],
        "error": error,
    }


@router.post("/items/{key}/correct")
def submit_correction(
    request: Request,
    session: DB,
    me: CurrentUser,
    key: str,
    step: Annotated[int, Form()],
    action: Annotated[int, Form()],
    kind: Annotated[str, Form(max_length=200)] = "",
    arguments: Annotated[str, Form(max_length=100_000)] = "{}",
    content: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """Validate the new action (the arguments against its tool's schema), re-run the rest of
    the episode, save the new version. ``kind`` left out keeps the action's kind."""
    found = _corrected(request, session, me, key, step, action)
    if isinstance(found, Response):
        return found
    item, trajectory = found
    original = edited_action(trajectory, step, action)
    form = CorrectionForm(kind=kind or kind_of(original), arguments=arguments, content=content)
    versions = session.scalars(select(Item.id).where(Item.parent_id == item.id)).all()
    new_id = f"{trajectory.id}-fix{len(versions) + 1}"
    try:
        parsed = msgspec.json.decode(arguments.encode()) if form.kind not in TEXT_ACTIONS else {}
        new = replacement(trajectory.tools, original, form.kind, parsed, content)
        fixed = correct(trajectory, step, action, new, reviewer=me.username, new_id=new_id)
    except (msgspec.DecodeError, TrajforgeError) as exc:
        message = str(exc)
        if isinstance(exc, msgspec.DecodeError):
            message = f"the arguments are not JSON: {exc}"
        context = _correction_context(item, trajectory, step, action, form, message)
        return render(request, "correct.html", context, me=me, status_code=400)
    project = session.get(Project, item.project_id)
    assert project is not None
    saved = add_item(session, project, fixed, kind="correction", parent=item, created_by=me)
    session.commit()
    return RedirectResponse(f"/items/{saved.key}", status_code=303)
