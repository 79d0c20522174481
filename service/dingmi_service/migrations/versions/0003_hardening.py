"""Service hardening (issue 11): real-sized text columns, row seals, idempotency keys, TRUNCATE guards.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dingmi_service import guards

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Columns whose values come from catalogs or their file names (any length); SQLite does not
# enforce VARCHAR lengths, PostgreSQL does.
WIDENED = {
    "suggestions": ("period", "marking", "model_version", "catalog_version"),
    "decisions": ("period", "marking", "basis_entry"),
}
SEALED = ("users", "api_tokens", "suggestions")


def upgrade() -> None:
    """Widen catalog-derived columns, add row seals and idempotency keys, guard against TRUNCATE."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, columns in WIDENED.items():
            for column in columns:
                op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE text")
    for table in SEALED:
        op.add_column(table, sa.Column("row_mac", sa.String(64), nullable=True))
    op.add_column("suggestions", sa.Column("idempotency_key", sa.String(128), nullable=True))
    op.create_index(
        "uq_suggestions_idempotency", "suggestions", ["submitted_by", "idempotency_key"], unique=True
    )
    op.create_index("ix_suggestions_submitter_sha", "suggestions", ["submitted_by", "sha256", "status"])
    guards.install(bind)


def downgrade() -> None:
    """Drop the added columns and indexes (the widened columns stay text)."""
    op.drop_index("ix_suggestions_submitter_sha", table_name="suggestions")
    op.drop_index("uq_suggestions_idempotency", table_name="suggestions")
    with op.batch_alter_table("suggestions") as batch:
        batch.drop_column("idempotency_key")
    for table in SEALED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("row_mac")
