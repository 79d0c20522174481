"""Initial schema: users, tokens, organisation profile, suggestions, decisions, audit log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dingmi_service.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("audit_events", "decisions")


def upgrade() -> None:
    """Create the tables and make the audit log and decisions append-only."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("authority", sa.String(4)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.CheckConstraint(
            "role IN ('drafter','responsible','archivist','admin','security','auditor')", name="ck_users_role"
        ),
        sa.CheckConstraint(
            "(role = 'responsible' AND authority IN ('绝密','机密','秘密'))"
            " OR (role <> 'responsible' AND authority IS NULL)",
            name="ck_users_authority",
        ),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
    )
    op.create_table(
        "org_profile",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("authorized_level", sa.String(4)),
        sa.Column("authorized_matters", sa.Text),
        sa.Column("authorized_until", sa.Date),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.Integer, sa.ForeignKey("users.id")),
        sa.CheckConstraint("id = 1", name="ck_org_profile_single"),
    )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("submitted_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("filename", sa.String(255)),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("text", sa.Text),
        sa.Column("char_count", sa.Integer, nullable=False),
        sa.Column("level", sa.String(4), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("marking", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("catalog_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decision_id", sa.Integer),
        sa.Column("due_date", sa.Date),
    )
    op.create_index("ix_suggestions_status_id", "suggestions", ["status", "id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("suggestion_id", sa.Integer, sa.ForeignKey("suggestions.id"), nullable=False, index=True),
        sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("decisions.id"), unique=True),
        sa.Column("decided_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("level", sa.String(4), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("marking", sa.String(64), nullable=False),
        sa.Column("knowledge_scope", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("basis_entry", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("expires_on", sa.Date),
    )
    op.create_index(
        "uq_decisions_first",
        "decisions",
        ["suggestion_id"],
        unique=True,
        sqlite_where=sa.text("supersedes_id IS NULL"),
        postgresql_where=sa.text("supersedes_id IS NULL"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.Integer),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    _append_only()


def _append_only() -> None:
    """Refuse UPDATE and DELETE on the append-only tables inside the database itself."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION dingmi_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION dingmi_append_only()"
            )


def downgrade() -> None:
    """Drop everything (development only)."""
    dialect = op.get_bind().dialect.name
    for table in ("audit_events", "decisions", "suggestions", "org_profile", "api_tokens", "users"):
        op.drop_table(table)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS dingmi_append_only()")
