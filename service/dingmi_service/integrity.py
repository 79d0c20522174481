"""Row seals: an HMAC, under the audit key, of the security-relevant fields of users, API tokens
and suggestions, kept in each row's ``row_mac``. Every ORM write through :meth:`Database.write`
re-seals what it changed; a row edited or inserted by anyone holding only the database (no key)
no longer matches, is refused at sign-in and token checks, and is named by the audit verify.
Decisions are append-only and checked against their ``suggestion.decided`` audit events."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .db import KEY_INFO
from .models import ApiToken, AuditEvent, Decision, Suggestion, User

SEALED_TYPES = (User, ApiToken, Suggestion)
MAX_REPORTED = 20


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _digest(value: Any) -> str | None:
    if value is None:
        return None
    raw = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def fields(row: Any) -> dict[str, Any]:
    """What a row's seal covers."""
    if isinstance(row, User):
        keys = ("id", "name", "role", "authority", "active", "password_hash", "session_version")
        return {k: getattr(row, k) for k in keys}
    if isinstance(row, ApiToken):
        return {"id": row.id, "user_id": row.user_id, "token_hash": row.token_hash, "revoked_at": _iso(row.revoked_at)}
    assert isinstance(row, Suggestion)
    keys = (
        "id", "submitted_by", "title", "filename", "sha256", "char_count", "level", "period", "marking",
        "flags", "model_version", "catalog_version", "status", "decision_id", "idempotency_key",
    )  # fmt: skip
    return {
        **{k: getattr(row, k) for k in keys},
        "due_date": _iso(row.due_date),
        "text": _digest(row.text),
        "result": _digest(row.result),
    }


def seal(key: bytes, row: Any) -> str:
    """The HMAC a row must carry."""
    body = {"table": row.__tablename__, **fields(row)}
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hmac.new(key, raw.encode("utf-8"), hashlib.sha256).hexdigest()


def intact(key: bytes | None, row: Any) -> bool:
    """True when the row carries the right seal (always True without a key)."""
    if key is None:
        return True
    return row.row_mac is not None and hmac.compare_digest(row.row_mac, seal(key, row))


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    if session.info.get(KEY_INFO) is None:
        return
    pending = session.info.setdefault("dingmi_to_seal", set())
    pending.update(o for o in (*session.new, *session.dirty) if isinstance(o, SEALED_TYPES))


@event.listens_for(Session, "after_flush_postexec")
def _seal(session: Session, _context: Any) -> None:
    """Seal rows written by this flush (a changed seal is written by the next flush round)."""
    key = session.info.get(KEY_INFO)
    pending = session.info.pop("dingmi_to_seal", set())
    if key is None:
        return
    for row in pending:
        mac = seal(key, row)
        if row.row_mac != mac:
            row.row_mac = mac


def seal_unsealed(session: Session, key: bytes) -> dict[str, int]:
    """Seal rows that have no seal yet (rows written before migration 0003); counts per table."""
    counts: dict[str, int] = {}
    for model in SEALED_TYPES:
        n = 0
        for row in session.execute(select(model).where(model.row_mac.is_(None))).scalars():
            row.row_mac = seal(key, row)
            n += 1
        counts[model.__tablename__] = n
    return counts


def broken_rows(session: Session, key: bytes, batch: int = 500) -> list[dict[str, Any]]:
    """Rows whose seal does not match, and decisions that disagree with their audit event."""
    found: list[dict[str, Any]] = []
    for model in SEALED_TYPES:
        for row in rows_after(session, model, batch):
            if not intact(key, row):
                found.append({"table": model.__tablename__, "id": row.id})
                if len(found) >= MAX_REPORTED:
                    return found
    events = _decision_events(session)
    for decision in rows_after(session, Decision, batch):
        if not _decision_agrees(events.get(decision.id), decision):
            found.append({"table": "decisions", "id": decision.id})
            if len(found) >= MAX_REPORTED:
                break
    return found


def rows_after(session: Session, model: Any, batch: int, after: int = 0) -> Iterator[Any]:
    """Rows of ``model`` with id above ``after``, in id order, read ``batch`` at a time."""
    last = after
    while True:
        rows = list(session.execute(select(model).where(model.id > last).order_by(model.id).limit(batch)).scalars())
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def _decision_facts(d: Decision) -> dict[str, Any]:
    """A decision as its audit event describes it (event detail key → value)."""
    return {
        "action": d.action,
        "level": d.level,
        "period": d.period,
        "status": d.status,
        "supersedes": d.supersedes_id,
        "reason_sha256": hashlib.sha256(d.reason.encode("utf-8")).hexdigest() if d.reason else None,
        "scope_sha256": hashlib.sha256(d.knowledge_scope.encode("utf-8")).hexdigest() if d.knowledge_scope else None,
    }


def _decision_agrees(event: dict[str, Any] | None, decision: Decision) -> bool:
    """The decision row says what the event recorded (on every key the event carries)."""
    if event is None:
        return False
    facts = _decision_facts(decision)
    return all(event[k] == v for k, v in facts.items() if k in event)


def _decision_events(session: Session) -> dict[int, dict[str, Any]]:
    """decision id → the detail of the audit event that recorded it."""
    found: dict[int, dict[str, Any]] = {}
    query = select(AuditEvent.detail).where(AuditEvent.detail.like('%"decision_id":%'))
    for (raw,) in session.execute(query):
        try:
            detail = json.loads(raw)
            found.setdefault(int(detail["decision_id"]), detail)
        except (ValueError, KeyError, TypeError):
            continue
    return found
