"""Word .docx: body paragraphs and tables in document order (zip checks first)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from dingmi.errors import ReadError
from dingmi.readers.zipsafe import open_checked

if TYPE_CHECKING:
    from docx.table import Table

__all__ = ["OLE_MAGIC", "read_docx"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _broken_docx(detail: str = "") -> ReadError:
    return ReadError(f"Word文档已损坏或不是有效的.docx文件{detail}", code="DM114")


def read_docx(data: bytes) -> str:
    """Body paragraphs and tables in document order; table cells joined by \\t, rows by \\n.

    The 页眉 (headers) come first and the 页脚 (footers) last, each distinct paragraph once;
    images and text boxes are not read.
    """
    if data.startswith(OLE_MAGIC):
        raise _broken_docx("（这是旧版.doc或已加密的Word文档，请取消加密并另存为.docx后重试）")
    open_checked(data, _broken_docx).close()
    try:
        from docx import Document
        from docx.table import Table

        document = Document(io.BytesIO(data))
        lines: list[str] = _margins(document, "header")  # 页眉 first: the marking may be printed there
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_rows(block))
            else:
                lines.append(block.text)
        lines.extend(_margins(document, "footer"))
    except Exception:  # noqa: BLE001 - python-docx/lxml raise many types for broken files
        raise _broken_docx() from None
    return "\n".join(lines)


def _margins(document: object, kind: str) -> list[str]:
    """Non-empty paragraphs of every section's 页眉 (``header``) or 页脚 (``footer``), each once."""
    seen: list[str] = []
    for section in document.sections:  # type: ignore[attr-defined]
        part = getattr(section, kind)
        if part.is_linked_to_previous:
            continue
        for paragraph in part.paragraphs:
            text = paragraph.text.strip()
            if text and text not in seen:
                seen.append(text)
    return seen


def _table_rows(table: Table) -> list[str]:
    rows: list[str] = []
    seen: set[object] = set()  # merged cells repeat the same <w:tc> element; print each once
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            element = cell._tc  # kept alive in `seen`, so lxml keeps returning this same proxy
            cells.append("" if element in seen else cell.text.replace("\n", " "))
            seen.add(element)
        rows.append("\t".join(cells))
    return rows
