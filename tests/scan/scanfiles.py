"""Real files for the scan tests: a mixed directory with good, broken, encrypted, GBK, empty and zip-slip files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from dingmi.scan.progress import PlainProgress
from dingmi.scan.runner import RunOptions, RunSummary, run
from documents import EXAM_BEFORE, TRAINING_NOTICE

GBK_TEXT = """秘密★10年
某市统计局
关于2015年全市经济运行情况的报告
市政府：
　　现将2015年全市经济运行主要指标初步汇总情况报告如下，请审阅。
某市统计局
2015年12月20日
"""

RADAR_DOC = """机密★20年
某研究所
关于新型相控阵雷达研制进展情况的报告
所领导：
　　新型相控阵雷达已完成第二阶段研制，关键技术参数如下：探测距离达到450公里，方位精度0.1度。外场试验数据表明，在复杂电磁环境下目标识别率达到96%。下一步将开展第三阶段外场试验。
某研究所科研处
2019年5月6日
"""


def org_entry(level: str) -> dict[str, str]:
    """An organisation catalog entry that RADAR_DOC matches."""
    return {"id": "org-01", "regulation": "某研究所保密事项范围", "domain": "科研", "item": "第一条",
            "text": "新型相控阵雷达的研制进度、关键技术参数和外场试验数据。", "level": level, "period": "20年"}


def write_catalog(path: Path, *entries: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
    return path


def make_pdf(path: Path, lines: list[str]) -> Path:
    """A text-layer PDF in Chinese (reportlab's built-in STSong-Light CID font)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(lines):
        c.drawString(50, 800 - 20 * i, line)
    c.save()
    return path


def make_encrypted_pdf(path: Path, source: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(str(source)))
    writer.encrypt("口令-secret", algorithm="AES-256")
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def make_docx(path: Path, lines: list[str]) -> Path:
    from docx import Document

    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(str(path))
    return path


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def build_mixed(root: Path) -> dict[str, str]:
    """Write the mixed archive; returns expected path -> error code ("" for a good file)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "notice.txt").write_text(EXAM_BEFORE, encoding="utf-8")
    (root / "gbk.txt").write_bytes(GBK_TEXT.encode("gbk"))
    make_docx(root / "report.docx", TRAINING_NOTICE.splitlines())
    make_pdf(root / "scan.pdf", RADAR_DOC.splitlines())
    (root / "sub").mkdir(exist_ok=True)
    (root / "sub" / "page.html").write_text(
        "<html><head><title>通知</title><script>var x=1;</script></head><body>"
        + "".join(f"<p>{line}</p>" for line in TRAINING_NOTICE.splitlines()) + "</body></html>", encoding="utf-8")
    (root / "sub" / "notes.md").write_text("# 会议记录\n\n" + TRAINING_NOTICE, encoding="utf-8")
    (root / "sub" / "<b>&amp;x.txt").write_text(TRAINING_NOTICE, encoding="utf-8")
    (root / "broken.docx").write_bytes(b"PK\x03\x04 this is not really a zip")
    make_encrypted_pdf(root / "locked.pdf", root / "scan.pdf")
    make_pdf(root / "image-only.pdf", [])  # a page without a text layer
    (root / "empty.txt").write_bytes(b"")
    (root / "table.xls").write_bytes(b"\xd0\xcf\x11\xe0 not a document")
    nested = zip_bytes({"deep.txt": GBK_TEXT.encode("utf-8")})
    (root / "evil.zip").write_bytes(zip_bytes({
        "../evil.txt": b"escape attempt",
        "/abs/evil.txt": b"absolute path",
        "ok/inner.txt": EXAM_BEFORE.encode("utf-8"),
        "nested.zip": nested,
    }))
    return {
        "notice.txt": "", "gbk.txt": "", "report.docx": "", "scan.pdf": "", "sub/page.html": "",
        "sub/notes.md": "", "sub/<b>&amp;x.txt": "", "broken.docx": "DM114", "locked.pdf": "DM115", "image-only.pdf": "DM116",
        "empty.txt": "DM112", "table.xls": "DM111", "evil.zip!../evil.txt": "DM131",
        "evil.zip!/abs/evil.txt": "DM131", "evil.zip!ok/inner.txt": "", "evil.zip!nested.zip!deep.txt": "",
    }


def scan(root: Path, out: Path, **kwargs: Any) -> RunSummary:
    """Run a scan in-process with quiet progress."""
    kwargs.setdefault("workers", 2)
    return run(RunOptions(root=root, out_dir=out, progress=PlainProgress(io.StringIO()), **kwargs))


def scanned_doc(tmp_path: Path) -> tuple[Path, Path, Path]:
    """One notice in a fresh directory, scanned once: (root, the document, the output directory)."""
    root = tmp_path / "root"
    root.mkdir()
    doc = root / "a.txt"
    doc.write_text(EXAM_BEFORE, encoding="utf-8")
    out = tmp_path / "out"
    scan(root, out, workers=1)
    return root, doc, out


def rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def crashing_batch(sources: list) -> list:
    """A pool task that kills its worker process on any file named crash*.txt (importable by spawned workers)."""
    import os

    from dingmi.scan.worker import run_batch

    if any(s.path.startswith("crash") for s in sources):
        os._exit(3)
    return run_batch(sources)


def sleeping_batch(sources: list) -> list:
    """A pool task that stalls for a minute on any file named slow*.txt (importable by spawned workers)."""
    import time

    from dingmi.scan.worker import run_batch

    if any(s.path.startswith("slow") for s in sources):
        time.sleep(60)
    return run_batch(sources)


def make_slow_pdf(path: Path, operators: int) -> Path:
    """A one-page PDF whose text layer is ``operators`` tiny text operators: slow to extract, within the bounds."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, StreamObject

    writer = PdfWriter()
    content = StreamObject()
    content.set_data(b"BT /F1 12 Tf 50 700 Td " + b"(ab) Tj " * operators + b"ET")
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page = writer.add_blank_page(612, 792)
    page[NameObject("/Contents")] = writer._add_object(content.flate_encode())
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def make_shared_stream_pdf(path: Path, pages: int, operators: int) -> Path:
    """The issue's hostile PDF: ``pages`` pages sharing one compressed stream of ``operators`` text operators."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    content = StreamObject()
    content.set_data(b"BT 50 700 Td " + b"(ab) Tj " * operators + b"ET")
    shared = writer._add_object(content.flate_encode())
    for _ in range(pages):
        writer.add_blank_page(612, 792)[NameObject("/Contents")] = shared
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def shared_engine_report(root: Path, conn: Any) -> None:
    """Run in a fresh process (no other thread, so the pool forks): preload, scan ``root`` with
    :func:`engine_id_batch` on two workers, and send back the parent's engine id and pid, each
    file's answer, and whether the parent still holds an engine afterwards."""
    import json
    import os

    from dingmi.scan import worker
    from dingmi.scan.backends import run_local
    from dingmi.scan.walk import walk

    config = worker.WorkerConfig()
    assert worker.preload(config) == ""
    parent_engine = id(worker._STATE[config].engine)
    got: dict[str, dict[str, int]] = {}
    sources = list(walk(root))
    run_local([sources[:3], sources[3:]], config, 2, lambda o: got.__setitem__(o.path, json.loads(o.row)),
              task=engine_id_batch)
    conn.send((parent_engine, os.getpid(), got, bool(worker._STATE)))


def engine_id_batch(sources: list) -> list:
    """A pool task that answers, per file, which process ran it and where its engine lives in memory."""
    import json
    import os

    from dingmi.scan.worker import _POOL_CONFIG, _STATE, Outcome

    engine = id(_STATE[_POOL_CONFIG[0]].engine)
    return [Outcome(s.path, s.size, s.mtime_ns, "", "", json.dumps({"pid": os.getpid(), "engine": engine}))
            for s in sources]
