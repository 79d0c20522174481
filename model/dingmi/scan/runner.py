"""One scan or declassification run: walk, skip what is done, process the rest, write the outputs.

1. Lock the output directory and open its state DB.
2. Walk the root. A file whose path, size, mtime and stamp (device, inode, ctime) match a
   finished row is not redone and not read; one whose stamp or mtime changed but whose size
   matches is hashed, and kept when its sha256 matches. Refused entries become error rows at once.
3. Rows of files that disappeared are dropped.
4. The remaining files run in batches, largest first, on the chosen backend; every result is
   committed.
5. results.jsonl, results.csv and report.html are regenerated from the state DB.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dingmi import __version__
from dingmi.catalog import Catalog, load_catalogs, load_default
from dingmi.errors import BundleError, ReadError
from dingmi.scan.backends import run_dask, run_local
from dingmi.scan.declass import Metadata, ReviewOptions, read_metadata, review
from dingmi.scan.outputs import OutputSummary, write_outputs
from dingmi.scan.progress import Progress, make_progress
from dingmi.scan.schedule import batches
from dingmi.scan.state import StateDB, StateError
from dingmi.scan.walk import ArchiveCache, Limits, Rejected, Source, confine_root, load_bytes, os_reason, walk
from dingmi.scan.worker import Outcome, WorkerConfig, rejected_outcome

__all__ = ["RunOptions", "RunSummary", "batches", "run"]

FORMAT_VERSION = 2  # 2: escaped row paths (%21 %25 %XX)


@dataclass
class RunOptions:
    """Everything a run needs; the CLI fills it from the command line."""

    root: Path
    out_dir: Path
    kind: str = "scan"  # "scan" | "declass"
    workers: int = field(default_factory=lambda: available_cpus())
    rescan: bool = False
    engine: str = "local"  # "local" | "dask"
    scheduler: str | None = None
    catalog_paths: tuple[str, ...] = ()
    authority: str | None = None
    previous_catalog_paths: tuple[str, ...] = ()
    as_of: dt.date | None = None
    within: int = 90
    metadata_path: Path | None = None
    limits: Limits = field(default_factory=Limits)
    progress: Progress | None = None
    bundle: str | None = None  # model bundle directory (the CLI passes the default one); None = rules only
    file_timeout: float | None = 60.0  # seconds one file may take (local engine); None = no limit
    ocr: bool = False  # recognise images and scanned pages (the ocr extra)


def available_cpus() -> int:
    """CPUs this process may run on (affinity-aware where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


@dataclass(frozen=True)
class RunSummary:
    """What a run did."""

    files: int        # rows in the outputs (one per file)
    processed: int    # files read and suggested, or refused, in this run
    reused: int       # files skipped because a finished row matched
    errors: int       # error rows in the outputs
    elapsed: float
    outputs: OutputSummary
    metadata_unmatched: int = 0  # metadata CSV rows naming no scanned file


_HELD_LOCKS: set[int] = set()  # descriptors of the output-directory locks this process holds


def _drop_locks_in_child() -> None:
    """A forked worker closes its copies of the lock descriptors: the lock ends with the scanning process."""
    for fd in _HELD_LOCKS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_locks_in_child)


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """Only one run per output directory at a time (released by the OS even on kill -9)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    try:
        handle = open(out_dir / ".lock", "w")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise StateError(f"无法写入输出目录 {out_dir}（{os_reason(exc)}），请换一个输出目录") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StateError(f"输出目录 {out_dir} 正被另一个扫描使用，请等待其结束或换一个输出目录") from None
        _HELD_LOCKS.add(handle.fileno())
        try:
            yield
        finally:
            _HELD_LOCKS.discard(handle.fileno())


def model_identity(bundle: str | None) -> str:
    """The engine version plus the digest of the bundle's meta.json (which lists every file's sha256).

    Reads meta.json only: the full check (versions, checksums) runs where the bundle is loaded, in
    each worker, and a bundle that fails it stops the run before any file is processed.
    """
    if bundle is None:
        return f"rules-{__version__}"
    try:
        raw = (Path(bundle) / "meta.json").read_bytes()
    except OSError:
        raise BundleError(f"模型目录 {bundle} 中没有 meta.json，不是有效的模型包", code="DM301") from None
    return f"{__version__}+{hashlib.sha256(raw).hexdigest()}"


def fingerprint(catalog: Catalog, previous: Catalog | None, authority: str | None, limits: Limits,
                model: str = f"rules-{__version__}", *, ocr: bool = False) -> str:
    """Digest of everything besides the file that changes a row."""
    parts = {
        "format": FORMAT_VERSION,
        "model": model,
        "catalog": catalog.sha256,
        "previous": previous.sha256 if previous is not None else "",
        "authority": authority or "",
        "limits": asdict(limits),
    }
    if ocr:  # only when on, so the fingerprint of a scan without OCR is unchanged
        parts["ocr"] = True
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _sha256(source: Source, limits: Limits, cache: ArchiveCache) -> str:
    try:
        return hashlib.sha256(load_bytes(source, limits, cache)).hexdigest()
    except ReadError:
        return ""


def run(options: RunOptions) -> RunSummary:
    """Run a scan or a declassification review; raises StateError, CatalogError, InputError, BackendError."""
    t0 = time.monotonic()
    out_dir = options.out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(out_dir, os.W_OK | os.X_OK):
            raise PermissionError
    except OSError as exc:
        reason = "没有写入权限" if isinstance(exc, PermissionError) else os_reason(exc)
        raise StateError(f"无法写入输出目录 {out_dir}（{reason}），请换一个输出目录") from None
    catalog = load_default(list(options.catalog_paths))
    previous = load_catalogs(options.previous_catalog_paths) if options.previous_catalog_paths else None
    metadata = _relative(read_metadata(options.metadata_path), options.root) if options.metadata_path else {}
    model = model_identity(options.bundle)
    config = WorkerConfig(options.catalog_paths, options.authority, options.previous_catalog_paths, options.limits,
                          options.bundle, root=str(confine_root(options.root)), ocr=options.ocr)
    root = str(options.root.absolute())
    with _locked(out_dir):
        db = StateDB(out_dir, options.kind, fingerprint(catalog, previous, options.authority, options.limits, model,
                                                        ocr=options.ocr))
        try:
            earlier = db.meta().get("root", "")
            if earlier and earlier != root and db.count() and not options.rescan:
                raise StateError(f"输出目录 {out_dir} 中已有扫描 {earlier} 的{db.count()}条结果；"
                                 f"请换一个 --out，或加 --rescan 用 {root} 的结果替换它们")
            if options.rescan:
                db.new_epoch()
            db.set_meta(root=root, catalog_version=catalog.version)
            pending, refused, reused, seen = _plan(db, options)
            processed = len(pending) + refused
            try:
                _execute(db, pending, config, options)
            finally:
                outputs = _write(db, options, catalog, previous, metadata)
        finally:
            db.close()
    unmatched = len(set(metadata) - seen)
    return RunSummary(outputs.rows, processed, reused, outputs.errors, time.monotonic() - t0, outputs, unmatched)


def _plan(db: StateDB, options: RunOptions) -> tuple[list[Source], int, int, set[str]]:
    """Walk the root: store refusals, keep finished files.

    A file is finished when its row is current, was read (has a sha256) and has the same size,
    and either its mtime and stamp match (nothing is read) or its bytes still hash to the stored
    sha256 (then its new mtime and stamp are recorded, so the next run reads nothing).
    Returns the files still to process, the number of refusals stored now, the number of files
    whose finished row was kept, and every path seen.
    """
    known = db.known()
    seen: set[str] = set()
    pending: list[Source] = []
    restamped: list[tuple[str, int, str]] = []
    refused = reused = 0
    cache = ArchiveCache(root=confine_root(options.root))
    try:
        for item in walk(options.root, exclude=options.out_dir, limits=options.limits):
            if item.path in seen:  # the same path twice (e.g. duplicate archive member): first wins
                continue
            seen.add(item.path)
            k = known.get(item.path)
            if isinstance(item, Rejected):
                if k is not None and k.current and k.size == item.size and k.mtime_ns == item.mtime_ns:
                    reused += 1
                else:
                    db.put(rejected_outcome(item))
                    refused += 1
                continue
            # a row without sha256 was never read (unreadable, timed out): it is retried on every run
            if k is not None and k.current and k.sha256 and k.size == item.size:
                if item.stamp and k.stamp == item.stamp and k.mtime_ns == item.mtime_ns:
                    reused += 1
                    continue
                if k.sha256 == _sha256(item, options.limits, cache):
                    restamped.append((item.path, item.mtime_ns, item.stamp))
                    reused += 1
                    continue
            pending.append(item)
    finally:
        cache.close()
    db.restamp(restamped)
    gone = set(known) - seen
    if gone:
        db.forget(gone)
    return pending, refused, reused, seen


def _relative(metadata: dict[str, Metadata], root: Path) -> dict[str, Metadata]:
    """Metadata keyed by row path: absolute paths under a scanned directory are made relative."""
    base = root.absolute().as_posix().rstrip("/") + "/"
    return {(k.removeprefix(base)): v for k, v in metadata.items()}


def _execute(db: StateDB, pending: list[Source], config: WorkerConfig, options: RunOptions) -> None:
    if not pending:
        return
    work = list(batches(pending, options.workers))
    workers = max(1, min(options.workers, len(work)))  # no idle processes for a handful of files
    progress = options.progress or make_progress()
    started = False

    def on_ready() -> None:
        nonlocal started
        started = True
        progress.start(len(pending), sum(s.size for s in pending))

    stamps = {s.path: s.stamp for s in pending}

    def on_outcome(outcome: Outcome) -> None:
        db.put(outcome, stamps.get(outcome.path, ""))
        progress.advance(outcome.size)

    def on_tick() -> None:
        if started:
            progress.tick()

    try:
        if options.engine == "dask":
            run_dask(work, config, workers, options.scheduler, on_outcome, on_ready, file_timeout=options.file_timeout)
        else:
            run_local(work, config, workers, on_outcome, on_ready=on_ready, file_timeout=options.file_timeout,
                      on_tick=on_tick)
    finally:
        if started:
            progress.close()


def _write(db: StateDB, options: RunOptions, catalog: Catalog, previous: Catalog | None,
           metadata: dict[str, Metadata]) -> OutputSummary:
    root = str(options.root.absolute())
    if options.kind != "declass":
        return write_outputs(db, options.out_dir, kind="scan", catalog=catalog, root=root)
    as_of = options.as_of or dt.date.today()
    review_options = ReviewOptions(as_of, options.within, catalog, previous, metadata)
    info = {"as_of": as_of.isoformat(), "within": options.within,
            "previous_version": previous.version if previous is not None else ""}
    params = {"metadata": sorted((k, v.marking, v.issue_date) for k, v in metadata.items()),
              "previous": previous.sha256 if previous is not None else ""}
    return write_outputs(db, options.out_dir, kind="declass", catalog=catalog, root=root,
                         augment=lambda row: review(row, review_options), report_info=info, params=params)
