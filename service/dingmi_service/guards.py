"""The database's own guards on the append-only tables: triggers refusing UPDATE, DELETE and
(PostgreSQL) TRUNCATE. Shared by the migrations and the start-up check, which restores missing
guards and says so in the audit log."""

from __future__ import annotations

from sqlalchemy import Connection, text

APPEND_ONLY_TABLES = ("audit_events", "decisions")
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION dingmi_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
)


def expected(dialect: str) -> dict[str, str]:
    """Trigger name → the DDL creating it."""
    ddl: dict[str, str] = {}
    for table in APPEND_ONLY_TABLES:
        if dialect == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                ddl[f"{table}_no_{verb.lower()}"] = (
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        elif dialect == "postgresql":
            ddl[f"{table}_append_only"] = (
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION dingmi_append_only()"
            )
            ddl[f"{table}_no_truncate"] = (
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION dingmi_append_only()"
            )
    return ddl


def present(conn: Connection) -> set[str]:
    """Names of the enabled guard triggers in the database."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    else:
        rows = conn.execute(
            text(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.oid IN (to_regclass('audit_events'), to_regclass('decisions')) "
                "AND NOT t.tgisinternal AND t.tgenabled <> 'D'"
            )
        )
    return {str(name) for (name,) in rows}


def missing(conn: Connection) -> list[str]:
    """Guard triggers that should exist and do not (or are disabled)."""
    have = present(conn)
    return sorted(name for name in expected(conn.dialect.name) if name not in have)


def install(conn: Connection, names: list[str] | None = None) -> None:
    """Create the named guards (all missing ones by default); a disabled one is re-enabled."""
    ddl = expected(conn.dialect.name)
    names = missing(conn) if names is None else names
    if conn.dialect.name == "postgresql" and names:
        conn.execute(text(PG_FUNCTION))
    for name in names:
        if conn.dialect.name == "postgresql":
            table = next(t for t in APPEND_ONLY_TABLES if name.startswith(t))
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
        conn.execute(text(ddl[name]))
