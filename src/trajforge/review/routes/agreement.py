"""The agreement dashboard of a project (admins): reviewers with each other, and with the
automatic graders."""

from __future__ import annotations

from collections.abc import Hashable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import marks_mistake
from trajforge.review.agreement import (
    KINDS,
    collect,
    grader_agreement,
    kind_agreement,
)
from trajforge.review.models import Grade, Item, User
from trajforge.review.store import items_of, project_for, trajectory_of
from trajforge.review.web import DB, AdminUser, not_found, render

router = APIRouter()
#: What makes a step a mistake: the same as for exports (the default export options).
_OPTIONS = ExportOptions()


@router.get("/projects/{key}/agreement")
def agreement_page(request: Request, session: DB, me: AdminUser, key: str) -> Response:
    """Kappa per pair, alpha per kind, disagreements, and human-vs-grader agreement."""
    project = project_for(session, me, key)
    if project is None:
        raise not_found("project")
    rows = session.execute(
        select(
            Item.key,
            Grade.step,
            User.username,
            Grade.label,
            Grade.quality,
            Grade.ask_human,
            Grade.verdict,
        )
        .join(Item, Item.id == Grade.item_id)
        .join(User, User.id == Grade.user_id)
        .where(Item.project_id == project.id)
    ).all()
    ratings = collect(
        [
            (item, step, user, _values(step, label, quality, ask, verdict))
            for item, step, user, label, quality, ask, verdict in rows
        ]
    )
    kinds = [kind_agreement(kind, ratings[kind]) for kind in KINDS]
    graded = {item for item, *_ in rows}
    automatic: dict[str, dict[tuple[str, int], bool]] = {}
    items = {i.key: i for i in items_of(session, project)}
    for item_key in graded:
        for index, step in enumerate(trajectory_of(items[item_key]).steps):
            for label in step.labels:
                if label.source.kind == "human":
                    continue
                grader = f"{label.source.kind}:{label.source.id or label.name}"
                flags = automatic.setdefault(grader, {})
                flags[(item_key, index)] = flags.get((item_key, index), False) or marks_mistake(
                    label, _OPTIONS
                )
    graders = grader_agreement(ratings["class"], automatic, graded)
    context = {"project": project, "kinds": kinds, "graders": graders}
    return render(request, "agreement.html", context, me=me)


def _values(
    step: int, label: str | None, quality: int | None, ask: bool, verdict: str | None
) -> dict[str, Hashable]:
    if step < 0:
        return {"verdict": verdict}
    return {"class": label, "quality": quality, "ask_human": ask}
