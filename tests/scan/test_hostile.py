"""Hostile and messy archives: loops, stalls, collisions, swapped files, reused outputs, bombs (issue 14)."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dingmi.errors import ReadError
from dingmi.scan.backends import run_local
from dingmi.scan.progress import PlainProgress
from dingmi.scan.runner import fingerprint
from dingmi.scan.state import StateDB, StateError
from dingmi.scan.walk import ArchiveCache, Limits, Source, confine_root, load_bytes, walk
from dingmi.scan.worker import WorkerConfig, error_outcome
from scan.scanfiles import (
    EXAM_BEFORE,
    GBK_TEXT,
    make_docx,
    make_shared_stream_pdf,
    make_slow_pdf,
    rows,
    scan,
    scanned_doc,
    sleeping_batch,
    zip_bytes,
)

D = dt.date


def codes(out: Path) -> dict[str, str]:
    return {r["path"]: r.get("code", "") for r in rows(out)}


def test_when_symlinks_form_a_loop_then_one_dm135_row_each_and_the_scan_goes_on(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "a").symlink_to(root / "b")
    (root / "b").symlink_to(root / "a")
    (root / "self").symlink_to(root / "self")
    (root / "doc.txt").write_text(EXAM_BEFORE, encoding="utf-8")
    scan(root, tmp_path / "out", workers=1)
    got = {r["path"]: r for r in rows(tmp_path / "out")}
    assert {p: r.get("code", "") for p, r in got.items()} == {"a": "DM135", "b": "DM135", "self": "DM135", "doc.txt": ""}
    assert "循环" in got["a"]["error"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX pipes")
def test_when_symlink_points_to_a_pipe_then_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link.txt").symlink_to(tmp_path / "pipe")
    got = {i.path: i for i in walk(tmp_path)}
    assert got["link.txt"].code == "DM135" and "不是普通文件" in got["link.txt"].reason
    assert got["pipe"].code == "DM135"


def test_when_a_file_stalls_then_timeout_row_worker_replaced_and_others_done(tmp_path):
    for name in ("a.txt", "slow.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(EXAM_BEFORE, encoding="utf-8")
    sources = list(walk(tmp_path))
    got: dict[str, str] = {}
    t0 = time.monotonic()
    run_local([sources], WorkerConfig(), 1, lambda o: got.__setitem__(o.path, o.code), task=sleeping_batch,
              file_timeout=1.5)
    assert got == {"a.txt": "", "b.txt": "", "c.txt": "", "slow.txt": "DM137"}
    assert time.monotonic() - t0 < 40  # the stalled worker was killed, not waited for (it sleeps 60 s)


def test_when_pdf_is_slow_then_cli_scan_writes_dm137_and_finishes(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    make_slow_pdf(root / "slow.pdf", 600_000)  # ~10 s of text extraction
    (root / "ok.txt").write_text(EXAM_BEFORE, encoding="utf-8")
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "dingmi", "scan", str(root), "--out", str(tmp_path / "o"),
                           "--workers", "1", "--no-model", "--file-timeout", "2"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert codes(tmp_path / "o") == {"ok.txt": "", "slow.pdf": "DM137"}
    assert time.monotonic() - t0 < 45
    assert "0秒" not in proc.stderr.replace("10秒", "")  # never "预计剩余0秒" while the PDF stalls


def test_when_pdf_shares_one_huge_stream_across_pages_then_refused_before_parsing(tmp_path):
    from dingmi.reader import read_bytes

    pdf = make_shared_stream_pdf(tmp_path / "h.pdf", 200, 20_000)
    assert pdf.stat().st_size < 64_000
    t0 = time.monotonic()
    with pytest.raises(ReadError) as info:
        read_bytes(pdf.read_bytes(), "h.pdf")
    assert info.value.code == "DM129" and time.monotonic() - t0 < 5


def test_when_progress_stalls_then_no_zero_seconds_left():
    stream = io.StringIO()
    progress = PlainProgress(stream, interval=0)
    progress.start(1, 100)
    progress.tick()
    assert "预计剩余0秒" not in stream.getvalue() and "预计剩余时间未知" in stream.getvalue()


def _gbk_name_supported(tmp_path: Path) -> bool:
    try:
        (tmp_path / os.fsdecode(b"\xb9\xab.probe")).write_bytes(b"")
    except (OSError, UnicodeError):
        return False
    return True


def test_when_names_collide_with_the_member_separator_then_every_input_has_its_row(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "collide.zip").write_bytes(zip_bytes({"x.txt": "压缩包成员".encode()}))
    (root / "collide.zip!x.txt").write_text("普通文件", encoding="utf-8")
    inner = zip_bytes({"y.txt": "内层".encode()})
    (root / "outer.zip").write_bytes(zip_bytes({"in.zip": inner, "in.zip!y.txt": "同名成员".encode()}))
    (root / "50%.txt").write_text("百分号", encoding="utf-8")
    (root / "50%25.txt").write_text("转义形式", encoding="utf-8")
    expected = {"collide.zip!x.txt", "collide.zip%21x.txt", "outer.zip!in.zip!y.txt", "outer.zip!in.zip%21y.txt",
                "50%25.txt", "50%2525.txt"}
    if _gbk_name_supported(root):
        (root / os.fsdecode(b"\xb9\xab.probe")).unlink()
        (root / os.fsdecode(b"\xb9\xab.txt")).write_text("GBK文件名", encoding="utf-8")
        (root / "\\xb9\\xab.txt").write_text("字面反斜杠", encoding="utf-8")
        expected |= {"%B9%AB.txt", "\\xb9\\xab.txt"}
    paths = [i.path for i in walk(root)]
    assert set(paths) == expected and len(paths) == len(expected)
    scan(root, tmp_path / "out", workers=1)
    assert set(codes(tmp_path / "out")) == expected


def test_when_file_is_swapped_for_a_symlink_after_the_walk_then_nothing_outside_is_read(tmp_path):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("扫描目录之外的文件", encoding="utf-8")
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("正文", encoding="utf-8")
    (root / "sub" / "secret.txt").write_text("正文", encoding="utf-8")
    found = {i.path: i for i in walk(root)}
    (root / "a.txt").unlink()
    (root / "a.txt").symlink_to(secret)                    # the file itself
    os.rename(root / "sub", tmp_path / "moved")
    (root / "sub").symlink_to(secret.parent)              # a directory on its path
    cache = ArchiveCache(root=confine_root(root))
    for path in ("a.txt", "sub/secret.txt"):
        source = found[path]
        assert isinstance(source, Source)
        with pytest.raises(ReadError) as info:
            load_bytes(source, Limits(), cache)
        assert info.value.code == "DM135", path


def test_when_out_dir_holds_another_roots_results_then_refused_unless_rescan(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for root, n in ((first, 3), (second, 1)):
        root.mkdir()
        for i in range(n):
            (root / f"d{i}.txt").write_text(EXAM_BEFORE, encoding="utf-8")
    out = tmp_path / "out"
    scan(first, out, workers=1)
    with pytest.raises(StateError, match="--rescan"):
        scan(second, out, workers=1)
    assert len(rows(out)) == 3  # the finished rows are untouched
    scan(second, out, workers=1, rescan=True)
    assert [r["path"] for r in rows(out)] == ["d0.txt"]


def test_when_an_unread_error_row_meets_a_readable_file_then_it_is_retried(tmp_path):
    root, doc, out = scanned_doc(tmp_path)
    st = doc.stat()
    with sqlite_state(out) as db:  # as if the file had been unreadable in the first run
        db.put(error_outcome("a.txt", st.st_size, st.st_mtime_ns, "", "DM118", "无法读取文件（没有读取权限）"))
    summary = scan(root, out, workers=1)
    assert summary.processed == 1 and codes(out) == {"a.txt": ""}


def sqlite_state(out: Path):  # noqa: ANN201 - a closing context for the state DB of a finished scan
    import contextlib

    from dingmi.catalog import load_default

    db = StateDB(out, "scan", fingerprint(load_default([]), None, None, Limits()))
    return contextlib.closing(db)


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads mode-000 files")
def test_when_zip_has_mode_000_then_unreadable_not_broken(tmp_path):
    archive = tmp_path / "locked.zip"
    archive.write_bytes(zip_bytes({"a.txt": "正文".encode()}))
    archive.chmod(0)
    try:
        assert [(i.path, i.code) for i in walk(tmp_path)] == [("locked.zip", "DM118")]
    finally:
        archive.chmod(0o600)


def test_when_archive_expands_far_beyond_its_size_then_refused_whole(tmp_path):
    members = {f"m{i:02}.txt": b"0" * 400_000 for i in range(40)}  # 16 MB from a few kB, no member above 10 MB
    (tmp_path / "many.zip").write_bytes(zip_bytes(members))
    got = [(i.path, getattr(i, "code", "")) for i in walk(tmp_path, limits=Limits(archive_ratio_min_bytes=8_000_000))]
    assert got == [("many.zip", "DM133")]


def test_when_a_bomb_is_refused_then_the_report_counts_only_bytes_read(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "bomb.zip").write_bytes(zip_bytes({"zeros.txt": b"0" * 3_000_000, "ok.txt": EXAM_BEFORE.encode()}))
    scan(root, tmp_path / "out", workers=1, limits=Limits(ratio_min_bytes=1_000_000))
    assert codes(tmp_path / "out")["bomb.zip!zeros.txt"] == "DM133"
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "已读取数据量" in page and "2.9 MB" not in page and "0.0 MB" in page


def test_when_out_dir_cannot_be_created_then_exit_2_with_one_chinese_line(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(EXAM_BEFORE, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "dingmi", "scan", str(tmp_path / "docs"), "--out",
                           str(blocker / "out"), "--no-model"], capture_output=True, text=True, timeout=60, check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("错误：无法写入输出目录"), proc.stderr


def test_when_marking_is_only_in_the_docx_page_header_then_it_is_read(tmp_path):
    from docx import Document

    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "秘密★10年"
    for line in GBK_TEXT.splitlines()[1:]:
        doc.add_paragraph(line)
    root = tmp_path / "root"
    root.mkdir()
    doc.save(str(root / "header.docx"))
    make_docx(root / "plain.docx", GBK_TEXT.splitlines()[1:])
    scan(root, tmp_path / "out", workers=1)
    got = {r["path"]: r for r in rows(tmp_path / "out")}
    assert got["header.docx"]["existing_marking"] == "秘密★10年"
    assert got["plain.docx"]["existing_marking"] == ""


SIGNED_2017 = "秘密★10年\n某市保密局\n关于做好保密检查工作的通知\n各单位：\n　　现将检查要求通知如下。\n某市保密局\n2017年6月1日\n\n附件\n\n" \
    + "".join(f"　　第{n}条　本规定自2012年5月1日起施行。\n" for n in "一二三四五六七八九十") + "　　本附件完。\n"


def test_declass_takes_the_signature_date_not_the_attachments(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "signed.txt").write_text(SIGNED_2017, encoding="utf-8")
    (root / "over.txt").write_text(SIGNED_2017.replace("秘密★10年", "秘密★15年"), encoding="utf-8")
    (root / "spaced.txt").write_text(SIGNED_2017.replace("秘密★10年", "秘密★10 年"), encoding="utf-8")
    (root / "unsigned.txt").write_text(SIGNED_2017.replace("某市保密局\n2017年6月1日\n", ""), encoding="utf-8")
    out = tmp_path / "out"
    scan(root, out, kind="declass", as_of=D(2026, 11, 30), workers=1)
    got = {r["path"]: r for r in rows(out)}
    assert got["signed.txt"]["issue_date"] == "2017-06-01"
    assert got["signed.txt"]["expiry_date"] == "2027-06-01"  # in force until then, whatever the content suggests
    assert "expired" not in [got["signed.txt"]["declass_status"], *got["signed.txt"]["declass_also"]]
    assert got["spaced.txt"]["existing_marking"] == "秘密★10年" and got["spaced.txt"]["expiry_date"] == "2027-06-01"
    assert got["over.txt"]["expiry_date"] == "2027-06-01" and "法定最长期限10年" in got["over.txt"]["declass_reason"]
    unsigned = got["unsigned.txt"]
    assert unsigned["issue_date"] == "" and unsigned["expiry_date"] == ""
    assert "condition" in [unsigned["declass_status"], *unsigned["declass_also"]]  # checked by hand, never guessed
    assert "未找到成文日期" in unsigned["declass_reason"]


def test_when_chart_labels_are_long_then_none_is_clipped():
    import re

    from dingmi.scan.declass import STATUS_LABELS
    from dingmi.scan.report_html import bar_chart

    svg = bar_chart([(label, 3) for label in STATUS_LABELS.values()], title="按审查结论统计")
    width = int(re.search(r'width="(\d+)"', svg).group(1))
    for x, label in re.findall(r'<text x="(\d+)" y="\d+" text-anchor="end"><title>[^<]*</title>([^<]*)</text>', svg):
        cjk = sum(1 for ch in label if ord(ch) > 0x2E7F)
        assert int(x) - (12 * cjk + 7 * (len(label) - cjk)) >= 0, label  # the label starts inside the picture
    assert width >= 300


def test_when_a_broken_pdf_is_scanned_then_pypdf_prints_nothing(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> trailing garbage, no EOF marker")
    proc = subprocess.run([sys.executable, "-m", "dingmi", "scan", str(root), "--out", str(tmp_path / "o"),
                           "--workers", "1", "--no-model"], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and codes(tmp_path / "o") == {"broken.pdf": "DM119"}
    assert "EOF" not in proc.stderr and "pypdf" not in proc.stderr


def test_when_archive_cannot_be_opened_then_dm118_not_broken(tmp_path, monkeypatch):
    """The mode-000 case for any user (root reads mode-000 files): the open is refused with EACCES."""
    import errno

    archive = tmp_path / "locked.zip"
    archive.write_bytes(zip_bytes({"a.txt": "正文".encode()}))
    real_open = os.open

    def refuse(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if os.fspath(path) == str(archive):
            raise PermissionError(errno.EACCES, "Permission denied", str(archive))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    got = list(walk(tmp_path))
    assert [(i.path, i.code) for i in got] == [("locked.zip", "DM118")] and "没有读取权限" in got[0].reason
