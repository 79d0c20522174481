"""Unauthenticated failures (bad tokens, unknown or locked sign-in names, throttled sign-ins,
forms without a valid CSRF token) counted per source per minute.

The first failure of a kind from a source in a minute is recorded at once with its details;
the rest of that minute is counted in memory and written as one ``auth.failed_summary`` event
when the minute is over, so a flood costs one audit write per source per minute.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import audit
from .db import Database

WINDOW = timedelta(minutes=1)
MAX_NAMES_KEPT = 10
MAX_WINDOWS = 10_000


@dataclass
class _Window:
    start: datetime
    count: int = 0  # failures beyond the first (recorded at once)
    names: set[str] = field(default_factory=set)  # name hashes or user ids seen


class FailureTally:
    """Per (kind, source, minute) counters; thread-safe."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], _Window] = {}
        self._closed: list[tuple[str, str, _Window]] = []
        self._lock = threading.Lock()

    def add(self, kind: str, source: str | None, now: datetime, name: str | None = None) -> bool:
        """Count one failure; True when it is the first of its minute (the caller records it)."""
        key = (kind, source or "-")
        start = now.replace(second=0, microsecond=0)
        with self._lock:
            window = self._windows.get(key)
            if window is not None and window.start != start:
                self._close(key, window)
                window = None
            if window is None:
                if len(self._windows) >= MAX_WINDOWS:  # bounded memory: close the oldest early
                    oldest = min(self._windows, key=lambda k: self._windows[k].start)
                    self._close(oldest, self._windows[oldest])
                self._windows[key] = _Window(start)
                return True
            window.count += 1
            if name and len(window.names) < MAX_NAMES_KEPT:
                window.names.add(name)
            return False

    def _close(self, key: tuple[str, str], window: _Window) -> None:
        del self._windows[key]
        if window.count:
            self._closed.append((key[0], key[1], window))

    def take(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Summaries of the minutes that are over (all of them when ``now`` is None)."""
        with self._lock:
            for key, window in list(self._windows.items()):
                if now is None or window.start + WINDOW <= now:
                    self._close(key, window)
            closed, self._closed = self._closed, []
        return [
            {
                "kind": kind,
                "client": None if source == "-" else source,
                "from": w.start.isoformat(),
                "to": (w.start + WINDOW).isoformat(),
                "count": w.count,
                "names": sorted(w.names),
            }
            for kind, source, w in closed
        ]

    def flush(self, db: Database, now: datetime | None = None) -> int:
        """Write one ``auth.failed_summary`` event per finished minute; returns how many."""
        summaries = self.take(now)
        if summaries:
            with db.write() as session:
                for detail in summaries:
                    audit.record(db, session, "auth.failed_summary", object_type="request", detail=detail)
        return len(summaries)
