"""The review database: accounts, projects, queued trajectory versions, grades, live approvals
and demonstrations (SQLAlchemy 2 models; the same on SQLite and PostgreSQL).

Rows that people edit carry a ``version`` that every edit must name: an edit made on a stale
page is refused with a conflict instead of overwriting someone else's work.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_key() -> str:
    """A public id for a row: random, so that nothing can be read by guessing ids."""
    return secrets.token_urlsafe(12)


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """The declarative base of every review table."""


class User(Base):
    """A person: an admin (everything) or a reviewer (the projects assigned to them)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Project(Base):
    """A review queue: trajectories to grade, and the reviewers assigned to it."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_key)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Membership(Base):
    """A reviewer assigned to a project."""

    __tablename__ = "memberships"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class ItemAssignment(Base):
    """An item assigned to a reviewer: an item with assignments is in its assignees' queues
    only (and an admin's); one without is in every member's."""

    __tablename__ = "item_assignments"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Item(Base):
    """One trajectory version in a project's queue: imported, a correction of another item
    (``parent_id``, lineage), a demonstration or a live episode's approval context."""

    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_key)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    trajectory_id: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(32), default="import")
    steps: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[str] = mapped_column(Text, deferred=True)
    stratum: Mapped[str | None] = mapped_column(Text, nullable=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Grade(Base):
    """A reviewer's grade of one step (``step`` >= 0) or of the whole trajectory (``step`` -1)."""

    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("item_id", "user_id", "step"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    step: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(64), nullable=True)
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ask_human: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Approval(Base):
    """A live episode's tool call waiting for a human (``status`` pending until decided)."""

    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_key)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    request: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    arguments: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Demonstration(Base):
    """An expert's trajectory in the making: environment, task and the decisions so far."""

    __tablename__ = "demonstrations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_key)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    environment: Mapped[str] = mapped_column(String(64))
    task: Mapped[str] = mapped_column(Text)
    decisions: Mapped[str] = mapped_column(Text, default="[]")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
