"""Retried submissions: ``Idempotency-Key`` and duplicate detection by SHA-256 within a submitter's
pending items, so a client that lost an answer and sends again gets the first suggestion back;
and neutralised bidirectional-control characters in titles and file names."""

from __future__ import annotations

import re

from fastapi.responses import Response
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .db import Database
from .errors import conflict, unprocessable
from .models import Suggestion

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY = 128
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,128}$")
SUBMIT_LOCK = 0x646D  # first key of the per-submitter advisory lock (PostgreSQL)
# Characters that reorder displayed text (RLO/LRO/embeddings/isolates/marks): shown as [U+XXXX].
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BIDI_RE = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def neutralise(value: str) -> str:
    """Replace bidirectional controls with a visible ``[U+202E]`` so nothing displays reordered."""
    return _BIDI_RE.sub(lambda m: f"[U+{ord(m.group()):04X}]", value)


def checked_key(key: str | None) -> str | None:
    """The ``Idempotency-Key`` header, or 422 for one that is not 1–128 visible ASCII characters."""
    if key is None:
        return None
    if not _KEY_RE.match(key):
        raise unprocessable(f"{IDEMPOTENCY_HEADER} 应为 1–{MAX_KEY} 个可见 ASCII 字符")
    return key


def existing(
    session: Session, user_id: int, key: str | None, digest: str, title: str, filename: str | None
) -> Suggestion | None:
    """The suggestion this submission repeats: same key, or — without one — the same SHA-256, title
    and file name still pending for this submitter; 409 when the key was used for another document."""
    if key is not None:
        found = session.execute(
            select(Suggestion).where(Suggestion.submitted_by == user_id, Suggestion.idempotency_key == key)
        ).scalar()
        if found is not None:
            if found.sha256 != digest:
                raise conflict(f"{IDEMPOTENCY_HEADER} 已用于另一份文件（建议编号 {found.id}），请为新文件使用新的键")
            return found
    same_file = Suggestion.filename.is_(None) if filename is None else Suggestion.filename == filename
    return session.execute(
        select(Suggestion)
        .where(
            Suggestion.submitted_by == user_id,
            Suggestion.sha256 == digest,
            Suggestion.status == "pending",
            Suggestion.title == title,
            same_file,
        )
        .order_by(Suggestion.id)
        .limit(1)
    ).scalar()


def lock_submitter(db: Database, session: Session, user_id: int) -> None:
    """Serialise one submitter's inserts (PostgreSQL; SQLite writers are already serial), so two
    concurrent retries cannot both insert."""
    if db.dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": SUBMIT_LOCK, "b": user_id})


def mark_replayed(response: Response | None) -> None:
    """Answer 200 (not 201) with ``Idempotent-Replayed: true``: nothing new was created."""
    if response is not None:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"
