"""What every page of the workspace shares: templates (autoescaped), the database session, the
signed-in user, the CSRF check of every unsafe request, and error pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from trajforge.review.db import Database
from trajforge.review.models import User
from trajforge.review.security import new_csrf_token, same_token

HERE: Final = Path(__file__).parent
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class LoginRequiredError(Exception):
    """The request needs a signed-in user and has none."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = new_csrf_token()
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request (POST...) without the session's CSRF token, sent as the
    ``csrf_token`` form field or the ``X-CSRF-Token`` header."""
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf_token")
        given = value if isinstance(value, str) else None
    if not same_token(request.session.get("csrf"), given):
        raise HTTPException(403, "the form's CSRF token is missing or invalid: reload the page")


def db_session(request: Request) -> Iterator[Session]:
    """A database session for one request."""
    database: Database = request.app.state.database
    session = database.session()
    try:
        yield session
    finally:
        session.close()


DB = Annotated[Session, Depends(db_session)]


def current_user(request: Request, session: DB) -> User:
    """The signed-in user; LoginRequiredError when there is none."""
    uid = request.session.get("uid")
    user = session.get(User, uid) if isinstance(uid, int) else None
    if user is None:
        raise LoginRequiredError
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(user: CurrentUser) -> User:
    """The signed-in user, who must be an admin (403 otherwise)."""
    if user.role != "admin":
        raise HTTPException(403, "this page is for admins")
    return user


AdminUser = Annotated[User, Depends(admin_user)]


def not_found(what: str = "page") -> HTTPException:
    """The 404 of anything missing or not visible to the user (the same for both)."""
    return HTTPException(404, f"no such {what}")


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    me: User | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render template ``name`` with the signed-in user ``me``, the CSRF token and
    ``context``."""
    page = templates.get_template(name).render(csrf=csrf_token(request), me=me, **context)
    return HTMLResponse(page, status_code=status_code)


def wants_json(request: Request) -> bool:
    """Whether the request came from the page's script (which wants JSON back)."""
    return request.headers.get("x-requested-with") == "fetch"


def error_response(
    request: Request, status: int, message: str, hint: str | None = None
) -> Response:
    """An error as JSON for the page's script, else as a page."""
    if wants_json(request):
        return JSONResponse({"error": message, "hint": hint}, status_code=status)
    context = {"status": status, "message": message, "hint": hint}
    return render(request, "error.html", context, status_code=status)
