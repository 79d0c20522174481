"""The reviewer's day (issue 12): 报请上级 to a named person, with a due date and its answer.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dingmi_service.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the escalations table."""
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("suggestion_id", sa.Integer, sa.ForeignKey("suggestions.id"), nullable=False),
        sa.Column("from_user", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("to_user", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("answered_at", UTCDateTime, nullable=True),
        sa.Column("answer_decision_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_escalations_suggestion_id", "escalations", ["suggestion_id"])
    op.create_index("ix_escalations_to_user", "escalations", ["to_user"])


def downgrade() -> None:
    """Drop the escalations table."""
    op.drop_index("ix_escalations_to_user", table_name="escalations")
    op.drop_index("ix_escalations_suggestion_id", table_name="escalations")
    op.drop_table("escalations")
