"""Sign-in throttling: rate limits per client address and per account name, and a small
dedicated pool for password checks so that a flood of sign-ins never occupies the event loop
or the thread pool the API runs on."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
MAX_TRACKED_KEYS = 10_000


class SlidingWindow:
    """At most ``limit`` events per key within ``window`` seconds (memory bounded by ``max_keys``)."""

    def __init__(self, limit: int, window: float, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str, now: float) -> float:
        """Count one event for ``key``; 0 when allowed, else the seconds until one is allowed again."""
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            self._hits[key] = hits  # most recently used last
            if len(hits) >= self.limit:
                return max(hits[0] + self.window - now, 0.001)
            hits.append(now)
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            return 0.0


@dataclass(frozen=True)
class Refused:
    """A sign-in attempt turned away before any password check."""

    reason: str  # "client_rate", "name_rate" or "busy"
    retry_after: int


class SignInGate:
    """Admission control for password checks.

    Attempts beyond ``per_client`` per minute from one address or ``per_name`` per minute for one
    account name are refused at once; admitted checks run on ``concurrency`` dedicated threads,
    with at most ``queue`` waiting (more are refused as ``busy``).
    """

    def __init__(self, *, per_client: int, per_name: int, concurrency: int, queue: int, window: float = 60.0) -> None:
        self.clients = SlidingWindow(per_client, window)
        self.names = SlidingWindow(per_name, window)
        self.queue = queue
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="dingmi-signin")
        self._pending = 0
        self._lock = threading.Lock()

    def admit(self, client: str | None, name: str, now: float | None = None) -> Refused | None:
        """Apply the rate limits (the name is compared case-folded and trimmed)."""
        now = time.monotonic() if now is None else now
        wait = self.clients.hit(f"c:{client or '-'}", now)
        if wait:
            return Refused("client_rate", math.ceil(wait))
        wait = self.names.hit(f"n:{name.strip().casefold()[:64]}", now)
        if wait:
            return Refused("name_rate", math.ceil(wait))
        return None

    async def run(self, fn: Callable[[], T]) -> T | Refused:
        """Run ``fn`` on the sign-in threads, or refuse when too many checks are already waiting."""
        with self._lock:
            if self._pending >= self.queue:
                return Refused("busy", 1)
            self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn)
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        """Stop the sign-in threads (waiting checks still finish)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
