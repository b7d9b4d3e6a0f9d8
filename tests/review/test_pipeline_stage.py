"""Review as a pipeline stage: ``[review]`` in ``trajforge run``'s config merges the human labels
of the review database onto the trajectories (on both backends), runs again when new grades
were saved, and is checked like the other tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.review.conftest import Workspace, item_and_user
from trajforge.errors import ConfigError
from trajforge.io import read_trajectories
from trajforge.pipeline.config import load_pipeline_config
from trajforge.pipeline.run_pipeline import run_pipeline
from trajforge.pipeline.run_pipeline_plan import plan_pipeline
from trajforge.review.store import GradeInput, save_grade


def _grade(ws: Workspace, key: str, user: str, step: int, label: str) -> str:
    """``user`` grades one step of an item; returns its trajectory id."""
    with ws.database.transaction() as session:
        item, reviewer = item_and_user(session, key, user)
        save_grade(session, item, reviewer, GradeInput(step=step, label=label), 0)
        return item.trajectory_id


def _config(tmp_path: Path, generated: Path, db: str) -> Path:
    path = tmp_path / "pipe.toml"
    path.write_text(
        f'[source]\npath = "{generated}"\n\n[review]\ndb = "{db}"\nproject = "alpha"\n',
        encoding="utf-8",
    )
    return path


def _human(out: Path, trajectory_id: str, step: int) -> list[tuple[str, str | None, str | None]]:
    data = out / "04-review" / "data"  # after source, verify and grade (skipped here)
    found = {t.id: t for t in read_trajectories(data)}
    return [
        (x.name, x.grade, x.source.id)
        for x in found[trajectory_id].steps[step].labels
        if x.source.kind == "human"
    ]


def test_review_labels_flow_into_a_pipeline(
    workspace: Workspace, generated: Path, tmp_path: Path
) -> None:
    key = workspace.items["alpha"][2]  # graded by no other test
    trajectory_id = _grade(workspace, key, "ana", 1, "redundant")
    config = load_pipeline_config(_config(tmp_path, generated, workspace.db_url))
    out = tmp_path / "out"
    outcomes = run_pipeline(config, out)
    ran = {o.stage.name: o.status for o in outcomes if o.status != "skipped"}
    assert ran == {"source": "given", "review": "ran"}
    assert _human(out, trajectory_id, 1) == [("human_step_grade", "redundant", "ana")]
    again = run_pipeline(config, out)
    assert again[3].status == "done before"  # nothing new in the database
    _grade(workspace, key, "cy", 1, "correct")
    rerun = run_pipeline(config, out)
    assert rerun[3].status == "ran"  # a new grade: the stage runs again
    assert sorted(_human(out, trajectory_id, 1)) == [
        ("human_step_grade", "correct", "cy"),
        ("human_step_grade", "redundant", "ana"),
    ]


@pytest.mark.parametrize(
    ("review", "message"),
    [
        ('db = "missing.db"', "review.db: no review database at"),
        ('db = "sqlite+nothing:///x"', "review.db: not a database URL"),
        ('db = "r.db"\nproject = 3', "review.project: expected string or null, got integer"),
        ('db = "r.db"\ncolour = "red"', "review: object contains unknown field 'colour'"),
    ],
)
def test_the_review_table_is_checked(tmp_path: Path, review: str, message: str) -> None:
    (tmp_path / "r.db").write_bytes(b"")
    path = tmp_path / "pipe.toml"
    path.write_text(f'[source]\npath = "data"\n\n[review]\n{review}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_pipeline_config(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_planning_only_reads_the_review_database(tmp_path: Path) -> None:
    """A plan (``--dry-run`` too) never migrates or writes the database; one that is not a review
    database is a located error."""
    (tmp_path / "r.db").write_bytes(b"")
    path = tmp_path / "pipe.toml"
    path.write_text('[source]\npath = "data"\n\n[review]\ndb = "r.db"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        plan_pipeline(load_pipeline_config(path), tmp_path / "out", None)
    assert "review.db: cannot read the review database" in str(caught.value)
    assert str(path) in str(caught.value)
    with sqlite3.connect(tmp_path / "r.db") as connection:  # not migrated: no tables made
        assert connection.execute("select name from sqlite_master").fetchall() == []
