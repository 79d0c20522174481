"""A file that kills its worker process gets an error row; the pool restarts and nobody else is blamed."""

from __future__ import annotations

from dingmi.scan.backends import run_local
from dingmi.scan.walk import walk
from dingmi.scan.worker import WorkerConfig
from scan.scanfiles import EXAM_BEFORE, crashing_batch, sleeping_batch


def test_when_a_file_kills_its_worker_then_error_row_and_others_done(tmp_path):
    for name in ("a.txt", "b.txt", "crash.txt", "c.txt", "d.txt"):
        (tmp_path / name).write_text(EXAM_BEFORE, encoding="utf-8")
    sources = list(walk(tmp_path))
    got = {}
    run_local([sources[:3], sources[3:]], WorkerConfig(), 2, lambda o: got.__setitem__(o.path, o.code),
              task=crashing_batch)
    assert got == {"a.txt": "", "b.txt": "", "c.txt": "", "d.txt": "", "crash.txt": "DM139"}


def test_when_the_worker_already_holds_its_next_batch_then_a_crash_or_stall_loses_no_file(tmp_path):
    for name in ("a.txt", "crash.txt", "b.txt", "slow.txt", "c.txt", "d.txt"):
        (tmp_path / name).write_text(EXAM_BEFORE, encoding="utf-8")
    by_name = {s.path: s for s in walk(tmp_path)}
    one_by_one = [[by_name[n]] for n in ("a.txt", "crash.txt", "b.txt", "c.txt")]
    got: dict[str, str] = {}
    run_local(one_by_one, WorkerConfig(), 1, lambda o: got.__setitem__(o.path, o.code), task=crashing_batch)
    assert got == {"a.txt": "", "crash.txt": "DM139", "b.txt": "", "c.txt": ""}
    one_by_one = [[by_name[n]] for n in ("a.txt", "slow.txt", "b.txt", "d.txt")]
    got.clear()
    run_local(one_by_one, WorkerConfig(), 1, lambda o: got.__setitem__(o.path, o.code), task=sleeping_batch,
              file_timeout=3)
    assert got == {"a.txt": "", "slow.txt": "DM137", "b.txt": "", "d.txt": ""}
