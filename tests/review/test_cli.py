"""``trajforge review``'s commands: accounts, assignment, import of any format and of the audit
review queue (strata kept), and errors in one or two lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import select

from tests.conftest import Outcome
from trajforge.io import read_trajectories
from trajforge.review.db import open_database
from trajforge.review.models import Item, Membership, User


def test_accounts_assignment_and_imports(
    trajforge: Callable[..., Outcome],
    generated: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = str(tmp_path / "review.db")
    monkeypatch.setenv("REVIEW_PASSWORD", "a long password")
    assert (
        trajforge(
            "review",
            "create-user",
            "root",
            "--role",
            "admin",
            "--password-env",
            "REVIEW_PASSWORD",
            "--db",
            db,
        ).code
        == 0
    )
    assert (
        trajforge(
            "review", "create-user", "ana", "--password-env", "REVIEW_PASSWORD", "--db", db
        ).code
        == 0
    )
    taken = trajforge(
        "review", "create-user", "ana", "--password-env", "REVIEW_PASSWORD", "--db", db
    )
    assert (taken.code, taken.stderr) == (1, "error: username: the username 'ana' is taken")
    assert trajforge("review", "assign", "queue", "ana", "--db", db).code == 0
    done = trajforge("review", "import", str(generated), "--project", "queue", "--db", db)
    assert done.stdout == "queued 6 trajectories in queue"
    trajectories = list(read_trajectories(generated))
    entries = [
        {
            "id": t.id,
            "stratum": {"outcome": t.outcome.status},
            "stratum_size": 6,
            "stratum_sample": 2,
            "trajectory": msgspec.to_builtins(t),
        }
        for t in trajectories[:2]
    ]
    queue = tmp_path / "review-queue.jsonl"
    queue.write_bytes(b"".join(msgspec.json.encode(e) + b"\n" for e in entries))
    done = trajforge(
        "review", "import", str(queue), "--from", "audit-queue", "--project", "audit", "--db", db
    )
    assert done.stdout == "queued 2 trajectories in audit"
    database = open_database(db)
    with database.session() as session:
        users = {u.username: u.role for u in session.scalars(select(User))}
        audit = session.scalars(select(Item).where(Item.stratum.is_not(None))).all()
        members = session.scalars(select(Membership)).all()
    assert users == {"root": "admin", "ana": "reviewer"}
    assert len(members) == 1
    assert [(i.trajectory_id, msgspec.json.decode(i.stratum or "")) for i in audit] == [
        (t.id, {"outcome": t.outcome.status}) for t in trajectories[:2]
    ]


def test_bad_input_is_one_line(trajforge: Callable[..., Outcome], tmp_path: Path) -> None:
    db = str(tmp_path / "review.db")
    queue = tmp_path / "queue.jsonl"
    queue.write_text(
        '{"id": "x", "stratum": {}, "stratum_size": 0, "stratum_sample": 1, "trajectory": {}}\n'
    )
    done = trajforge(
        "review", "import", str(queue), "--from", "audit-queue", "--project", "p", "--db", db
    )
    assert done.code == 1
    assert done.stderr.startswith(f"error: line 1 of {queue}: stratum_size")
    missing = trajforge(
        "review", "import", str(tmp_path / "none.jsonl"), "--project", "p", "--db", db
    )
    assert missing.code == 1
    assert "Traceback" not in missing.stderr
    bad_db = trajforge(
        "review",
        "import",
        str(queue),
        "--project",
        "p",
        "--db",
        "postgresql://nobody@127.0.0.1:1/x",
    )
    assert bad_db.code == 1
    assert bad_db.stderr.startswith("error: --db: cannot reach the review database")
