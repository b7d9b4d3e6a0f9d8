"""Reading and writing the review database: accounts, projects and who may see them, items,
and grades with optimistic locking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from trajforge.errors import ConfigError, TrajforgeError
from trajforge.review.labels import STEP_CLASSES, VERDICTS
from trajforge.review.models import Grade, Item, ItemAssignment, Membership, Project, User, now
from trajforge.review.security import hash_password
from trajforge.schema import Trajectory, encode

ROLES = ("admin", "reviewer")
#: The longest username and project name accepted.
MAX_NAME = 200


class EditConflictError(TrajforgeError):
    """An edit made on a stale copy: someone saved the same thing since the page was loaded."""


def _name(value: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_NAME:
        raise ConfigError(f"a {what} needs 1 to {MAX_NAME} characters", path=what)
    return value


def create_user(session: Session, username: str, password: str, role: str) -> User:
    """A new account; a ConfigError for a taken name, an unknown role or a short password."""
    username = _name(username, "username")
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}", path="role", hint="admin or reviewer")
    if len(password) < 8:
        raise ConfigError("a password needs at least 8 characters", path="password")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ConfigError(f"the username {username!r} is taken", path="username")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def user_named(session: Session, username: str) -> User | None:
    """The account called ``username``, if any."""
    return session.scalar(select(User).where(User.username == username))


def project_named(session: Session, name: str, *, create: bool = False) -> Project:
    """The project called ``name`` (created when ``create``); a ConfigError when missing."""
    name = _name(name, "project")
    project = session.scalar(select(Project).where(Project.name == name))
    if project is None:
        if not create:
            raise ConfigError(f"no project {name!r}", path="--project")
        project = Project(name=name)
        session.add(project)
        session.flush()
    return project


def assign(session: Session, project: Project, user: User) -> None:
    """Give ``user`` access to ``project`` (once)."""
    if session.get(Membership, (project.id, user.id)) is None:
        session.add(Membership(project_id=project.id, user_id=user.id))
        session.flush()


def visible_projects(session: Session, user: User) -> Sequence[Project]:
    """The projects ``user`` may see: all for an admin, the assigned ones for a reviewer."""
    query = select(Project).order_by(Project.name)
    if user.role != "admin":
        query = query.join(Membership, Membership.project_id == Project.id).where(
            Membership.user_id == user.id
        )
    return session.scalars(query).all()


def can_see(session: Session, user: User, project_id: int) -> bool:
    """Whether ``user`` may see the project with database id ``project_id``."""
    return user.role == "admin" or session.get(Membership, (project_id, user.id)) is not None


def project_for(session: Session, user: User, key: str) -> Project | None:
    """The project with public id ``key`` if ``user`` may see it (None either way otherwise)."""
    project = session.scalar(select(Project).where(Project.key == key))
    if project is None or not can_see(session, user, project.id):
        return None
    return project


def item_for(session: Session, user: User, key: str) -> Item | None:
    """The item with public id ``key`` if ``user`` may see it: its project, and, for a
    reviewer, an item assigned to them or to nobody (None otherwise)."""
    query = select(Item).where(Item.key == key)
    if user.role != "admin":
        query = query.where(_open_to(user))
    item = session.scalar(query)
    if item is None or not can_see(session, user, item.project_id):
        return None
    return item


def _open_to(user: User) -> ColumnElement[bool]:
    """An item assigned to ``user``, or to nobody."""
    assigned = select(ItemAssignment.item_id).where(ItemAssignment.item_id == Item.id)
    return or_(~exists(assigned), exists(assigned.where(ItemAssignment.user_id == user.id)))


def queue_of(session: Session, project: Project, user: User) -> Sequence[Item]:
    """The items of ``project`` that ``user`` reviews, oldest first: all for an admin, those
    assigned to them or to nobody for a reviewer."""
    query = select(Item).where(Item.project_id == project.id).order_by(Item.id)
    if user.role != "admin":
        query = query.where(_open_to(user))
    return session.scalars(query).all()


def assign_items(
    session: Session, project: Project, users: Sequence[User], count: int | None
) -> dict[str, int]:
    """Deal the items of ``project`` that nobody is assigned to among ``users`` in turn, in
    queue order: ``count`` to each (all of them, split evenly, when None). Each user becomes
    a member of the project. Returns how many each got."""
    for user in users:
        assign(session, project, user)
    taken = select(ItemAssignment.item_id)
    free = session.scalars(
        select(Item.id)
        .where(Item.project_id == project.id, Item.id.not_in(taken))
        .order_by(Item.id)
    ).all()
    if count is not None:
        free = free[: count * len(users)]
    dealt = dict.fromkeys((u.username for u in users), 0)
    for k, item_id in enumerate(free):
        user = users[k % len(users)]
        session.add(ItemAssignment(item_id=item_id, user_id=user.id))
        dealt[user.username] += 1
    session.flush()
    return dealt


def add_item(
    session: Session,
    project: Project,
    trajectory: Trajectory,
    *,
    kind: str = "import",
    stratum: dict[str, str] | None = None,
    parent: Item | None = None,
    created_by: User | None = None,
) -> Item:
    """Queue ``trajectory`` in ``project``."""
    item = Item(
        project_id=project.id,
        trajectory_id=trajectory.id,
        kind=kind,
        steps=len(trajectory.steps),
        data=encode(trajectory).decode(),
        stratum=msgspec.json.encode(stratum).decode() if stratum else None,
        parent_id=parent.id if parent is not None else None,
        created_by=created_by.id if created_by is not None else None,
    )
    session.add(item)
    session.flush()
    return item


_decoder = msgspec.json.Decoder(Trajectory)


def trajectory_of(item: Item) -> Trajectory:
    """The trajectory an item holds."""
    return _decoder.decode(item.data)


def items_of(session: Session, project: Project) -> Sequence[Item]:
    """The items queued in ``project``, oldest first."""
    return session.scalars(
        select(Item).where(Item.project_id == project.id).order_by(Item.id)
    ).all()


def grades_by_step(session: Session, item: Item, user: User) -> dict[int, Grade]:
    """``user``'s grades of ``item`` by step (-1: the trajectory)."""
    rows = session.scalars(select(Grade).where(Grade.item_id == item.id, Grade.user_id == user.id))
    return {g.step: g for g in rows}


@dataclass(frozen=True, slots=True)
class GradeInput:
    """What a grading form sends: for a step (``step`` >= 0) a class, a quality and the
    should-have-asked mark; for the trajectory (``step`` -1) a verdict; a comment for both."""

    step: int
    label: str | None = None
    quality: int | None = None
    verdict: str | None = None
    ask_human: bool = False
    comment: str = ""

    def check(self, steps: int) -> None:
        """A ConfigError for a value out of range."""
        if not -1 <= self.step < steps:
            raise ConfigError(f"no step {self.step}", path="step")
        if self.label is not None and self.label not in STEP_CLASSES:
            raise ConfigError(f"unknown label class {self.label!r}", path="label")
        if self.quality is not None and not 1 <= self.quality <= 5:
            raise ConfigError("quality is 1 to 5", path="quality")
        if self.verdict is not None and self.verdict not in VERDICTS:
            raise ConfigError(f"unknown verdict {self.verdict!r}", path="verdict")
        if len(self.comment) > 10_000:
            raise ConfigError("the comment is longer than 10,000 characters", path="comment")


_STALE = "someone (or you, in another tab) saved this grade since the page was loaded"
_HINT = "reload the page to see the saved grade, then grade again"


def save_grade(session: Session, item: Item, user: User, grade: GradeInput, version: int) -> int:
    """Save ``user``'s grade of a step of ``item``, made on the copy at ``version`` (0: none
    existed); returns the new version. An EditConflictError when the saved grade moved on
    (the session must then be rolled back)."""
    values = {
        "label": grade.label,
        "quality": grade.quality,
        "verdict": grade.verdict,
        "ask_human": grade.ask_human,
        "comment": grade.comment,
        "updated_at": now(),
    }
    existing = session.scalar(
        select(Grade.id).where(
            Grade.item_id == item.id, Grade.user_id == user.id, Grade.step == grade.step
        )
    )
    if existing is None:
        if version != 0:
            raise EditConflictError(_STALE, hint=_HINT)
        try:  # a concurrent first save of the same grade breaks the unique constraint
            session.add(Grade(item_id=item.id, user_id=user.id, step=grade.step, **values))
            session.flush()
        except IntegrityError:
            raise EditConflictError(_STALE, hint=_HINT) from None
        return 1
    result = session.execute(
        update(Grade)
        .where(Grade.id == existing, Grade.version == version)
        .values(version=version + 1, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise EditConflictError(_STALE, hint=_HINT)
    return version + 1
