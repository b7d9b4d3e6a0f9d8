"""Human work back into trajforge: grades as schema Labels (source ``human``, the reviewer's
username as id) merged onto the trajectories, corrected versions and demonstrations as their
own trajectories, and the verdicts as the audit results ``trajforge audit summary`` reads.

``review export`` writes a project's items (a source of trajectories); :class:`ReviewLabels` is
the stage that merges the labels onto a stream of the same trajectories read elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trajforge import __version__
from trajforge.curate.review_queue import AuditResult, StepError
from trajforge.review.db import Database
from trajforge.review.labels import (
    ASK_HUMAN,
    GOOD_CLASSES,
    QUALITY_LABEL,
    STEP_GRADE,
    VERDICT,
    step_labels,
    verdict_label,
)
from trajforge.review.models import Grade, Item, User
from trajforge.review.store import project_named, trajectory_of
from trajforge.schema import Label, Trajectory

HUMAN_LABELS = frozenset({STEP_GRADE, QUALITY_LABEL, ASK_HUMAN, VERDICT})
#: Step labels by step (-1: the trajectory's).
Labels = dict[int, list[Label]]


def _grades(session: Session, item_ids: list[int]) -> dict[int, list[tuple[Grade, str]]]:
    rows = session.execute(
        select(Grade, User.username)
        .join(User, User.id == Grade.user_id)
        .where(Grade.item_id.in_(item_ids))
        .order_by(Grade.item_id, User.username, Grade.step)
    ).all()
    found: dict[int, list[tuple[Grade, str]]] = defaultdict(list)
    for grade, username in rows:
        found[grade.item_id].append((grade, username))
    return found


def labels_of(grades: Iterable[tuple[Grade, str]]) -> Labels:
    """The Labels of an item's grades, by step."""
    found: Labels = defaultdict(list)
    for grade, reviewer in grades:
        if grade.step < 0:
            if grade.verdict is not None:
                found[-1].append(verdict_label(reviewer, grade.verdict, grade.comment))
            continue
        found[grade.step].extend(
            step_labels(
                grade.step, reviewer, grade.label, grade.quality, grade.ask_human, grade.comment
            )
        )
    return found


def merge(trajectory: Trajectory, labels: Mapping[int, list[Label]]) -> Trajectory:
    """``trajectory`` with ``labels`` in place of the human grading labels it had."""
    trajectory.labels = [x for x in trajectory.labels if x.name not in HUMAN_LABELS]
    trajectory.labels.extend(labels.get(-1, []))
    for index, step in enumerate(trajectory.steps):
        step.labels = [x for x in step.labels if x.name not in HUMAN_LABELS]
        step.labels.extend(labels.get(index, []))
    return trajectory


def _items(session: Session, project: str | None) -> list[Item]:
    query = select(Item).order_by(Item.id)
    if project is not None:
        query = query.where(Item.project_id == project_named(session, project).id)
    return list(session.scalars(query))


def export_project(database: Database, project: str | None = None) -> Iterator[Trajectory]:
    """Every item of ``project`` (of all projects when None), with its human labels."""
    with database.session() as session:
        items = _items(session, project)
        grades = _grades(session, [i.id for i in items])
        for item in items:
            yield merge(trajectory_of(item), labels_of(grades.get(item.id, [])))


def audit_results(database: Database, project: str | None = None) -> list[AuditResult]:
    """One AuditResult per reviewer verdict (with the steps they flagged), for
    ``trajforge audit summary``."""
    results = []
    with database.session() as session:
        items = _items(session, project)
        grades = _grades(session, [i.id for i in items])
        for item in items:
            by_reviewer: dict[str, list[Grade]] = defaultdict(list)
            for grade, reviewer in grades.get(item.id, []):
                by_reviewer[reviewer].append(grade)
            for reviewer, own in sorted(by_reviewer.items()):
                verdict = next((g for g in own if g.step < 0 and g.verdict), None)
                if verdict is None:
                    continue
                errors = [
                    StepError(step=g.step, kind=g.label, note=g.comment or None)
                    for g in own
                    if g.step >= 0 and g.label is not None and g.label not in GOOD_CLASSES
                ]
                results.append(
                    AuditResult(
                        id=item.trajectory_id,
                        verdict=verdict.verdict,  # type: ignore[arg-type]
                        reviewer=reviewer,
                        step_errors=errors,
                        note=verdict.comment or None,
                    )
                )
    return results


def labels_state(database: Database, project: str | None = None) -> str:
    """What the grades of ``project`` (of all projects when None) are now, in a few words:
    how many, and the last saved (it changes whenever a grade is saved)."""
    with database.session() as session:
        items = func.count(func.distinct(Item.id))
        query = select(func.count(Grade.id), func.max(Grade.updated_at), items)
        query = query.select_from(Item).outerjoin(Grade, Grade.item_id == Item.id)
        if project is not None:
            query = query.where(Item.project_id == project_named(session, project).id)
        grades, last, count = session.execute(query).one()
    return f"{grades} grades of {count} items, the last at {last}"


class ReviewLabels:
    """A stage: merges the human labels of the review database onto the trajectories of a
    stream with the same ids (the ones imported into it); others pass unchanged."""

    name = "review-labels"
    version = __version__

    def __init__(self, database: Database, project: str | None = None) -> None:
        self.project = project
        self._labels: dict[str, Labels] = {}
        with database.session() as session:
            items = [i for i in _items(session, project) if i.kind == "import"]
            grades = _grades(session, [i.id for i in items])
            for item in items:
                self._labels[item.trajectory_id] = labels_of(grades.get(item.id, []))

    @property
    def params(self) -> Mapping[str, Any]:
        """The project read."""
        return {"project": self.project}

    def owns(self, label: Label) -> bool:
        """The human grading labels are this stage's."""
        return label.name in HUMAN_LABELS and label.source.kind == "human"

    def apply(self, trajectory: Trajectory) -> Trajectory:
        """The trajectory with its human labels."""
        labels = self._labels.get(trajectory.id)
        return trajectory if labels is None else merge(trajectory, labels)

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The stream with the human labels merged."""
        for trajectory in trajectories:
            yield self.apply(trajectory)
