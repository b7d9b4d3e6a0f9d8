"""Live approvals through the review database: a generate run's episode writes the call that
waits for a human as a pending approval, and polls until someone in the workspace decides (or
the declared time-out passes); the workspace lists pending approvals and records decisions."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

import msgspec
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trajforge.envs.approval import ApprovalDecision, ApprovalRequest, Verdict
from trajforge.errors import ConfigError
from trajforge.review.corrections import check_arguments
from trajforge.review.db import Database, open_database
from trajforge.review.models import Approval, User
from trajforge.review.store import EditConflictError, project_named

#: How long an episode waits for a decision by default (seconds); then the gate's default
#: (deny) applies.
DEFAULT_TIMEOUT_S: Final = 600.0
#: How often a waiting episode looks at the database.
POLL_S: Final = 0.25
DECISIONS: Final = ("approve", "deny", "edit")


class ReviewApprover:
    """An Approver whose decisions come from the review workspace at ``url``, in ``project``."""

    def __init__(
        self, url: str, project: str = "live approvals", *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self.database: Database = open_database(url)
        with self.database.transaction() as session:
            self.project_id = project_named(session, project, create=True).id
        self.timeout_s = timeout_s

    async def decide(self, request: ApprovalRequest) -> ApprovalDecision:
        """Queue ``request`` and wait for the decision (``timeout`` after ``timeout_s``)."""
        with self.database.transaction() as session:
            row = Approval(
                project_id=self.project_id, request=msgspec.json.encode(request).decode()
            )
            session.add(row)
            session.flush()
            approval_id = row.id
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            decision = await asyncio.to_thread(self._decision, approval_id)
            if decision is not None:
                return decision
            await asyncio.sleep(POLL_S)
        with self.database.transaction() as session:
            expired = session.execute(
                update(Approval)
                .where(Approval.id == approval_id, Approval.status == "pending")
                .values(status="timeout", version=Approval.version + 1)
            )
        if expired.rowcount == 0:  # type: ignore[attr-defined]  # decided at the last moment
            decision = self._decision(approval_id)
            if decision is not None:
                return decision
        return ApprovalDecision(verdict="timeout")

    def _decision(self, approval_id: int) -> ApprovalDecision | None:
        with self.database.session() as session:
            row = session.get(Approval, approval_id)
            if row is None or row.status in ("pending", "timeout"):
                return None
            reviewer = session.get(User, row.decided_by) if row.decided_by else None
            verdict: Verdict = row.status  # type: ignore[assignment]
            return ApprovalDecision(
                verdict=verdict,
                reviewer=reviewer.username if reviewer else None,
                reason=row.reason,
                arguments=msgspec.json.decode(row.arguments) if row.arguments else None,
            )


def request_of(approval: Approval) -> ApprovalRequest:
    """The request an approval row holds."""
    return msgspec.json.decode(approval.request, type=ApprovalRequest)


def pending(session: Session, project_ids: list[int]) -> list[Approval]:
    """The approvals still waiting in the given projects, oldest first."""
    query = (
        select(Approval)
        .where(Approval.status == "pending", Approval.project_id.in_(project_ids))
        .order_by(Approval.id)
    )
    return list(session.scalars(query))


def record_decision(
    session: Session,
    approval: Approval,
    user: User,
    decision: str,
    *,
    reason: str,
    arguments: Any,
    version: int,
) -> None:
    """Record ``user``'s decision on a pending approval made on the copy at ``version``; a
    ConfigError for an incomplete decision, an InputError for edited arguments that break the
    tool's schema, an EditConflictError when someone decided first."""
    if decision not in DECISIONS:
        raise ConfigError(f"unknown decision {decision!r}", path="decision")
    if decision == "deny" and not reason.strip():
        raise ConfigError("a denial needs a reason", path="reason")
    encoded = None
    if decision == "edit":
        request = request_of(approval)
        checked = check_arguments(request.tools, request.call.name, arguments)
        encoded = msgspec.json.encode(checked).decode()
    result = session.execute(
        update(Approval)
        .where(
            Approval.id == approval.id, Approval.version == version, Approval.status == "pending"
        )
        .values(
            status=decision,
            reason=reason.strip() or None,
            arguments=encoded,
            decided_by=user.id,
            version=version + 1,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise EditConflictError(
            "this call was decided (or timed out) since the page was loaded",
            hint="reload the approvals page",
        )
