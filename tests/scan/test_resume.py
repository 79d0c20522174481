"""kill -9 in the middle of a scan, then the same command again: one row per file, nothing redone."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dingmi.scan.state import STATE_FILE
from documents import EXAM_BEFORE, EXAM_PUBLISHED, TRAINING_NOTICE

N_FILES = 300


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _committed(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_when_killed_mid_scan_then_rerun_completes_without_duplicates(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    base = [EXAM_BEFORE, EXAM_PUBLISHED, TRAINING_NOTICE]
    for i in range(N_FILES):
        body = "\n".join(base[(i + j) % 3].replace("2026", str(2000 + (i + j) % 26)) for j in range(30))
        (docs / f"d{i:03}.txt").write_text(body, encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "dingmi", "scan", str(docs), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = out / STATE_FILE
    deadline = time.monotonic() + 90
    while _committed(db) < 20 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    workers = _children(proc.pid)
    assert len(workers) >= 2 or not Path("/proc/self/task").exists()
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    done_before = _committed(db)
    assert 0 < done_before < N_FILES, "the scan must be killed part-way"
    # orphaned workers notice the parent is gone and exit
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers)

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert rerun.returncode == 0, rerun.stderr
    processed = int(re.search(r"本次处理(\d+)个", rerun.stdout).group(1))
    assert processed == N_FILES - done_before  # finished files are not redone
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    paths = [json.loads(line)["path"] for line in lines]
    assert len(paths) == N_FILES == len(set(paths))
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM results").fetchone() == (N_FILES, N_FILES)
    csv_lines = (out / "results.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(csv_lines) == N_FILES + 1

    unchanged = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert "本次处理0个" in unchanged.stdout
