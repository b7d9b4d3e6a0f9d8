"""Signing in and out: password login (argon2), rate-limited per client and username."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from trajforge.review.security import LoginLimits, RateLimiter, new_csrf_token, verify_password
from trajforge.review.store import user_named
from trajforge.review.web import DB, render

router = APIRouter()


@router.get("/login")
def login_page(request: Request) -> Response:
    """The login form."""
    return render(request, "login.html", {"error": None, "username": ""})


def _limits(request: Request, username: str) -> list[tuple[RateLimiter, str]]:
    limits: LoginLimits = request.app.state.login_limits
    client = request.client.host if request.client else "?"
    return [(limits.per_client, client), (limits.per_user, username)]


@router.post("/login")
def login(
    request: Request,
    session: DB,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Check the password; sign in (a fresh session) or say why not."""
    limits = _limits(request, username)
    if any(limiter.blocked(key) for limiter, key in limits):
        context = {"error": "too many failed logins: wait a minute", "username": username}
        return render(request, "login.html", context, status_code=429)
    user = user_named(session, username)
    if user is None or not verify_password(user.password_hash, password):
        for limiter, key in limits:
            limiter.fail(key)
        context = {"error": "wrong username or password", "username": username}
        return render(request, "login.html", context, status_code=401)
    request.app.state.login_limits.per_user.reset(username)
    request.session.clear()
    request.session.update({"uid": user.id, "csrf": new_csrf_token()})
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """Sign out."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
