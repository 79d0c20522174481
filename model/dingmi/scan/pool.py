"""A supervised pool of worker processes with a time budget per file.

On Linux the parent loads and warms up the engine once and forks the workers, which inherit it
(copy-on-write; the inherited objects are frozen out of the children's garbage collector), so
a worker starts in milliseconds whatever the bundle; while the parent runs another thread (a
progress bar), and on other systems, a worker is a spawned process that loads the engine itself.
Each worker works through its batches in order (the next one is sent while it is on the last file
of the current one) and sends back one outcome per file as soon as it is done. Because a worker
handles its files in order, the parent always knows which file a worker is on and since when:

- a file that runs longer than ``file_timeout`` seconds gets a DM137 error row; its worker is
  killed and replaced, and the rest of its batch goes back to the queue;
- a worker that dies (segfault, out of memory) blames exactly the file it was on (DM139);
- a worker that cannot start (engine or bundle fails to load) stops the run with BackendError.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing as mp
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from dingmi.scan.walk import INTERNAL, Source
from dingmi.scan.worker import (
    Outcome,
    WorkerConfig,
    error_outcome,
    init_worker,
    preload,
    ready,
    release,
    run_batch,
    timeout_outcome,
)

__all__ = ["BackendError", "run_pool"]

log = logging.getLogger("dingmi.scan")
Task = Callable[[list[Source]], list[Outcome]]
_CRASH_REASON = "处理此文件时工作进程异常退出（可能内存不足或文件触发了解析器缺陷），请单独复核"


class BackendError(Exception):
    """The workers cannot run (they keep dying at start-up, or the cluster is unreachable)."""


def crash_outcome(source: Source) -> Outcome:
    """The error row of a file whose worker died on it."""
    return error_outcome(source.path, source.size, source.mtime_ns, "", INTERNAL, _CRASH_REASON)


def _worker_main(conn: Connection, config: WorkerConfig, task: Task, parent_pid: int) -> None:
    """Worker process: load the engine, report readiness, then process batches file by file."""
    init_worker(config, parent_pid)
    conn.send(("ready", ready()))
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        for source in batch:
            try:
                outcomes = task([source])
            except Exception as exc:  # noqa: BLE001 - e.g. a task that fails outside process()
                log.warning("task failed: %s", type(exc).__name__)
                outcomes = [crash_outcome(source)]
            conn.send(("done", outcomes))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False
    batch: list[Source] = field(default_factory=list)
    done: int = 0
    since: float = 0.0  # when the current file started

    @property
    def busy(self) -> bool:
        return self.done < len(self.batch)

    def assign(self, batch: list[Source]) -> None:
        """Send a batch; one sent while the worker is still busy waits in the pipe (no idle gap)."""
        if not self.busy:
            self.since = time.monotonic()
        self.batch, self.done = self.batch[self.done:] + batch, 0
        self.conn.send(batch)

    def stop(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        elif self.process.is_alive():
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


def can_fork() -> bool:
    """True where workers may be forked from this process: Linux, and no other thread running here."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


class _Pool:
    def __init__(self, config: WorkerConfig, task: Task) -> None:
        self.config, self.task = config, task
        self.workers: list[_Worker] = []
        self.preloaded = False
        if can_fork():
            error = preload(config)
            if error:
                release()
                raise _start_failure(error)
            self.preloaded = True

    def spawn(self) -> _Worker:
        fork = self.preloaded and can_fork()  # a replacement started under a progress bar thread is spawned
        ctx = mp.get_context("fork" if fork else "spawn")
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_worker_main, args=(child, self.config, self.task, os.getpid()),
                              daemon=True, name="dingmi-scan-worker")
        if fork:
            gc.freeze()  # the engine stays out of the child's collections: no scanning, no copied pages
        try:
            process.start()
        finally:
            if fork:
                gc.unfreeze()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def replace(self, worker: _Worker) -> None:
        worker.stop(kill=True)
        self.workers.remove(worker)
        self.spawn()

    def close(self, kill: bool = False) -> None:
        for worker in self.workers:
            worker.stop(kill=kill)
        self.workers.clear()
        if self.preloaded:
            release()


def _start_failure(detail: str = "") -> BackendError:
    if detail:
        return BackendError(f"工作进程无法启动：{detail}")
    return BackendError("工作进程无法启动（加载引擎或模型包失败），扫描中止；请先用 dingmi suggest 检查安装、目录文件和模型包")


def run_pool(batches: Iterable[list[Source]], config: WorkerConfig, workers: int, on_outcome: Callable[[Outcome], None],
             *, task: Task = run_batch, file_timeout: float | None = None, on_ready: Callable[[], None] = lambda: None,
             on_tick: Callable[[], None] = lambda: None) -> None:
    """Run ``batches`` on ``workers`` processes; every file gets exactly one outcome."""
    queue: deque[list[Source]] = deque(b for b in batches if b)
    pool = _Pool(config, task)
    started = False
    try:
        for _ in range(workers):
            pool.spawn()
        while queue or any(w.busy for w in pool.workers):
            for worker in pool.workers:
                left = len(worker.batch) - worker.done
                # the next batch goes out while the worker is on its last file, unless the queue is
                # down to its last few batches: those go to whoever is free first
                if worker.ready and queue and (left == 0 or (left == 1 and len(queue) >= len(pool.workers))):
                    worker.assign(queue.popleft())
            deadline = min((w.since + file_timeout for w in pool.workers if w.busy), default=None) \
                if file_timeout else None
            wait_for = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
            handles = [w.conn for w in pool.workers] + [w.process.sentinel for w in pool.workers]
            wait(handles, timeout=wait_for)
            on_tick()
            for worker in list(pool.workers):
                if not _drain(worker, on_outcome):
                    if not worker.ready:
                        raise _start_failure()
                    if worker.busy:
                        source = worker.batch[worker.done]
                        log.warning("worker process died on %s; starting another", source.path)
                        on_outcome(crash_outcome(source))
                        _requeue(queue, worker)
                    pool.replace(worker)
                    continue
                if worker.ready and not started and all(w.ready for w in pool.workers):
                    started = True
                    on_ready()
                if file_timeout and worker.busy and time.monotonic() - worker.since > file_timeout:
                    source = worker.batch[worker.done]
                    log.warning("%s exceeded %ss; replacing its worker", source.path, file_timeout)
                    on_outcome(timeout_outcome(source, file_timeout))
                    _requeue(queue, worker)
                    pool.replace(worker)
    except BaseException:
        pool.close(kill=True)
        raise
    pool.close()


def _drain(worker: _Worker, on_outcome: Callable[[Outcome], None]) -> bool:
    """Take every message the worker has sent; False when the worker is gone."""
    try:
        while worker.conn.poll():
            kind, value = worker.conn.recv()
            if kind == "ready":
                if value:
                    raise _start_failure(value)
                worker.ready = True
            else:
                for outcome in value:
                    on_outcome(outcome)
                worker.done += 1
                worker.since = time.monotonic()
    except (EOFError, OSError):
        return False
    return worker.process.is_alive() or worker.conn.poll()


def _requeue(queue: deque[list[Source]], worker: _Worker) -> None:
    """The files of a stopped worker's batch after the one it was on go back to the front of the queue."""
    rest = worker.batch[worker.done + 1:]
    if rest:
        queue.appendleft(rest)
    worker.batch, worker.done = [], 0
