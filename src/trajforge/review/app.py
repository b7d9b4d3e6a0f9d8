"""The workspace's FastAPI app: pages, static assets (all served here, no CDN), signed session
cookies, CSRF on every unsafe request, and security headers on every response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from trajforge.review.db import Database
from trajforge.review.routes import agreement, approvals, auth, demos, items, projects
from trajforge.review.security import LoginLimits
from trajforge.review.web import HERE, LoginRequiredError, check_csrf, error_response

#: The session cookie lives this long (seconds) without use.
SESSION_AGE = 8 * 3600
#: Nothing but this server's own scripts, styles and forms.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
#: Every page's router.
ROUTERS = tuple(m.router for m in (auth, projects, items, approvals, demos, agreement))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_app(database: Database, secret_key: str, *, https_only: bool = False) -> FastAPI:
    """The workspace over a migrated ``database``, signing sessions with ``secret_key``;
    ``https_only`` marks the cookie Secure (behind TLS)."""
    app = FastAPI(
        title="trajforge review",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_csrf)],
    )
    app.state.database = database
    app.state.login_limits = LoginLimits()
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie="trajforge_session",
        max_age=SESSION_AGE,
        same_site="strict",
        https_only=https_only,
    )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(HEADERS)
        return response

    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, _exc: LoginRequiredError) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors())
        return error_response(request, 400, f"missing or invalid form fields: {fields}")

    return app
