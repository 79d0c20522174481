"""Forked workers: they start with the engine the parent loaded, and never keep the output directory locked."""

from __future__ import annotations

import fcntl
import multiprocessing as mp
import os
import sys

import pytest
from dingmi.scan.runner import _locked
from scan.scanfiles import EXAM_BEFORE, shared_engine_report

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")


@linux
def test_when_workers_are_forked_then_they_share_the_engine_loaded_once_in_the_parent(tmp_path):
    for i in range(6):
        (tmp_path / f"d{i}.txt").write_text(EXAM_BEFORE, encoding="utf-8")
    ctx = mp.get_context("spawn")  # a fresh scanning process: this one may run threads (then workers are spawned)
    mine, theirs = ctx.Pipe()
    process = ctx.Process(target=shared_engine_report, args=(tmp_path, theirs))
    process.start()
    parent_engine, parent_pid, got, still_loaded = mine.recv()
    process.join(30)
    assert len(got) == 6 and {r["engine"] for r in got.values()} == {parent_engine}
    assert parent_pid not in {r["pid"] for r in got.values()}
    assert not still_loaded  # released once the workers are done


@linux
def test_when_a_forked_child_runs_then_the_output_lock_stays_with_the_scanning_process(tmp_path):
    with _locked(tmp_path):
        pid = os.fork()
        if pid == 0:  # the child may not keep the lock alive after the parent is gone
            with open(tmp_path / ".lock", "w") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    os._exit(1)  # the parent's lock must still hold against everybody else
                except OSError:
                    pass
            held = any(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")) == ".lock"
                       for fd in os.listdir("/proc/self/fd") if os.path.exists(f"/proc/self/fd/{fd}"))
            os._exit(2 if held else 0)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
