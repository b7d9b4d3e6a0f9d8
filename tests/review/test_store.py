"""The database layer on both backends: migrations match the models, concurrent edits of one
grade never both win, and the review-labels stage merges grades onto a stream."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from tests.review.conftest import Workspace, item_and_user
from trajforge.envs.approval import ApprovalRequest
from trajforge.errors import ConfigError, InputError
from trajforge.io import read_trajectories
from trajforge.review.approvals import record_decision
from trajforge.review.db import migrate
from trajforge.review.exporting import ReviewLabels
from trajforge.review.models import Approval, Base, Item, User
from trajforge.review.store import EditConflictError, GradeInput, project_named, save_grade
from trajforge.schema import Task, ToolCall, ToolSpec


def test_the_migrations_give_the_models(workspace: Workspace) -> None:
    migrate(workspace.database.engine)  # a second run changes nothing
    with workspace.database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def _save(workspace: Workspace, item_key: str, user: str, version: int, label: str) -> str:
    with workspace.database.session() as session:
        item, me = item_and_user(session, item_key, user)
        try:
            save_grade(session, item, me, GradeInput(step=2, label=label), version)
            session.commit()
        except EditConflictError:
            session.rollback()
            return "conflict"
        return "saved"


def test_concurrent_edits_of_one_grade(workspace: Workspace) -> None:
    key = workspace.items["beta"][0]
    for version in (0, 1):
        with ThreadPoolExecutor(10) as pool:
            outcomes = list(
                pool.map(
                    lambda i, v=version: _save(
                        workspace, key, "bo", v, ("error", "redundant")[i % 2]
                    ),
                    range(20),
                )
            )
        assert sorted(outcomes) == ["conflict"] * 19 + ["saved"]


def test_the_review_labels_stage(workspace: Workspace, generated: Path) -> None:
    key = workspace.items["beta"][1]
    assert _save(workspace, key, "bo", 0, "violation") == "saved"
    with workspace.database.session() as session:
        item = session.scalar(select(Item).where(Item.key == key))
        assert item is not None
        graded = item.trajectory_id
    stage = ReviewLabels(workspace.database, "beta")
    out = {t.id: t for t in stage(read_trajectories(generated))}
    labels = [(x.name, x.grade, x.source.id) for x in out[graded].steps[2].labels if stage.owns(x)]
    assert labels == [("human_step_grade", "violation", "bo")]
    again = next(iter(stage([out[graded]])))  # merging twice does not duplicate
    assert [x for x in again.steps[2].labels if stage.owns(x)] == [
        x for x in out[graded].steps[2].labels if stage.owns(x)
    ]


def test_edited_approval_arguments_follow_the_tools_schema(workspace: Workspace) -> None:
    schema = {
        "type": "object",
        "properties": {"service": {"type": "string"}},
        "required": ["service"],
        "additionalProperties": False,
    }
    request = ApprovalRequest(
        trajectory_id="t",
        task=Task(),
        tools=[ToolSpec(name="rollback", parameters=schema)],
        steps=[],
        step=0,
        action=0,
        call=ToolCall(id="c", name="rollback", arguments={}),
        violations=[],
    )
    with workspace.database.transaction() as session:
        project = project_named(session, "beta")
        admin = session.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        row = Approval(project_id=project.id, request=msgspec.json.encode(request).decode())
        session.add(row)
        session.flush()
        with pytest.raises(InputError, match="missing required argument 'service'"):
            record_decision(session, row, admin, "edit", reason="", arguments={}, version=1)
        with pytest.raises(ConfigError, match="a denial needs a reason"):
            record_decision(session, row, admin, "deny", reason=" ", arguments=None, version=1)
        record_decision(
            session, row, admin, "edit", reason="", arguments={"service": "api"}, version=1
        )
        with pytest.raises(EditConflictError):  # decided: a second decision is refused
            record_decision(session, row, admin, "approve", reason="", arguments=None, version=1)
    with workspace.database.session() as session:
        saved = session.get(Approval, row.id)
        assert saved is not None
        assert (saved.status, saved.arguments, saved.version) == ("edit", '{"service":"api"}', 2)
