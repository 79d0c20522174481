"""Where batches run: a local process pool or a Dask distributed cluster.

Both call the same per-file function (:func:`dingmi.scan.worker.run_batch_with`) and hand
each :class:`~dingmi.scan.worker.Outcome` to ``on_outcome`` in the calling thread as soon as
its batch finishes. Only a bounded window of batches is in flight at a time.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from itertools import islice

from dingmi.scan.pool import BackendError, crash_outcome, run_pool
from dingmi.scan.walk import Source
from dingmi.scan.worker import Outcome, WorkerConfig, run_batch, run_batch_with, start_check

__all__ = ["BackendError", "run_dask", "run_local"]

log = logging.getLogger("dingmi.scan")
OnOutcome = Callable[[Outcome], None]


def run_local(batches: Iterable[list[Source]], config: WorkerConfig, workers: int, on_outcome: OnOutcome,
              task: Callable[[list[Source]], list[Outcome]] = run_batch,
              on_ready: Callable[[], None] = lambda: None, *, file_timeout: float | None = None,
              on_tick: Callable[[], None] = lambda: None) -> None:
    """Run on ``workers`` spawned processes, each loading the engine once (see :mod:`dingmi.scan.pool`).

    A file that runs longer than ``file_timeout`` seconds gets a DM137 row and its worker is
    replaced; a file whose worker dies gets a DM139 row; every other file is processed normally.
    """
    run_pool(batches, config, workers, on_outcome, task=task, file_timeout=file_timeout, on_ready=on_ready,
             on_tick=on_tick)


def run_dask(batches: Iterable[list[Source]], config: WorkerConfig, workers: int, scheduler: str | None,
             on_outcome: OnOutcome, on_ready: Callable[[], None] = lambda: None, *,
             file_timeout: float | None = None) -> None:
    """Run on a Dask cluster at ``scheduler``, or on a LocalCluster of ``workers`` processes.

    Workers must see the scanned files at the same path and have dingmi installed; each
    worker process loads the engine once, on its first batch. A Dask worker is not killed for a
    slow file: the file is interrupted inside the worker (:mod:`dingmi.scan.deadline`).
    """
    if file_timeout is not None:
        config = dataclasses.replace(config, file_timeout=file_timeout)
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
                outcomes = [crash_outcome(s) for s in batch]
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
