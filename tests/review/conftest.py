"""The review tests' shared, expensive fixtures: one database server per backend (SQLite, and
a real PostgreSQL), one workspace server per backend, one headless Chromium (Debian's) for the
tests of this package. Every test runs on both backends."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser import chromium
from tests.review.postgres import free_port, postgres_server
from trajforge.review.app import create_app
from trajforge.review.db import Database, open_database
from trajforge.review.importing import import_trajectories
from trajforge.review.models import Item, User
from trajforge.review.store import assign, create_user, items_of, project_named, user_named
from trajforge.run.runner import Runner
from trajforge.run.spec import spec_from_flags

T = TypeVar("T")
SECRET = "test-secret-" + "k3y" * 12
PASSWORD = "correct horse battery"
#: name -> (role, projects)
USERS = {
    "admin": ("admin", ()),
    "ana": ("reviewer", ("alpha",)),
    "cy": ("reviewer", ("alpha",)),
    "bo": ("reviewer", ("beta",)),
}


@dataclass
class Workspace:
    """A running workspace: its URL and database, and the public ids of what it holds."""

    url: str
    database: Database
    db_url: str
    backend: str
    projects: dict[str, str] = field(default_factory=dict)
    items: dict[str, list[str]] = field(default_factory=dict)

    def client(self, user: str | None = None) -> httpx.Client:
        """An HTTP client, signed in as ``user`` (anonymous if None)."""
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)
        if user is not None:
            token = csrf_of(client.get("/login").text)
            form = {"username": user, "password": PASSWORD, "csrf_token": token}
            response = client.post("/login", data=form)
            assert response.status_code == 303, response.text
        return client


def item_and_user(session: Session, key: str, username: str) -> tuple[Item, User]:
    """The item with public id ``key`` and the account ``username`` (both must exist)."""
    item = session.scalar(select(Item).where(Item.key == key))
    user = session.scalar(select(User).where(User.username == username))
    assert item is not None
    assert user is not None
    return item, user


def csrf_of(html: str) -> str:
    """The CSRF token a page carries."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def in_thread(work: Callable[[], T]) -> T:
    """Run ``work`` in another thread (Playwright's sync API holds this thread's event loop,
    so ``asyncio.run`` cannot run here)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


#: one chromium for this package's browser tests (see tests/browser.py)
browser = pytest.fixture(scope="package", name="browser")(chromium)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few support episodes of the scripted expert, some with mistakes and faults."""
    out = tmp_path_factory.mktemp("generated") / "run"
    spec = spec_from_flags(
        {
            "mix": [{"env": "support", "tasks": 6, "mistakes": 0.4, "faults": "flaky"}],
            "seed": 3,
            "format": "jsonl",
        }
    )
    in_thread(lambda: asyncio.run(Runner(spec, out).run()))
    return out


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database of each backend."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("sqlite") / "review.db")
        return
    with postgres_server() as url:
        yield url


def _seed(database: Database, generated: Path) -> None:
    with database.transaction() as session:
        for name, (role, projects) in USERS.items():
            user = create_user(session, name, PASSWORD, role)
            for project in projects:
                assign(session, project_named(session, project, create=True), user)
        project_named(session, "beta", create=True)
    import_trajectories(database, "alpha", str(generated))
    import_trajectories(database, "beta", str(generated))


@pytest.fixture(scope="session")
def workspace(db_url: str, generated: Path) -> Iterator[Workspace]:
    """The workspace server over a seeded database, in a thread of this process."""
    database = open_database(db_url)
    _seed(database, generated)
    port = free_port()
    config = uvicorn.Config(
        create_app(database, SECRET), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the workspace did not start"
        time.sleep(0.02)
    ws = Workspace(
        url=f"http://127.0.0.1:{port}",
        database=database,
        db_url=db_url,
        backend="postgresql" if "://" in db_url else "sqlite",
    )
    with database.session() as session:
        for name in ("alpha", "beta"):
            project = project_named(session, name)
            ws.projects[name] = project.key
            ws.items[name] = [i.key for i in items_of(session, project)]
        assert user_named(session, "admin") is not None
    yield ws
    server.should_exit = True
    thread.join(timeout=10)
    database.engine.dispose()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) for one test."""
    ctx = browser.new_context()
    yield ctx
    ctx.close()


def login(page: Page, workspace: Workspace, user: str) -> None:
    """Sign ``user`` in through the login form."""
    page.goto(workspace.url + "/login")
    page.fill('input[name="username"]', user)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(workspace.url + "/")
