"""dingmi scan on a mixed archive: one row per file, error rows with codes, outputs, resumability."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import time

from dingmi import __version__
from dingmi.scan.state import STATE_FILE
from scan.scanfiles import EXAM_BEFORE, rows, scan, scanned_doc

SUGGESTION_KEYS = {"level", "period", "marking", "entries", "evidence", "rationale", "confidence", "flags", "header",
                   "lowering", "report", "model_version", "catalog_version"}


def test_when_mixed_archive_then_one_row_per_file_with_codes(mixed, mixed_scan):
    _, expected = mixed
    out, summary = mixed_scan
    got = rows(out)
    assert [r["path"] for r in got] == sorted(expected)
    assert summary.files == len(expected) == summary.processed and summary.reused == 0
    for row in got:
        assert row.get("code", "") == expected[row["path"]], row["path"]
        if row.get("code"):
            assert row["error"] and set(row) >= {"path", "sha256", "size", "existing_marking", "issue_date"}
            assert not row["error"].isascii()  # a Chinese reason
        else:
            assert SUGGESTION_KEYS <= set(row)
            assert len(row["sha256"]) == 64 and row["size"] > 0


def test_when_gbk_or_pdf_then_header_is_read(mixed_scan):
    by_path = {r["path"]: r for r in rows(mixed_scan[0])}
    assert by_path["gbk.txt"]["existing_marking"] == "秘密★10年"
    assert by_path["gbk.txt"]["issue_date"] == "2015-12-20"
    assert by_path["scan.pdf"]["existing_marking"] == "机密★20年"
    assert by_path["scan.pdf"]["issue_date"] == "2019-05-06"
    assert by_path["evil.zip!nested.zip!deep.txt"]["existing_marking"] == "秘密★10年"
    assert by_path["notice.txt"]["level"] in ("秘密", "机密", "绝密")


def test_when_written_then_csv_has_bom_and_same_rows(mixed_scan):
    out, _ = mixed_scan
    raw = (out / "results.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [r["path"] for r in table] == [r["path"] for r in rows(out)]
    assert {r["status"] for r in table} == {"ok", "error"}
    assert all(r["code"] for r in table if r["status"] == "error")


def test_when_report_then_self_contained_and_escaped(mixed_scan):
    page = (mixed_scan[0] / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "<script" not in page and "<link" not in page and "src=" not in page
    assert "<b>&amp;x.txt" not in page and "&lt;b&gt;&amp;amp;x.txt" in page
    for section in ("按建议密级统计", "按领域统计", "按保密事项", "标志偏低", "标志偏高", "不明确事项", "无法处理的文件", "文件清单"):
        assert section in page
    assert 'href="results.csv"' in page and 'href="#f1"' in page


def test_when_unchanged_rerun_then_nothing_redone(mixed, mixed_scan, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(mixed_scan[0], out)
    before = (out / "results.jsonl").read_bytes()
    t0 = time.monotonic()
    summary = scan(mixed[0], out)
    assert summary.processed == 0 and summary.reused == len(mixed[1])
    assert time.monotonic() - t0 < 5
    assert (out / "results.jsonl").read_bytes() == before
    (out / "report.html").unlink()  # a missing output is written again, from the state alone
    assert scan(mixed[0], out).processed == 0 and (out / "report.html").exists()


def test_when_file_changed_or_removed_then_only_that_is_redone(mixed, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(mixed[0], root)
    out = tmp_path / "out"
    first = scan(root, out, workers=1)
    (root / "notice.txt").write_text(EXAM_BEFORE + "\n附件：无\n", encoding="utf-8")
    os.remove(root / "gbk.txt")
    html_before = (out / "report.html").stat().st_mtime_ns
    second = scan(root, out, workers=1)
    assert second.processed == 1 and second.files == first.files - 1
    assert (out / "report.html").stat().st_mtime_ns != html_before
    paths = [r["path"] for r in rows(out)]
    assert "gbk.txt" not in paths and len(paths) == len(set(paths))
    third = scan(root, out, workers=1, rescan=True)
    assert third.reused == 0 and third.files == second.files


def test_when_same_size_and_mtime_but_new_content_then_hash_catches_it(tmp_path):
    root, doc, out = scanned_doc(tmp_path)
    st = doc.stat()
    doc.write_text(EXAM_BEFORE.replace("语文", "英语"), encoding="utf-8")  # same length in UTF-8
    os.utime(doc, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert doc.stat().st_size == st.st_size
    assert scan(root, out, workers=1).processed == 1


def test_when_state_db_then_one_row_per_path_in_wal(mixed_scan):
    with sqlite3.connect(mixed_scan[0] / STATE_FILE) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        n, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM results").fetchone()
    assert n == distinct == len(rows(mixed_scan[0]))


def test_when_out_dir_inside_root_then_not_scanned(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.txt").write_text(EXAM_BEFORE, encoding="utf-8")
    scan(root, root / "results", workers=1)
    summary = scan(root, root / "results", workers=1)
    assert [r["path"] for r in rows(root / "results")] == ["a.txt"] and summary.processed == 0


def test_when_scanning_then_document_text_stays_out_of_logs(mixed, tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "dingmi", "scan", str(mixed[0]), "--out", str(tmp_path / "o"),
                           "--workers", "1"], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    logs = proc.stdout + proc.stderr
    assert "扫描完成" in logs
    for line in EXAM_BEFORE.splitlines():
        if len(line.strip()) > 12:
            assert line.strip() not in logs
    evidence = [e["text"] for r in rows(tmp_path / "o") for e in r.get("evidence", [])]
    assert evidence and not any(t in logs for t in evidence if len(t) > 6)
    # the CLI scan uses the same model as `dingmi suggest`: same suggestion for the same file
    single = subprocess.run([sys.executable, "-m", "dingmi", "suggest", str(mixed[0] / "notice.txt"), "--json"],
                            capture_output=True, text=True, timeout=120, check=False)
    expected = json.loads(single.stdout)
    row = {r["path"]: r for r in rows(tmp_path / "o")}["notice.txt"]
    assert {k: row[k] for k in expected} == expected
    assert row["model_version"] != f"rules-{__version__}"


def test_when_file_exceeds_the_size_limit_then_error_row_without_reading(tmp_path):
    from dingmi.scan.walk import Limits

    root = tmp_path / "root"
    root.mkdir()
    (root / "big.txt").write_text(EXAM_BEFORE * 10, encoding="utf-8")
    (root / "small.txt").write_text(EXAM_BEFORE[:200], encoding="utf-8")
    scan(root, tmp_path / "out", workers=1, limits=Limits(max_file_bytes=2000))
    got = {r["path"]: r for r in rows(tmp_path / "out")}
    assert got["big.txt"]["code"] == "DM117" and got["big.txt"]["sha256"] == ""
    assert "code" not in got["small.txt"]
