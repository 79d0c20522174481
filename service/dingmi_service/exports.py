"""Word exports of a decided item: the marked document (GB/T 9704-2012 版头) and the 定密审批表."""

from __future__ import annotations

import io
import re
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .basis import cite
from .models import Decision, Suggestion
from .workflow import CHINA_TZ, is_secret

# CJK fonts for the PDF, embedded (subset) when one is installed; else the viewer's own Song font.
PDF_FONT_FILES = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
)
BODY_FONT = "仿宋_GB2312"
MARK_FONT = "黑体"
ACTION_TEXT = {"confirm": "同意系统建议", "change": "变更", "reject": "确定为非密"}
STATUS_TEXT = {  # one table for the pages, the register and the exported forms
    "pending": "待审核",
    "confirmed": "已确定",
    "rejected": "非密",
    "escalated": "已报请上级",
    "reported": "已报送保密行政管理部门",
}


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _safe(text: str) -> str:
    """Text Word can store: control characters (form feeds, vertical tabs…) left out."""
    return _NOT_XML.sub("", text)


def _font(run: Any, name: str, size: float) -> None:
    """Chinese and Latin font of a run (python-docx sets only the Latin one by itself)."""
    run.font.name = name
    run.font.size = Pt(size)
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _page(doc: Any) -> None:
    """A4 with the GB/T 9704 margins (天头 37 mm, 订口 28 mm)."""
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)


def _line(doc: Any, text: str, font: str = BODY_FONT, size: float = 16, bold: bool = False) -> Any:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(_safe(text))
    _font(run, font, size)
    run.bold = bold
    return paragraph


def _save(doc: Any) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _body_lines(text: str, header: dict[str, Any]) -> list[str]:
    """The document's lines without a 版头 of its own (份号, old marking, 紧急程度) at the top."""
    lines = text.replace("\r\n", "\n").split("\n")
    old = {str(header.get(k) or "").strip() for k in ("copy_number", "marking", "urgency")} - {""}
    start = 0
    while start < len(lines) and start < 6 and (not lines[start].strip() or lines[start].strip() in old):
        start += 1
    return lines[start:]


def marked_document(row: Suggestion, decision: Decision) -> bytes:
    """份号 / 密级★期限 / 紧急程度 on lines 1–3 upper-left, the decided marking in every page header,
    then the text."""
    header = (row.result or {}).get("header") or {}
    doc = Document()
    _page(doc)
    doc.core_properties.title = _safe(row.title or "")
    doc.core_properties.keywords = decision.marking
    page_header = doc.sections[0].header.paragraphs[0]
    _font(page_header.add_run(decision.marking), MARK_FONT, 12)
    first = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    _font(first.add_run(_safe(str(header.get("copy_number") or ""))), BODY_FONT, 16)  # line 1: 份号
    _line(doc, decision.marking, MARK_FONT, 16)  # line 2: 密级★期限
    _line(doc, str(header.get("urgency") or ""), MARK_FONT, 16)  # line 3: 紧急程度
    for text in _body_lines(row.text or "", header):
        _line(doc, text)
    return _save(doc)


def _cell(cell: Any, text: str, bold: bool = False) -> None:
    cell.text = ""
    run = cell.paragraphs[0].add_run(_safe(text))
    _font(run, BODY_FONT, 12)
    run.bold = bold


def _china(moment: Any) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y年%m月%d日") if moment else ""


def approval_rows(
    row: Suggestion, decision: Decision | None, names: dict[int, str], engine: Any
) -> list[tuple[str, str]]:
    """The form's lines (label, value); what is not decided yet is left for the pen."""
    header = (row.result or {}).get("header") or {}
    entries = (row.result or {}).get("entries") or []
    suggested_basis = cite(engine, str(entries[0].get("id", ""))) if entries else "未匹配到条目"
    suggested = row.marking or row.level
    if is_secret(row.level) and row.period and row.marking != f"{row.level}★{row.period}":
        suggested = f"{row.level}★{row.period}"
    d = decision
    opinion = ""
    if d is not None:
        opinion = ACTION_TEXT.get(d.action, d.action) + (f"：{d.reason}" if d.reason else "")
    return [
        ("文件标题", row.title or "（无标题）"),
        ("发文字号", str(header.get("doc_number") or "")),
        ("文件编号 / SHA-256", f"{row.id} / {row.sha256}"),
        ("承办人", names.get(row.submitted_by, str(row.submitted_by))),
        ("提交日期", _china(row.created_at)),
        ("系统建议", f"{suggested}（依据：{suggested_basis}；置信度 {row.confidence:.0%}）"),
        ("拟定密级", d.level if d else ""),
        ("保密期限", (d.period or "—") if d else ""),
        ("国家秘密标志", (d.marking or "—") if d else ""),
        ("知悉范围", d.knowledge_scope if d else ""),
        ("定密依据", cite(engine, d.basis_entry) if d else ""),
        ("定密责任人意见", opinion),
        ("定密责任人", names.get(d.decided_by, str(d.decided_by)) if d else ""),
        ("日期", _china(d.decided_at) if d else ""),
        ("状态", STATUS_TEXT.get(row.status, row.status)),
    ]


def approval_form(row: Suggestion, decision: Decision | None, names: dict[int, str], engine: Any) -> bytes:
    """定密审批表 as a printable two-column table."""
    doc = Document()
    _page(doc)
    title = _line(doc, "定密审批表", MARK_FONT, 22)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    lines = approval_rows(row, decision, names, engine)
    table = doc.add_table(rows=len(lines), cols=2)
    table.style = "Table Grid"
    for (label, value), cells in zip(lines, table.rows, strict=True):
        _cell(cells.cells[0], label, bold=True)
        _cell(cells.cells[1], value)
        cells.cells[0].width, cells.cells[1].width = Mm(40), Mm(116)
    _line(doc, "")
    _line(doc, "定密责任人（签字）：                    日期：", BODY_FONT, 14)
    return _save(doc)


def _pdf_font() -> str:
    """Register a CJK font with reportlab once; its name."""
    from pathlib import Path

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if "dingmi-cjk" in pdfmetrics.getRegisteredFontNames():
        return "dingmi-cjk"
    for path, index in PDF_FONT_FILES:
        if Path(path).exists():
            try:
                pdfmetrics.registerFont(TTFont("dingmi-cjk", path, subfontIndex=index))
                return "dingmi-cjk"
            except Exception:  # noqa: BLE001 - an unusable font file: try the next one
                continue
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _wrap(text: str, width: float, font: str, size: float) -> list[str]:
    """Break a line into pieces no wider than ``width`` (character by character: Chinese has no spaces)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out, current = [], ""
    for char in text:
        if current and stringWidth(current + char, font, size) > width:
            out.append(current)
            current = ""
        current += char
    out.append(current)
    return out


def marked_pdf(row: Suggestion, decision: Decision) -> bytes:
    """The marked document as PDF: the same 版头 lines 1–3 and the marking at the top of every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    header = (row.result or {}).get("header") or {}
    font, size, leading = _pdf_font(), 16, 28.0
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(row.title or "")
    pdf.setSubject(decision.marking)
    width, height = A4
    left, top, bottom = 28 * mm, height - 37 * mm, 35 * mm
    usable = width - left - 26 * mm

    def new_page() -> float:
        pdf.setFont(font, 10.5)
        pdf.drawString(left, height - 20 * mm, decision.marking)  # page header
        pdf.setFont(font, size)
        return top

    y = new_page()
    lines = [str(header.get("copy_number") or ""), decision.marking, str(header.get("urgency") or "")]
    lines += _body_lines(row.text or "", header)
    for line in lines:
        for piece in _wrap(line, usable, font, size):
            if y < bottom:
                pdf.showPage()
                y = new_page()
            pdf.drawString(left, y, piece)
            y -= leading
    pdf.save()
    return buffer.getvalue()
