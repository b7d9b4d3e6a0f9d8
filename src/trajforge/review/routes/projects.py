"""Projects and their queues, accounts and assignments (the admin's pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from trajforge.errors import ConfigError
from trajforge.review.models import Grade, Item, Membership, User
from trajforge.review.store import (
    ROLES,
    assign,
    create_user,
    project_for,
    project_named,
    queue_of,
    visible_projects,
)
from trajforge.review.web import DB, AdminUser, CurrentUser, not_found, render

router = APIRouter()


@router.get("/")
def home(request: Request, session: DB, me: CurrentUser) -> Response:
    """The projects the user may see."""
    context = {"projects": visible_projects(session, me)}
    return render(request, "projects.html", context, me=me)


@router.post("/projects")
def new_project(session: DB, me: AdminUser, name: Annotated[str, Form(max_length=200)]) -> Response:
    """Create a project."""
    project = project_named(session, name, create=True)
    session.commit()
    return RedirectResponse(f"/projects/{project.key}", status_code=303)


@router.get("/projects/{key}")
def project_page(request: Request, session: DB, me: CurrentUser, key: str) -> Response:
    """A project's queue (the items the user reviews), with how far the user got in each
    item; its members for an admin."""
    project = project_for(session, me, key)
    if project is None:
        raise not_found("project")
    items = queue_of(session, project, me)
    graded = dict(
        session.execute(
            select(Grade.item_id, func.count())
            .join(Item, Item.id == Grade.item_id)
            .where(Item.project_id == project.id, Grade.user_id == me.id)
            .group_by(Grade.item_id)
        ).all()
    )
    members = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project.id)
    ).all()
    users = (
        session.scalars(select(User).order_by(User.username)).all() if me.role == "admin" else []
    )
    context = {
        "project": project,
        "items": items,
        "graded": graded,
        "members": members,
        "users": users,
    }
    return render(request, "project.html", context, me=me)


@router.post("/projects/{key}/members")
def add_member(
    session: DB, me: AdminUser, key: str, username: Annotated[str, Form(max_length=200)]
) -> Response:
    """Assign a reviewer to a project."""
    project = project_for(session, me, key)
    user = session.scalar(select(User).where(User.username == username))
    if project is None or user is None:
        raise not_found("project or user")
    assign(session, project, user)
    session.commit()
    return RedirectResponse(f"/projects/{project.key}", status_code=303)


@router.get("/admin/users")
def users_page(request: Request, session: DB, me: AdminUser) -> Response:
    """The accounts, and a form to add one."""
    users = session.scalars(select(User).order_by(User.username)).all()
    context = {"users": users, "roles": ROLES, "error": None}
    return render(request, "users.html", context, me=me)


@router.post("/admin/users")
def new_user(
    request: Request,
    session: DB,
    me: AdminUser,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[str, Form(max_length=16)],
) -> Response:
    """Create an account (the form again, with the reason, when it cannot be)."""
    try:
        create_user(session, username, password, role)
    except ConfigError as exc:
        session.rollback()
        users = session.scalars(select(User).order_by(User.username)).all()
        context = {"users": users, "roles": ROLES, "error": str(exc)}
        return render(request, "users.html", context, me=me, status_code=400)
    session.commit()
    return RedirectResponse("/admin/users", status_code=303)
