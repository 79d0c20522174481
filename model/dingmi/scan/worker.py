"""The per-file work: read, hash, suggest. Runs in pool workers or on Dask workers.

The engine is loaded once per process (by the parent before it forks its pool workers, which
inherit it; by a spawned worker's initializer; lazily on first use on a Dask worker) and never
pickled with a task; a task carries only a small :class:`WorkerConfig`
and a batch of :class:`~dingmi.scan.walk.Source` descriptors. The outcome of a file is a pure
function of its bytes and the config, so every backend produces the same rows.

Logs name paths and codes only; document text never leaves the result row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dingmi.errors import DingmiError, ReadError
from dingmi.reader import annotate, extract_bytes
from dingmi.scan.deadline import FileTimeout, call_with_deadline
from dingmi.scan.walk import (
    INTERNAL,
    TIMEOUT,
    ArchiveCache,
    Limits,
    Rejected,
    Source,
    load_bytes,
)

if TYPE_CHECKING:
    from dingmi.engine import Engine

__all__ = ["Outcome", "WorkerConfig", "init_worker", "matched_entries", "preload", "process", "release", "run_batch",
           "run_batch_with"]

log = logging.getLogger("dingmi.scan")


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs besides the file: which catalogs, which authority, which bounds."""

    catalog_paths: tuple[str, ...] = ()
    authority: str | None = None
    previous_catalog_paths: tuple[str, ...] = ()  # declassification review against an older catalog
    limits: Limits = field(default_factory=Limits)
    bundle: str | None = None  # model bundle directory; None = rules only
    root: str = ""  # real path of the scanned root: nothing outside it is ever opened
    file_timeout: float | None = None  # in-process budget per file (Dask); the local pool kills workers instead
    ocr: bool = False  # recognise images and scanned pages (the ocr extra)


@dataclass(frozen=True)
class Outcome:
    """One file's result: the state key, the error code ("" when read and suggested) and the row as JSON."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    code: str
    row: str

    @property
    def ok(self) -> bool:
        """True when the file was read and a suggestion made."""
        return not self.code


def _dump(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False)


def error_outcome(path: str, size: int, mtime_ns: int, sha256: str, code: str, reason: str) -> Outcome:
    """An error row: the file's key, a code and a Chinese reason."""
    row = {"path": path, "sha256": sha256, "size": size, "existing_marking": "", "issue_date": "",
           "code": code, "error": reason}
    return Outcome(path, size, mtime_ns, sha256, code, _dump(row))


def rejected_outcome(item: Rejected) -> Outcome:
    """The error row of an entry refused while walking."""
    return error_outcome(item.path, item.size, item.mtime_ns, "", item.code, item.reason)


def matched_entries(suggestion: dict[str, Any]) -> list[str]:
    """Ids of the entries the suggested level rests on: those with evidence, else the top secret entry."""
    ids: list[str] = []
    for ev in suggestion.get("evidence") or []:
        if ev["entry_id"] not in ids:
            ids.append(ev["entry_id"])
    if not ids and suggestion.get("level") not in ("非密", "", None) and suggestion.get("entries"):
        ids.append(suggestion["entries"][0]["id"])
    return ids


def process(source: Source, config: WorkerConfig, engine: Engine, previous: Engine | None,
            cache: ArchiveCache) -> Outcome:
    """Read one source and suggest; every failure becomes an error outcome."""
    sha = ""
    try:
        data = load_bytes(source, config.limits, cache)
        sha = hashlib.sha256(data).hexdigest()
        doc = extract_bytes(data, source.name, max_bytes=config.limits.max_file_bytes, ocr=config.ocr)
        text = doc.text
        suggestion = annotate(engine.suggest(text, authority=config.authority).to_dict(), doc)
        header = suggestion.get("header") or {}
        row: dict[str, Any] = {
            "path": source.path,
            "sha256": sha,
            "size": len(data),
            "existing_marking": header.get("marking", ""),
            "issue_date": header.get("issue_date", ""),
            **suggestion,
        }
        if previous is not None:
            old = previous.suggest(text, authority=config.authority, lowering=False).to_dict()  # level and entries only
            row["previous"] = {
                "catalog_version": old["catalog_version"],
                "level": old["level"],
                "matched": matched_entries(old),
                "entries": [{"id": e["id"], "level": e["level"]} for e in old["entries"]],
            }
        return Outcome(source.path, source.size, source.mtime_ns, sha, "", _dump(row))
    except ReadError as exc:
        log.debug("error row %s %s", exc.code, source.path)
        return error_outcome(source.path, source.size, source.mtime_ns, sha, exc.code, exc.message)
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the scan
        log.warning("internal error %s on %s", type(exc).__name__, source.path)
        return error_outcome(source.path, source.size, source.mtime_ns, sha, INTERNAL,
                             f"处理文件时发生内部错误（{type(exc).__name__}），请单独用 dingmi suggest 复核")


# ---------------------------------------------------------------- per-process state


@dataclass
class _ProcessState:
    config: WorkerConfig
    engine: Engine
    previous: Engine | None
    local: threading.local = field(default_factory=threading.local)

    @property
    def cache(self) -> ArchiveCache:
        """Open archives of the calling thread (Dask workers may run several threads)."""
        cache = getattr(self.local, "cache", None)
        if cache is None:
            cache = self.local.cache = ArchiveCache(root=Path(self.config.root) if self.config.root else None)
        return cache


_STATE: dict[WorkerConfig, _ProcessState] = {}
_POOL_CONFIG: list[WorkerConfig] = []
_INIT_ERROR: list[str] = []
_LOCK = threading.Lock()


def _state(config: WorkerConfig) -> _ProcessState:
    """Engines for ``config``, loaded on first use in this process and kept."""
    with _LOCK:
        state = _STATE.get(config)
        if state is None:
            from dingmi.catalog import load_catalogs
            from dingmi.engine import Engine, load_engine

            engine = load_engine(list(config.catalog_paths), config.bundle)
            previous = None
            if config.previous_catalog_paths:  # same learned scorer, older catalog: only the catalog differs
                previous = Engine(load_catalogs(config.previous_catalog_paths), engine.scorer, engine.model_version)
            state = _ProcessState(config, engine, previous)
            _STATE.clear()  # one configuration per process at a time
            _STATE[config] = state
        return state


def _watch_parent(parent: int) -> None:
    """Exit when the scanning process is gone (kill -9), instead of lingering as an orphan."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def init_worker(config: WorkerConfig, parent_pid: int | None = None) -> None:
    """Pool initializer: load the engine once, leave Ctrl-C to the parent, watch the parent process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # pypdf logs repairs of malformed files ("EOF marker not found") without the file name; the
    # error row's code and Chinese reason say what matters
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    _POOL_CONFIG[:] = [config]
    try:
        _state(config)
    except Exception as exc:  # noqa: BLE001 - reported by ready(), not as a traceback
        _INIT_ERROR[:] = [str(exc) if isinstance(exc, DingmiError) else type(exc).__name__]
    if parent_pid is not None:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="dingmi-parent-watch").start()


def ready() -> str:
    """Start-up check run once per pool: "" when the worker loaded its engine, else why it could not."""
    return _INIT_ERROR[0] if _INIT_ERROR else ""


def start_check(config: WorkerConfig) -> str:
    """Load the engines of ``config`` in this process; "" when done, else why not (for Dask workers)."""
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        _state(config)
    except Exception as exc:  # noqa: BLE001 - reported as one line, not a traceback
        return str(exc) if isinstance(exc, DingmiError) else type(exc).__name__
    return ""


# Imported by the readers on first use; a parent that forks its workers imports them once for all.
_READER_MODULES = ("docx", "pypdf", "charset_normalizer", "olefile")


def preload(config: WorkerConfig) -> str:
    """Load and warm up the engines of ``config`` here, for worker processes forked from this one.

    Besides the engine this runs one tiny suggestion (the engine's lazy parts) and imports the
    readers' libraries, so a forked worker starts working at once. "" when done, else why not.
    """
    error = start_check(config)
    if error:
        return error
    state = _state(config)
    try:
        state.engine.suggest("秘密★1年\n关于预热的通知\n2020年1月1日")
    except Exception as exc:  # noqa: BLE001 - a warm-up that fails is a worker that would fail
        return str(exc) if isinstance(exc, DingmiError) else type(exc).__name__
    for name in _READER_MODULES:
        try:
            __import__(name)
        except ImportError:
            pass
    return ""


def release() -> None:
    """Drop the engines this process loaded (after its forked workers are done)."""
    with _LOCK:
        _STATE.clear()


def timeout_outcome(source: Source, seconds: float) -> Outcome:
    """The error row of a file that exceeded its time budget."""
    return error_outcome(source.path, source.size, source.mtime_ns, "", TIMEOUT,
                         f"处理时间超过{seconds:g}秒上限（--file-timeout），已中止；文件可能是恶意构造的，"
                         "或用更大的 --file-timeout 重新扫描")


def run_batch_with(config: WorkerConfig, sources: list[Source]) -> list[Outcome]:
    """Process a batch with the engines of ``config`` (loaded once per process)."""
    state = _state(config)
    outcomes = []
    for s in sources:
        if config.file_timeout is None:
            outcomes.append(process(s, config, state.engine, state.previous, state.cache))
            continue
        try:
            outcomes.append(call_with_deadline(lambda s=s: process(s, config, state.engine, state.previous,  # type: ignore[misc]
                                                                        state.cache), config.file_timeout))
        except FileTimeout:
            log.warning("%s exceeded %ss", s.path, config.file_timeout)
            outcomes.append(timeout_outcome(s, config.file_timeout))
    return outcomes


def run_batch(sources: list[Source]) -> list[Outcome]:
    """Process a batch in a pool worker set up by :func:`init_worker`."""
    return run_batch_with(_POOL_CONFIG[0], sources)
