"""Resuming reads nothing that is unchanged: a stat stamp (device, inode, ctime) stands in for the hash."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest
from dingmi.scan import runner
from dingmi.scan.state import STATE_FILE, StateDB
from dingmi.scan.walk import STABLE_NS, file_stamp, walk
from scan.scanfiles import EXAM_BEFORE, TRAINING_NOTICE, rows, scan, zip_bytes

posix = pytest.mark.skipif(os.name == "nt", reason="ctime is the creation time on Windows: always hashed there")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths the planning step reads to hash them; files count as settled as soon as they are written."""
    monkeypatch.setattr("dingmi.scan.walk.STABLE_NS", 0)
    got: list[str] = []
    real = runner.load_bytes

    def counting(source, limits, cache):  # noqa: ANN001, ANN202
        got.append(source.path)
        return real(source, limits, cache)

    monkeypatch.setattr(runner, "load_bytes", counting)
    return got


def archive(tmp_path):  # noqa: ANN001, ANN201
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.txt").write_text(EXAM_BEFORE, encoding="utf-8")
    (root / "b.txt").write_text(TRAINING_NOTICE, encoding="utf-8")
    (root / "c.zip").write_bytes(zip_bytes({"m1.txt": EXAM_BEFORE.encode(), "m2.txt": TRAINING_NOTICE.encode()}))
    return root


@posix
def test_when_a_finished_scan_is_rerun_then_no_file_is_read(tmp_path, reads):
    root, out = archive(tmp_path), tmp_path / "out"
    first = scan(root, out, workers=1)
    again = scan(root, out, workers=1)
    assert again.processed == 0 and again.reused == first.files == 4
    assert reads == []


@posix
def test_when_a_file_is_only_touched_then_hashed_once_kept_and_not_read_the_next_time(tmp_path, reads):
    root, out = archive(tmp_path), tmp_path / "out"
    scan(root, out, workers=1)
    before = rows(out)
    os.utime(root / "a.txt", ns=(time.time_ns(), time.time_ns() + 10**9))
    assert scan(root, out, workers=1).processed == 0
    assert reads == ["a.txt"] and rows(out) == before
    assert scan(root, out, workers=1).processed == 0 and reads == ["a.txt"]


@posix
def test_when_rewritten_with_same_size_and_mtime_then_the_ctime_gives_it_away(tmp_path, reads):
    root, out = archive(tmp_path), tmp_path / "out"
    scan(root, out, workers=1)
    doc = root / "a.txt"
    st = doc.stat()
    time.sleep(0.05)  # past the file system's clock tick
    doc.write_text(EXAM_BEFORE.replace("语文", "英语"), encoding="utf-8")  # same length in UTF-8
    os.utime(doc, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert doc.stat().st_size == st.st_size and doc.stat().st_mtime_ns == st.st_mtime_ns
    assert scan(root, out, workers=1).processed == 1 and reads == ["a.txt"]


@posix
def test_when_a_file_changed_within_the_last_two_seconds_then_it_has_no_stamp(tmp_path):
    doc = tmp_path / "a.txt"
    doc.write_text(EXAM_BEFORE, encoding="utf-8")
    st = doc.stat()
    assert file_stamp(st, now_ns=st.st_ctime_ns + STABLE_NS // 2) == ""
    settled = file_stamp(st, now_ns=st.st_ctime_ns + STABLE_NS + 1)
    assert settled == f"{st.st_dev}:{st.st_ino}:{st.st_ctime_ns}"
    assert [s.stamp for s in walk(tmp_path)] == [""]  # just written


def test_when_state_predates_stamps_then_the_column_is_added_and_rows_kept(tmp_path):
    with sqlite3.connect(tmp_path / STATE_FILE) as conn:
        conn.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE results (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                sha256 TEXT NOT NULL, fingerprint TEXT NOT NULL, epoch INTEGER NOT NULL, code TEXT NOT NULL,
                row TEXT NOT NULL);
            INSERT INTO meta VALUES ('schema', '1'), ('kind', 'scan'), ('epoch', '1');
            INSERT INTO results VALUES ('a.txt', 3, 7, 'ab', 'fp', 1, '', '{}');
        """)
    conn.close()
    db = StateDB(tmp_path, "scan", "fp")
    try:
        known = db.known()["a.txt"]
        assert known.current and known.stamp == "" and known.sha256 == "ab"
    finally:
        db.close()
