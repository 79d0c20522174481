"""Service hardening (issue 11).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Placeholder; filled in by the hardening changes."""


def downgrade() -> None:
    """Nothing to undo yet."""
