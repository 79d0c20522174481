"""Append-only, hash-chained audit log.

Each event's hash is sha256 over the canonical JSON of the event (id, time, actor, action,
object, detail) together with the previous event's hash, so editing, deleting or reordering
any stored event breaks the chain at that event. Events hold ids, codes and hashes only:
never document text, titles, reasons or tokens.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Database
from .models import AuditEvent, utcnow

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def text_hash(value: str) -> str:
    """sha256 of a text, the only form in which free text may reach the audit log."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def event_hash(event: AuditEvent) -> str:
    """The hash an event must carry, given its content and ``prev_hash``."""
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
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


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
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    """Result of recomputing the chain."""

    ok: bool
    events: int
    first_broken: int | None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of ``/v1/audit/verify``."""
        return {"ok": self.ok, "events": self.events, "first_broken": self.first_broken}


def verify(db: Database, batch: int = 2000) -> ChainReport:
    """Recompute every hash in id order; name the first event whose hash or link is wrong."""
    count = 0
    prev = GENESIS_HASH
    last_id = 0
    with db.read() as session:
        while True:
            rows = (
                session.execute(select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch))
                .scalars()
                .all()
            )
            if not rows:
                break
            for event in rows:
                count += 1
                try:
                    expected = event_hash(event)
                except (ValueError, TypeError):  # detail no longer valid JSON
                    expected = None
                if event.prev_hash != prev or event.hash != expected:
                    return ChainReport(ok=False, events=_count(session), first_broken=event.id)
                prev = event.hash
                last_id = event.id
    return ChainReport(ok=True, events=count, first_broken=None)


def _count(session: Session) -> int:
    from sqlalchemy import func

    return int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())
