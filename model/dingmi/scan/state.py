"""Resumable scan state: one SQLite file in the output directory.

One row per path (the primary key, so a path can never appear twice), keyed for reuse by
size + mtime + sha256 (plus the file's stamp, which lets an unchanged file be recognised
without reading it) and by a fingerprint of everything that changes a result (catalog,
authority, engine version). WAL journal, one commit per result: a scan killed at any moment
keeps every committed row, and a rerun redoes only the rest. ``--rescan`` bumps an epoch
so that earlier rows no longer count as done.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dingmi.scan.walk import INTERNAL
from dingmi.scan.worker import Outcome

__all__ = ["STATE_FILE", "Known", "StateDB", "StateError"]

STATE_FILE = "scan_state.sqlite3"
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    path        TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    mtime_ns    INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    epoch       INTEGER NOT NULL,
    code        TEXT NOT NULL,
    row         TEXT NOT NULL,
    stamp       TEXT NOT NULL DEFAULT ''
);
"""


class StateError(Exception):
    """The output directory holds a state that cannot be used (other command, newer schema, corrupt)."""


@dataclass(frozen=True)
class Known:
    """What the state remembers about a path."""

    size: int
    mtime_ns: int
    sha256: str
    current: bool  # computed with the current fingerprint and epoch; a worker crash (DM139) never is
    stamp: str = ""  # dingmi.scan.walk.file_stamp() when the file was walked; "" = unknown


class StateDB:
    """The state file of one output directory, bound to one command (scan or declass)."""

    def __init__(self, out_dir: Path, kind: str, fingerprint: str) -> None:
        self.path = out_dir / STATE_FILE
        self.fingerprint = fingerprint
        try:
            self.conn = sqlite3.connect(self.path, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(_SCHEMA)
            columns = {c[1] for c in self.conn.execute("PRAGMA table_info(results)")}
            if "stamp" not in columns:  # a state written before stamps: its files are hashed once
                self.conn.execute("ALTER TABLE results ADD COLUMN stamp TEXT NOT NULL DEFAULT ''")
            meta = dict(self.conn.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            raise StateError(f"状态文件 {self.path} 已损坏（{exc}），请删除后重新扫描") from None
        if meta.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise StateError(f"状态文件 {self.path} 由不兼容的版本写入，请换一个输出目录")
        if meta.get("kind", kind) != kind:
            other = {"scan": "dingmi scan", "declass": "dingmi declass"}.get(meta["kind"], meta["kind"])
            raise StateError(f"输出目录中已有 {other} 的结果，请换一个输出目录")
        self.epoch = int(meta.get("epoch", "1"))
        self.changed = False
        with self.conn:
            self.conn.executemany(
                "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
                [("schema", SCHEMA_VERSION), ("kind", kind), ("epoch", str(self.epoch))],
            )

    def set_meta(self, **values: str) -> None:
        """Record run information (root, catalog version...)."""
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", values.items())

    def meta(self) -> dict[str, str]:
        """All recorded run information."""
        return dict(self.conn.execute("SELECT key, value FROM meta"))

    def new_epoch(self) -> None:
        """``--rescan``: every existing row stops counting as done (rows stay until replaced)."""
        self._changing()
        self.epoch += 1
        self.set_meta(epoch=str(self.epoch))

    def known(self) -> dict[str, Known]:
        """Every remembered path with its key and whether it is current."""
        rows = self.conn.execute("SELECT path, size, mtime_ns, sha256, fingerprint, epoch, code, stamp FROM results")
        return {
            path: Known(size, mtime, sha, fp == self.fingerprint and epoch == self.epoch and code != INTERNAL, stamp)
            for path, size, mtime, sha, fp, epoch, code, stamp in rows
        }

    def _changing(self) -> None:
        """Before the first change of a run: the outputs on disk no longer match the state."""
        if not self.changed:
            self.changed = True
            self.set_meta(outputs="")

    def outputs_current(self, digest: str) -> bool:
        """True when the outputs on disk were written from this exact state with these parameters."""
        return not self.changed and self.meta().get("outputs") == digest

    def put(self, outcome: Outcome, stamp: str = "") -> None:
        """Store one result and commit it (replaces the path's earlier row)."""
        self._changing()
        with self.conn:
            self.conn.execute(
                "INSERT INTO results(path, size, mtime_ns, sha256, fingerprint, epoch, code, row, stamp) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size=excluded.size, "
                "mtime_ns=excluded.mtime_ns, sha256=excluded.sha256, fingerprint=excluded.fingerprint, "
                "epoch=excluded.epoch, code=excluded.code, row=excluded.row, stamp=excluded.stamp",
                (outcome.path, outcome.size, outcome.mtime_ns, outcome.sha256, self.fingerprint, self.epoch,
                 outcome.code, outcome.row, stamp),
            )

    def restamp(self, items: list[tuple[str, int, str]]) -> None:
        """Record the new mtime and stamp of files found unchanged by their sha256 (row untouched)."""
        if items:
            with self.conn:
                self.conn.executemany("UPDATE results SET mtime_ns = ?, stamp = ? WHERE path = ?",
                                      ((mtime, stamp, path) for path, mtime, stamp in items))

    def forget(self, paths: set[str]) -> None:
        """Drop rows of files that no longer exist."""
        self._changing()
        with self.conn:
            self.conn.executemany("DELETE FROM results WHERE path = ?", ((p,) for p in paths))

    def rows(self) -> Iterator[str]:
        """Every row (JSON text), ordered by path."""
        yield from (row for (row,) in self.conn.execute("SELECT row FROM results ORDER BY path"))

    def count(self) -> int:
        """Number of rows."""
        return int(self.conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def close(self) -> None:
        """Checkpoint and close."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.conn.close()
