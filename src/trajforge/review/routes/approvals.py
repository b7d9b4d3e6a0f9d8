"""Live approvals: the calls of running episodes that wait for a human, and the decisions."""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from trajforge.errors import TrajforgeError
from trajforge.review.approvals import pending, record_decision, request_of
from trajforge.review.models import Approval
from trajforge.review.store import EditConflictError, can_see, visible_projects
from trajforge.review.view import pretty, step_view
from trajforge.review.web import DB, CurrentUser, error_response, not_found, render

router = APIRouter()


@router.get("/approvals")
def approvals_page(request: Request, session: DB, me: CurrentUser) -> Response:
    """The calls waiting for a decision in the user's projects."""
    projects = {p.id: p for p in visible_projects(session, me)}
    waiting = []
    for approval in pending(session, list(projects)):
        req = request_of(approval)
        waiting.append(
            {
                "approval": approval,
                "project": projects[approval.project_id],
                "req": req,
                "arguments": pretty(req.call.arguments),
                "recent": [step_view(i, s) for i, s in enumerate(req.steps)][-3:],
            }
        )
    return render(request, "approvals.html", {"waiting": waiting}, me=me)


@router.post("/approvals/{key}")
def decide(
    request: Request,
    session: DB,
    me: CurrentUser,
    key: str,
    decision: Annotated[str, Form(max_length=16)],
    version: Annotated[int, Form()],
    reason: Annotated[str, Form(max_length=5000)] = "",
    arguments: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """Approve, deny (with a reason) or edit the arguments of a waiting call."""
    approval = session.scalar(select(Approval).where(Approval.key == key))
    if approval is None or not can_see(session, me, approval.project_id):
        raise not_found("approval")
    try:
        parsed = msgspec.json.decode(arguments.encode()) if decision == "edit" else None
        record_decision(
            session, approval, me, decision, reason=reason, arguments=parsed, version=version
        )
    except EditConflictError as exc:
        session.rollback()
        return error_response(request, 409, exc.message, exc.hint)
    except msgspec.DecodeError as exc:
        return error_response(request, 400, f"the edited arguments are not JSON: {exc}")
    except TrajforgeError as exc:
        session.rollback()
        return error_response(request, 400, str(exc), exc.hint)
    session.commit()
    return RedirectResponse("/approvals", status_code=303)
