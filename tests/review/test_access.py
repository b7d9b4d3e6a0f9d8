"""Who may do what: every route of the app against every role (anonymous, a reviewer of another
project, a reviewer of the project, an admin), CSRF refusal on every unsafe route, guessed ids,
the login rate limit, and the refusal to start without a real secret key."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from tests.review.conftest import PASSWORD, Workspace, csrf_of
from trajforge.envs.approval import ApprovalRequest
from trajforge.errors import ConfigError, InputError
from trajforge.review.app import ROUTERS
from trajforge.review.corrections import check_arguments
from trajforge.review.models import Approval, Demonstration, Grade, Item, Project, User
from trajforge.review.security import SECRET_ENV, load_secret
from trajforge.review.store import project_named, trajectory_of
from trajforge.schema import Task, ToolCall, Trajectory

ROLES = ("anonymous", "outsider", "member", "admin")
USER_OF = {"anonymous": None, "outsider": "bo", "member": "ana", "admin": "admin"}
LOGIN = 303  # sent to the login page
counter = itertools.count()


@dataclass
class Case:
    """One route: how to call it, and the status each role gets."""

    method: str
    route: str
    path: Callable[[Workspace], str]
    expect: dict[str, int]
    form: Callable[[Workspace, str], dict[str, str]] = lambda _ws, _role: {}


def _item(ws: Workspace) -> str:
    return ws.items["alpha"][3]


def _call(ws: Workspace) -> tuple[int, int, str]:
    """A step and action of the matrix's item that is a tool call with valid arguments, and
    its arguments."""
    with ws.database.session() as session:
        item = session.scalar(select(Item).where(Item.key == _item(ws)))
        assert item is not None
        trajectory = trajectory_of(item)
    for i, step in enumerate(trajectory.steps):
        for j, action in enumerate(step.actions):
            if isinstance(action, ToolCall) and _valid(trajectory, action):
                return i, j, msgspec.json.encode(action.arguments).decode()
    raise AssertionError("no tool call")


def _valid(trajectory: Trajectory, call: ToolCall) -> bool:
    try:
        check_arguments(trajectory.tools, call.name, call.arguments)
    except InputError:
        return False
    return True


def _grade_version(ws: Workspace, role: str) -> str:
    with ws.database.session() as session:
        grade = session.scalar(
            select(Grade)
            .join(User, User.id == Grade.user_id)
            .join(Item, Item.id == Grade.item_id)
            .where(User.username == (USER_OF[role] or ""), Item.key == _item(ws), Grade.step == -1)
        )
        return str(grade.version if grade else 0)


def _approval(ws: Workspace) -> str:
    """A fresh pending approval in alpha (each decision uses one up)."""
    request = ApprovalRequest(
        trajectory_id="t",
        task=Task(),
        tools=[],
        steps=[],
        step=0,
        action=0,
        call=ToolCall(id="c", name="rollback", arguments={}),
        violations=[],
    )
    with ws.database.transaction() as session:
        project = project_named(session, "alpha")
        row = Approval(project_id=project.id, request=msgspec.json.encode(request).decode())
        session.add(row)
        session.flush()
        return row.key


def _demo(ws: Workspace) -> str:
    """ana's demonstration in alpha (made once)."""
    with ws.database.transaction() as session:
        found = session.scalar(select(Demonstration).where(Demonstration.environment == "support"))
        if found is not None:
            return found.key
        ana = session.scalar(select(User).where(User.username == "ana"))
        project = project_named(session, "alpha")
        assert ana is not None
        task = msgspec.json.encode(Task(instruction="hi", environment="support", seed=1)).decode()
        demo = Demonstration(
            project_id=project.id, user_id=ana.id, environment="support", task=task
        )
        session.add(demo)
        session.flush()
        return demo.key


def _demo_version(ws: Workspace) -> str:
    with ws.database.session() as session:
        demo = session.scalar(select(Demonstration).where(Demonstration.key == _demo(ws)))
        assert demo is not None
        return str(demo.version)


def _all(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def _by(anonymous: int, outsider: int, member: int, admin: int) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, outsider, member, admin), strict=True))


CASES = [
    Case("GET", "/login", lambda ws: "/login", _all(200)),
    Case(
        "POST",
        "/login",
        lambda ws: "/login",
        _all(401),
        lambda ws, role: {"username": "nobody-at-all", "password": "x"},
    ),
    Case("POST", "/logout", lambda ws: "/logout", _all(303)),
    Case("GET", "/", lambda ws: "/", _by(LOGIN, 200, 200, 200)),
    Case(
        "POST",
        "/projects",
        lambda ws: "/projects",
        _by(LOGIN, 403, 403, 303),
        lambda ws, role: {"name": f"made-{next(counter)}"},
    ),
    Case(
        "GET",
        "/projects/{key}",
        lambda ws: f"/projects/{ws.projects['alpha']}",
        _by(LOGIN, 404, 200, 200),
    ),
    Case(
        "POST",
        "/projects/{key}/members",
        lambda ws: f"/projects/{ws.projects['alpha']}/members",
        _by(LOGIN, 403, 403, 303),
        lambda ws, role: {"username": "cy"},
    ),
    Case("GET", "/admin/users", lambda ws: "/admin/users", _by(LOGIN, 403, 403, 200)),
    Case(
        "POST",
        "/admin/users",
        lambda ws: "/admin/users",
        _by(LOGIN, 403, 403, 303),
        lambda ws, role: {
            "username": f"new-{next(counter)}",
            "password": PASSWORD,
            "role": "reviewer",
        },
    ),
    Case("GET", "/items/{key}", lambda ws: f"/items/{_item(ws)}", _by(LOGIN, 404, 200, 200)),
    Case(
        "POST",
        "/items/{key}/grade",
        lambda ws: f"/items/{_item(ws)}/grade",
        _by(LOGIN, 404, 303, 303),
        lambda ws, role: {"step": "-1", "verdict": "accept", "version": _grade_version(ws, role)},
    ),
    Case(
        "GET",
        "/items/{key}/correct",
        lambda ws: "/items/{}/correct?step={}&action={}".format(_item(ws), *_call(ws)[:2]),
        _by(LOGIN, 404, 200, 200),
    ),
    Case(
        "POST",
        "/items/{key}/correct",
        lambda ws: f"/items/{_item(ws)}/correct",
        _by(LOGIN, 404, 303, 303),
        lambda ws, role: dict(
            zip(("step", "action", "arguments"), map(str, _call(ws)), strict=True)
        ),
    ),
    Case("GET", "/approvals", lambda ws: "/approvals", _by(LOGIN, 200, 200, 200)),
    Case(
        "POST",
        "/approvals/{key}",
        lambda ws: f"/approvals/{_approval(ws)}",
        _by(LOGIN, 404, 303, 303),
        lambda ws, role: {"decision": "approve", "version": "1"},
    ),
    Case(
        "GET",
        "/projects/{key}/demos/new",
        lambda ws: f"/projects/{ws.projects['alpha']}/demos/new",
        _by(LOGIN, 404, 200, 200),
    ),
    Case(
        "POST",
        "/projects/{key}/demos",
        lambda ws: f"/projects/{ws.projects['alpha']}/demos",
        _by(LOGIN, 404, 303, 303),
        lambda ws, role: {"environment": "support", "seed": "5"},
    ),
    Case("GET", "/demos/{key}", lambda ws: f"/demos/{_demo(ws)}", _by(LOGIN, 404, 200, 200)),
    Case(
        "POST",
        "/demos/{key}/act",
        lambda ws: f"/demos/{_demo(ws)}/act",
        _by(LOGIN, 404, 303, 303),
        lambda ws, role: {"tool": "reply", "content": "hello", "version": _demo_version(ws)},
    ),
    Case(
        "POST",
        "/demos/{key}/save",
        lambda ws: f"/demos/{_demo(ws)}/save",
        _by(LOGIN, 404, 303, 303),
    ),
    Case(
        "GET",
        "/projects/{key}/agreement",
        lambda ws: f"/projects/{ws.projects['alpha']}/agreement",
        _by(LOGIN, 403, 403, 200),
    ),
]


def test_the_matrix_covers_every_route() -> None:
    routes = {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert routes == {(c.method, c.route) for c in CASES}


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(workspace: Workspace, role: str) -> None:
    client = workspace.client(USER_OF[role])
    token = csrf_of(client.get("/login").text)
    got = {}
    for case in CASES:
        path = case.path(workspace)
        if case.method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={**case.form(workspace, role), "csrf_token": token})
        got[(case.method, case.route)] = response.status_code
        if role == "anonymous" and response.status_code == LOGIN and case.route != "/logout":
            assert response.headers["location"] == "/login"
        if case.route == "/logout":  # sign in again for the next routes
            client = workspace.client(USER_OF[role])
            token = csrf_of(client.get("/login").text)
    assert got == {(c.method, c.route): c.expect[role] for c in CASES}


def test_every_unsafe_route_needs_the_csrf_token(workspace: Workspace) -> None:
    client = workspace.client("admin")
    for case in CASES:
        if case.method != "POST":
            continue
        form = case.form(workspace, "admin")
        if case.route == "/projects":
            form = {"name": "made-by-csrf"}
        missing = client.post(case.path(workspace), data=form)
        forged = client.post(case.path(workspace), data={**form, "csrf_token": "forged"})
        header = client.post(case.path(workspace), data=form, headers={"X-CSRF-Token": "forged"})
        assert (missing.status_code, forged.status_code, header.status_code) == (403, 403, 403), (
            case.route
        )
    with workspace.database.session() as session:  # and nothing was made
        assert session.scalar(select(Project).where(Project.name == "made-by-csrf")) is None


def test_another_projects_items_cannot_be_read_by_guessing(workspace: Workspace) -> None:
    client = workspace.client("bo")  # a reviewer of beta
    token = csrf_of(client.get("/").text)
    for key in workspace.items["alpha"]:
        assert client.get(f"/items/{key}").status_code == 404
        assert client.get(f"/items/{key}/correct?step=0&action=0").status_code == 404
        form = {"step": "0", "label": "error", "csrf_token": token}
        assert client.post(f"/items/{key}/grade", data=form).status_code == 404
    with workspace.database.session() as session:
        ids = session.scalars(select(Item.id)).all()
    for guess in [*map(str, ids), "0", "-1", "%2e%2e", "alpha"]:
        assert client.get(f"/items/{guess}").status_code == 404
    assert client.get(f"/projects/{workspace.projects['alpha']}").status_code == 404
    assert client.get(f"/projects/{workspace.projects['beta']}").status_code == 200


def test_login_is_rate_limited(workspace: Workspace) -> None:
    client = workspace.client()
    token = csrf_of(client.get("/login").text)
    name = f"ana-{workspace.backend}"
    statuses = [
        client.post(
            "/login", data={"username": name, "password": "guess", "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "no secret key"),
        ("changeme", "default"),
        ("a" * 40, "default"),
        ("Ab1!xY9@", "shorter"),
    ],
)
def test_no_start_without_a_real_secret(
    key: str | None, message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    if key is not None:
        monkeypatch.setenv(SECRET_ENV, key)
    with pytest.raises(ConfigError, match=message):
        load_secret()
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    if key is not None:
        env[SECRET_ENV] = key
    done = subprocess.run(
        [sys.executable, "-m", "trajforge", "review", "serve", "--db", str(tmp_path / "r.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_key_file_is_read(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("q8Vv3nJz0LwX4p2Rk7sYt1MuA9bC5dEf\n")
    assert load_secret(key) == "q8Vv3nJz0LwX4p2Rk7sYt1MuA9bC5dEf"
