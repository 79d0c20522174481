"""Where batches run: a local process pool or a Dask distributed cluster.

Both call the same per-file function (:func:`dingmi.scan.worker.run_batch_with`) and hand
each :class:`~dingmi.scan.worker.Outcome` to ``on_outcome`` in the calling thread as soon as
its batch finishes. Only a bounded window of batches is in flight at a time.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from itertools import islice

from dingmi.scan.walk import INTERNAL, Source
from dingmi.scan.worker import (
    Outcome,
    WorkerConfig,
    error_outcome,
    init_worker,
    ready,
    run_batch,
    run_batch_with,
    start_check,
)

__all__ = ["BackendError", "run_dask", "run_local"]

log = logging.getLogger("dingmi.scan")
OnOutcome = Callable[[Outcome], None]
_CRASH_REASON = "处理此文件时工作进程异常退出（可能内存不足或文件触发了解析器缺陷），请单独复核"


class BackendError(Exception):
    """The workers cannot run (they keep dying at start-up, or the cluster is unreachable)."""


def _crash_outcome(source: Source) -> Outcome:
    return error_outcome(source.path, source.size, source.mtime_ns, "", INTERNAL, _CRASH_REASON)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel queued work and end its processes."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()


def _check_start(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start every worker now and check it loaded its engine; a failure stops the run before any file is blamed.

    A spawn-based pool starts a process per submitted task while none is idle, so one ping per
    worker, submitted together, starts them all at once instead of one after the other.
    """
    try:
        pings = [pool.submit(ready) for _ in range(workers)]
        error = next((e for e in (p.result() for p in pings) if e), "")
    except BrokenProcessPool:
        _stop(pool)
        raise BackendError("工作进程无法启动（加载引擎或模型包失败），扫描中止；"
                           "请先用 dingmi suggest 检查安装、目录文件和模型包") from None
    except BaseException:
        _stop(pool)
        raise
    if error:
        _stop(pool)
        raise BackendError(f"工作进程无法启动：{error}")


def run_local(batches: Iterable[list[Source]], config: WorkerConfig, workers: int, on_outcome: OnOutcome,
              task: Callable[[list[Source]], list[Outcome]] = run_batch,
              on_ready: Callable[[], None] = lambda: None) -> None:
    """Run on ``workers`` spawned processes, each loading the engine once in its initializer.

    A worker that dies (segfault, out of memory) breaks the pool: the batches in flight are
    retried one file at a time, alone, and a file that kills a worker again gets an error row.
    """
    queue: deque[tuple[list[Source], bool]] = deque((b, False) for b in batches)
    ctx = mp.get_context("spawn")
    window = max(2, workers * 3)
    restarts = 0
    while queue:
        broken: list[tuple[list[Source], bool]] = []
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=init_worker, initargs=(config, os.getpid()))
        _check_start(pool, workers)
        if restarts == 0:
            on_ready()
        inflight: dict[Future[list[Outcome]], tuple[list[Source], bool]] = {}
        try:
            while queue or inflight:
                while queue and len(inflight) < window:
                    if queue[0][1] and inflight:  # a suspect runs alone, so a crash is attributable
                        break
                    item = queue.popleft()
                    inflight[pool.submit(task, item[0])] = item
                    if item[1]:
                        break
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    batch, suspect = inflight.pop(future)
                    try:
                        outcomes = future.result()
                    except BrokenProcessPool:
                        broken.append((batch, suspect))
                        continue
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                        log.warning("batch failed: %s", type(exc).__name__)
                        outcomes = [_crash_outcome(s) for s in batch]
                    for outcome in outcomes:
                        on_outcome(outcome)
                if broken:
                    broken.extend(inflight.values())
                    inflight.clear()
                    break
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown(wait=not broken, cancel_futures=True)
        if not broken:
            continue
        restarts += 1
        log.warning("worker process died; restarting the pool (%d)", restarts)
        if restarts > 10 + 2 * workers:
            raise BackendError("工作进程反复异常退出，扫描中止；请检查内存或用 --workers 1 重试")
        for batch, suspect in reversed(broken):
            if suspect:
                on_outcome(_crash_outcome(batch[0]))
            else:
                queue.extendleft(([s], True) for s in reversed(batch))


def run_dask(batches: Iterable[list[Source]], config: WorkerConfig, workers: int, scheduler: str | None,
             on_outcome: OnOutcome, on_ready: Callable[[], None] = lambda: None) -> None:
    """Run on a Dask cluster at ``scheduler``, or on a LocalCluster of ``workers`` processes.

    Workers must see the scanned files at the same path and have dingmi installed; each
    worker process loads the engine once, on its first batch.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise BackendError("使用 --engine dask 需要安装集群扩展：pip install 'dingmi[cluster]'") from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="30s")
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise BackendError(f"无法连接Dask调度器 {scheduler or '（本地集群）'}：{exc}") from None
    try:
        error = client.submit(start_check, config, pure=False).result()
        if error:
            raise BackendError(f"Dask工作进程无法启动：{error}")
        on_ready()
        slots = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values()) or workers
        window = max(2, slots * 3)
        pending = iter(batches)
        owner: dict[object, list[Source]] = {}
        futures = as_completed()
        for batch in islice(pending, window):
            future = client.submit(run_batch_with, config, batch, pure=False)
            owner[future.key] = batch
            futures.add(future)
        for future in futures:
            batch = owner.pop(future.key)
            try:
                outcomes = future.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, lost connection...
                log.warning("dask batch failed: %s", type(exc).__name__)
                outcomes = [_crash_outcome(s) for s in batch]
            for outcome in outcomes:
                on_outcome(outcome)
            future.release()
            nxt = next(pending, None)
            if nxt is not None:
                new = client.submit(run_batch_with, config, nxt, pure=False)
                owner[new.key] = nxt
                futures.add(new)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
