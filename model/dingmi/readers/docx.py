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

    Images, text boxes, headers and footers are not read.
    """
    if data.startswith(OLE_MAGIC):
        raise _broken_docx("（这是旧版.doc或已加密的Word文档，请取消加密并另存为.docx后重试）")
    open_checked(data, _broken_docx).close()
    try:
        from docx import Document
        from docx.table import Table

        lines: list[str] = []
        for block in Document(io.BytesIO(data)).iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_rows(block))
            else:
                lines.append(block.text)
    except Exception:  # noqa: BLE001 - python-docx/lxml raise many types for broken files
        raise _broken_docx() from None
    return "\n".join(lines)


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
