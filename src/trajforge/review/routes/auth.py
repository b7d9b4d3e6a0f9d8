"""Signing in and out: password login (argon2), rate-limited per client and username."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from trajforge.review.security import RateLimiter, new_csrf_token, verify_password
from trajforge.review.store import user_named
from trajforge.review.web import DB, render

router = APIRouter()
#: Failed logins allowed per client address and per username, each in a minute.
limiter = RateLimiter(limit=5, window=60.0)


@router.get("/login")
def login_page(request: Request) -> Response:
    """The login form."""
    return render(request, "login.html", {"error": None, "username": ""})


def _keys(request: Request, username: str) -> tuple[str, str]:
    client = request.client.host if request.client else "?"
    return f"ip:{client}", f"user:{username}"


@router.post("/login")
def login(
    request: Request,
    session: DB,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Check the password; sign in (a fresh session) or say why not."""
    keys = _keys(request, username)
    if any(limiter.blocked(k) for k in keys):
        context = {"error": "too many failed logins: wait a minute", "username": username}
        return render(request, "login.html", context, status_code=429)
    user = user_named(session, username)
    if user is None or not verify_password(user.password_hash, password):
        for key in keys:
            limiter.fail(key)
        context = {"error": "wrong username or password", "username": username}
        return render(request, "login.html", context, status_code=401)
    for key in keys:
        limiter.reset(key)
    request.session.clear()
    request.session.update({"uid": user.id, "csrf": new_csrf_token()})
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """Sign out."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
