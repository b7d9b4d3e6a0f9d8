"""Items assigned to reviewers one by one (on top of a project's members).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "item_assignments",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("item_id", "user_id"),
    )
    with op.batch_alter_table("item_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_assignments_user_id"), ["user_id"])


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("item_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_assignments_user_id"))
    op.drop_table("item_assignments")
