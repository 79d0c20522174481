"""Database access: engine set-up, read and write transactions, Alembic upgrade."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
KEY_INFO = "dingmi_mac_key"  # session.info key read by the row seals (integrity.py)
# Key of the PostgreSQL advisory lock that serialises audit-chain appends.
AUDIT_LOCK_KEY = 0x64696E676D69  # "dingmi"

_sqlite_write_locks: dict[str, threading.Lock] = {}
_sqlite_write_locks_guard = threading.Lock()


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_setup(engine: Engine) -> None:
    """WAL, a long busy timeout, foreign keys, and explicit BEGIN (IMMEDIATE for writes)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("dingmi_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One database (SQLite file or PostgreSQL) with read and write transactions."""

    def __init__(self, url: str, audit_key: bytes | None = None) -> None:
        """``audit_key`` keys the audit chain and the row seals; without it the database is read-only
        for audit purposes (recording an event raises)."""
        self.url = normalize_url(url)
        self.audit_key = audit_key
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            self.engine = create_engine(
                self.url,
                connect_args={"timeout": 30, "check_same_thread": False},
                pool_size=8,
                max_overflow=32,
                pool_timeout=60,
                hide_parameters=True,
            )
            _sqlite_setup(self.engine)
            key = str(parsed.database)
            with _sqlite_write_locks_guard:
                self._write_lock: threading.Lock | None = _sqlite_write_locks.setdefault(key, threading.Lock())
        else:
            self.engine = create_engine(
                self.url, pool_size=8, max_overflow=32, pool_timeout=60, pool_recycle=1800, hide_parameters=True
            )
            self._write_lock = None
        self._write_engine = self.engine.execution_options(dingmi_write=True)
        # PostgreSQL reads run in autocommit: under READ COMMITTED a read transaction gives no
        # extra consistency, and skipping BEGIN/ROLLBACK saves two round trips per read.
        self._read_engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT") if self.dialect == "postgresql" else self.engine
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction; closing the session rolls it back and leaves loaded objects usable."""
        with Session(self._read_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A serialisable-enough write transaction: committed on success, rolled back on any error.

        SQLite: one writer at a time (process lock + BEGIN IMMEDIATE). PostgreSQL: row locks
        taken by the callers plus the audit advisory lock.
        """
        lock = self._write_lock
        if lock is not None:
            lock.acquire()
        try:
            with Session(self._write_engine, expire_on_commit=False, info={KEY_INFO: self.audit_key}) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            if lock is not None:
                lock.release()

    def lock_audit_chain(self, session: Session) -> None:
        """Serialise audit appends across connections (PostgreSQL; SQLite writers are already serial)."""
        if self.dialect == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})

    def upgrade(self) -> None:
        """Apply all Alembic migrations (idempotent); a schema change is itself audited."""
        from . import audit  # audit needs this module; imported late to avoid a cycle

        before = self.current_revision()
        cfg = alembic_config()
        with self._write_engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        if self.dialect == "sqlite":
            path = make_url(self.url).database
            if path and path != ":memory:" and os.path.exists(path):
                os.chmod(path, 0o600)
        after = self.current_revision()
        if after != before:
            with self.write() as session:
                audit.record(
                    self,
                    session,
                    "schema.upgraded",
                    object_type="schema",
                    object_id=after or "",
                    detail={"from": before, "to": after},
                )

    def current_revision(self) -> str | None:
        """The database's Alembic revision (None when empty)."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """Newest migration revision shipped with the package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
