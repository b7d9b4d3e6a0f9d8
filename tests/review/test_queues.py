"""Queues from a filter (curation's filter language: ``--where`` conditions and a ``[filter]``
file) and items assigned to reviewers one by one: an assigned item is in its assignees' queues
only, and another reviewer of the project cannot open it (both backends)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import Outcome
from tests.review.conftest import Workspace
from trajforge.errors import ConfigError
from trajforge.io import read_trajectories
from trajforge.review.db import open_database
from trajforge.review.importing import import_trajectories
from trajforge.review.models import Item
from trajforge.review.selection import selection
from trajforge.review.store import assign_items, project_named, user_named

FILTER = """
[[filter.keep]]
length = "steps"
gt = 3

[[filter.drop]]
field = "outcome.status"
eq = "failure"
"""


def test_a_queue_from_a_filter(
    trajforge: Callable[..., Outcome], generated: Path, tmp_path: Path
) -> None:
    trajectories = list(read_trajectories(generated))
    db = str(tmp_path / "review.db")
    status = trajectories[0].outcome.status
    done = trajforge(
        "review", "import", str(generated), "--project", "p", "--db", db,
        "--where", f'field = "outcome.status", eq = "{status}"',
    )  # fmt: skip
    wanted = [t.id for t in trajectories if t.outcome.status == status]
    assert done.stdout == (
        f"queued {len(wanted)} of 6 trajectories in p (the others did not pass the filter)"
    )
    rules = tmp_path / "queue.toml"
    rules.write_text(FILTER, encoding="utf-8")
    done = trajforge("review", "import", str(generated), "--project", "q", "--db", db,
                     "--filter", str(rules))  # fmt: skip
    assert done.code == 0, done.stderr
    kept = [t.id for t in trajectories if len(t.steps) > 3 and t.outcome.status != "failure"]
    assert 0 < len(kept) < 6
    with open_database(db).session() as session:
        queued = {
            name: [i.trajectory_id for i in session.scalars(
                select(Item).where(Item.project_id == project_named(session, name).id)
                .order_by(Item.id))]
            for name in ("p", "q")
        }  # fmt: skip
    assert queued == {"p": wanted, "q": kept}


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("field = ", "error: --where[0]: not a condition"),
        ('field = "outcome.nothing", eq = 1', "error: --where[0].field: unknown field 'nothing'"),
        ('colour = "red"', "error: --where[0]: object contains unknown field 'colour'"),
    ],
)
def test_a_bad_condition_is_one_line(
    trajforge: Callable[..., Outcome], generated: Path, tmp_path: Path, where: str, message: str
) -> None:
    done = trajforge("review", "import", str(generated), "--project", "p",
                     "--db", str(tmp_path / "r.db"), "--where", where)  # fmt: skip
    assert done.code == 1
    assert done.stderr.startswith(message)
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "r.db").exists()  # refused before the database is opened


def test_a_filter_file_needs_its_table(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[keep]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no \\[filter\\] table"):
        selection(filter_path=str(rules))


def _queue(ws: Workspace, user: str, project: str) -> list[str]:
    """The item keys of ``project``'s page for ``user``."""
    page = ws.client(user).get(f"/projects/{project}").text
    return re.findall(r'href="/items/([^"#]+)"', page)


def test_items_assigned_one_by_one(workspace: Workspace, generated: Path) -> None:
    name = "gamma"
    selected = selection(['length = "steps", ge = 1'])
    assert import_trajectories(workspace.database, name, str(generated), selected=selected).queued
    with workspace.database.transaction() as session:
        project = project_named(session, name)
        ana, cy = user_named(session, "ana"), user_named(session, "cy")
        assert ana is not None
        assert cy is not None
        first = assign_items(session, project, [ana], 2)
        rest = assign_items(session, project, [ana, cy], None)
        key = project.key
        items = session.scalars(select(Item).where(Item.project_id == project.id)).all()
        keys = [i.key for i in sorted(items, key=lambda i: i.id)]
    assert (first, rest) == ({"ana": 2}, {"ana": 2, "cy": 2})
    ana_keys = [keys[0], keys[1], keys[2], keys[4]]  # 2 first, then dealt in turn
    cy_keys = [keys[3], keys[5]]
    assert _queue(workspace, "ana", key) == ana_keys
    assert _queue(workspace, "cy", key) == cy_keys
    assert _queue(workspace, "admin", key) == keys
    client = workspace.client("cy")
    assert [client.get(f"/items/{k}").status_code for k in keys] == [
        200 if k in cy_keys else 404 for k in keys
    ]
    assert workspace.client("bo").get(f"/items/{cy_keys[0]}").status_code == 404  # no member
