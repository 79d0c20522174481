"""Append-only, keyed hash chain of audit events, anchored by signed checkpoints outside the database.

Each event's hash is an HMAC-SHA256, under the audit key (a file in the data directory, never in
the database), of the canonical JSON of the event (id, time, actor, action, object, detail)
together with the previous event's hash: someone who can write to the database but does not hold
the key cannot forge, edit, reorder or re-hash events without the chain breaking. Events written
before the key existed (plain sha256) form a prefix fixed by the first checkpoint.

Checkpoints — (event count, last id, head hash), HMAC-signed — are appended to a file in the data
directory at start, periodically and on export, so that cutting events off the end, or replacing
the tail, is noticed too. Events hold ids, codes and hashes only: never document text, titles,
reasons or tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import guards, integrity
from .db import Database
from .models import AuditEvent, utcnow

GENESIS_HASH = "0" * 64
CHECKPOINT_FILE = "audit_checkpoints.jsonl"


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def text_hash(value: str) -> str:
    """sha256 of a text, the only form in which free text may reach the audit log."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def event_hash(event: AuditEvent, key: bytes | None) -> str:
    """The hash an event must carry: HMAC under ``key`` (plain sha256 for legacy events, key None)."""
    body = {
        "id": event.id,
        "at": event.at,
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "detail": json.loads(event.detail),
        "prev_hash": event.prev_hash,
    }
    raw = canonical_json(body).encode("utf-8")
    if key is None:
        return hashlib.sha256(raw).hexdigest()
    return hmac.new(key, raw, hashlib.sha256).hexdigest()


def record(
    db: Database,
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    object_type: str = "",
    object_id: object = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event inside the caller's write transaction (so it commits with the change)."""
    if db.audit_key is None:
        raise RuntimeError("audit key missing: open the database with Database(url, audit_key=...)")
    db.lock_audit_chain(session)
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    # Ids are assigned here, under the chain lock, because the id is hashed and rows are
    # never updated after insertion (a trigger refuses it).
    event = AuditEvent(
        id=(last.id + 1) if last else 1,
        at=utcnow().isoformat(timespec="microseconds"),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=canonical_json(detail or {}),
        prev_hash=last.hash if last else GENESIS_HASH,
        hash="",
    )
    event.hash = event_hash(event, db.audit_key)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class Checkpoint:
    """The chain's state at one moment, signed with the audit key."""

    events: int
    last_id: int
    head: str
    at: str
    legacy_upto: int = 0  # events up to this id were written before the key (plain sha256)

    def body(self) -> dict[str, Any]:
        """The signed fields."""
        return asdict(self)

    def signed(self, key: bytes) -> dict[str, Any]:
        """The fields with their HMAC (the checkpoint file's line, and the export)."""
        body = self.body()
        return {**body, "mac": hmac.new(key, canonical_json(body).encode("utf-8"), hashlib.sha256).hexdigest()}

    @classmethod
    def parse(cls, data: Any, key: bytes) -> Checkpoint | None:
        """A checkpoint from its signed form; None when the signature or a field is wrong."""
        try:
            cp = cls(
                events=int(data["events"]),
                last_id=int(data["last_id"]),
                head=str(data["head"]),
                at=str(data["at"]),
                legacy_upto=int(data.get("legacy_upto", 0)),
            )
            mac = str(data["mac"])
        except (KeyError, TypeError, ValueError):
            return None
        return cp if hmac.compare_digest(cp.signed(key)["mac"], mac) else None


class CheckpointStore:
    """The checkpoint file in the data directory (one signed JSON line per checkpoint)."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self.key = key
        self._lock = threading.Lock()

    def read(self) -> tuple[list[Checkpoint], int]:
        """Valid checkpoints, and how many lines are not (edited or forged lines)."""
        if not self.path.exists():
            return [], 0
        good: list[Checkpoint] = []
        bad = 0
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                cp = Checkpoint.parse(json.loads(line), self.key)
            except ValueError:
                cp = None
            if cp is None:
                bad += 1
            else:
                good.append(cp)
        return good, bad

    def last(self) -> Checkpoint | None:
        """The checkpoint furthest along the chain."""
        good, _ = self.read()
        return max(good, key=lambda c: c.last_id, default=None)

    def append(self, cp: Checkpoint) -> None:
        """Add a checkpoint line, flushed to disk."""
        line = (canonical_json(cp.signed(self.key)) + "\n").encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)


def _head(session: Session) -> tuple[int, int, str]:
    count = int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    return count, (last.id if last else 0), (last.hash if last else GENESIS_HASH)


def checkpoint(db: Database, store: CheckpointStore) -> Checkpoint:
    """Write a checkpoint of the current head (unless the last one already has it) and return it."""
    previous = store.last()
    with db.read() as session:
        count, last_id, head = _head(session)
    if previous is not None and previous.last_id == last_id and previous.head == head:
        return previous
    cp = Checkpoint(count, last_id, head, utcnow().isoformat(), previous.legacy_upto if previous else 0)
    store.append(cp)
    return cp


def anchor(db: Database, store: CheckpointStore) -> Checkpoint:
    """At start: on the first start with a key, fix the legacy (unkeyed) prefix, seal existing rows
    and write the first checkpoint; later, just checkpoint."""
    good, _ = store.read()
    if good:
        return checkpoint(db, store)
    legacy = _legacy_prefix(db)
    with db.write() as session:
        sealed = integrity.seal_unsealed(session, store.key)
        if legacy or any(sealed.values()):
            record(db, session, "audit.keyed", object_type="audit", detail={"legacy_upto": legacy, "sealed": sealed})
    with db.read() as session:
        count, last_id, head = _head(session)
    cp = Checkpoint(count, last_id, head, utcnow().isoformat(), legacy)
    store.append(cp)
    return cp


def _legacy_prefix(db: Database, batch: int = 2000) -> int:
    """Id of the last event of the leading run that verifies as a plain sha256 chain (0 if none)."""
    prev, legacy = GENESIS_HASH, 0
    with db.read() as session:
        for event in integrity.rows_after(session, AuditEvent, batch):
            try:
                good = event.prev_hash == prev and event.hash == event_hash(event, None)
            except (ValueError, TypeError):
                good = False
            if not good:
                break
            prev, legacy = event.hash, event.id
    return legacy


@dataclass(frozen=True)
class ChainReport:
    """Result of checking the chain, the checkpoints, the row seals and the guards."""

    ok: bool
    events: int
    first_broken: int | None
    reason: str = ""
    checkpoint: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    guards_missing: list[str] = field(default_factory=list)
    last_id: int = 0
    head: str = GENESIS_HASH

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of ``/v1/audit/verify``."""
        return {k: v for k, v in asdict(self).items() if k not in ("last_id", "head")}


def verify(
    db: Database,
    store: CheckpointStore | None = None,
    *,
    since: Checkpoint | None = None,
    rows: bool = True,
    extra: tuple[Checkpoint, ...] = (),
    batch: int = 2000,
) -> ChainReport:
    """Recompute the chain (from ``since`` only, when given) and compare it with every checkpoint
    (the file's and ``extra``); with ``rows``, check the row seals and decisions too.

    ``first_broken`` names the first event edited, removed, reordered or forged; when events were
    cut off the end it is the first missing id.
    """
    key = db.audit_key
    checkpoints, bad_lines = store.read() if store is not None else ([], 0)
    checkpoints = [*checkpoints, *extra]
    legacy = max((c.legacy_upto for c in checkpoints), default=0)
    heads: dict[int, str] = {}
    wanted = {c.last_id for c in checkpoints}
    with db.read() as session:
        count, prev, last_id = 0, GENESIS_HASH, 0
        if since is not None and since.last_id:
            anchor_hash = session.execute(select(AuditEvent.hash).where(AuditEvent.id == since.last_id)).scalar()
            if anchor_hash != since.head:
                return _broken(session, since.last_id, "检查点处的事件已被改动或删除")
            count, prev, last_id = since.events, since.head, since.last_id
            heads[last_id] = prev
        for event in integrity.rows_after(session, AuditEvent, batch, after=last_id):
            try:
                expected = event_hash(event, None if event.id <= legacy or key is None else key)
            except (ValueError, TypeError):  # detail no longer valid JSON
                expected = None
            if event.prev_hash != prev or event.hash != expected:
                return _broken(session, event.id, "事件内容、顺序或哈希与审计链不符")
            if event.id in wanted:
                heads[event.id] = event.hash
            count += 1
            prev, last_id = event.hash, event.id
        last_cp = max(checkpoints, key=lambda c: c.last_id, default=None)
        cp_info = {"events": last_cp.events, "last_id": last_cp.last_id, "at": last_cp.at} if last_cp else None
        for cp in sorted(checkpoints, key=lambda c: c.last_id):
            if cp.last_id == 0 or (since is not None and cp.last_id < since.last_id):
                continue
            if cp.last_id > last_id:
                return _broken(session, last_id + 1, f"检查点（{cp.at}）记录的事件 {cp.last_id} 之前的事件已被删除", cp_info)
            if heads.get(cp.last_id) != cp.head:
                return _broken(session, cp.last_id, f"事件与检查点（{cp.at}）不符：审计链已被改写", cp_info)
        problems: list[str] = []
        if bad_lines:
            problems.append(f"检查点文件中有 {bad_lines} 行签名不符（文件被改动）")
        broken_rows = integrity.broken_rows(session, key) if rows and key is not None else []
        if broken_rows:
            problems.append(f"{len(broken_rows)} 条记录与其签名或审计事件不符（数据库被直接改动）")
        missing = guards.missing(session.connection())
        if missing:
            problems.append("数据库保护触发器缺失：" + "、".join(missing))
    return ChainReport(
        ok=not problems,
        events=count,
        first_broken=None,
        reason="；".join(problems),
        checkpoint=cp_info,
        rows=broken_rows,
        guards_missing=missing,
        last_id=last_id,
        head=prev,
    )


def _broken(session: Session, event_id: int, reason: str, cp: dict[str, Any] | None = None) -> ChainReport:
    count = int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())
    return ChainReport(ok=False, events=count, first_broken=event_id, reason=reason, checkpoint=cp)


class LiveVerifier:
    """Incremental checking for pages loaded often: only events after the last point found good
    (at first the last checkpoint) are recomputed; the full check is :func:`verify`."""

    def __init__(self) -> None:
        self._point: Checkpoint | None = None
        self._lock = threading.Lock()

    def check(self, db: Database, store: CheckpointStore) -> ChainReport:
        """Recompute what was appended since the last good point."""
        with self._lock:
            since = self._point or store.last()
        report = verify(db, store, since=since, rows=False)
        if report.ok:
            with self._lock:
                self._point = Checkpoint(report.events, report.last_id, report.head, "", 0)
        return report
