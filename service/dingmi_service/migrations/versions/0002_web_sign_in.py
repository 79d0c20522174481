"""Web sign-in: password hash, failed sign-ins, lock-out end and session version on users.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dingmi_service.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the sign-in columns (nullable or defaulted, so existing users keep working)."""
    op.add_column("users", sa.Column("password_hash", sa.String(255), nullable=True))
    op.add_column("users", sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
    op.add_column("users", sa.Column("locked_until", UTCDateTime, nullable=True))
    op.add_column("users", sa.Column("session_version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop the sign-in columns."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
        batch.drop_column("password_hash")
