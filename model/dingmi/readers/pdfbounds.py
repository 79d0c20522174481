"""Bounds on the work a PDF may cause before its text is extracted.

A crafted PDF can make text extraction run for hours with a few kilobytes: thousands of pages
sharing one compressed content stream of tens of thousands of text operators. Before extracting,
the pages are counted and each page's decoded content is measured (a stream shared by many pages
counts once per page, since extraction parses it once per page); beyond the bounds the file is
refused with DM129 instead of being parsed.
"""

from __future__ import annotations

import re
from typing import Any

from dingmi.errors import ReadError

__all__ = ["MAX_CONTENT_BYTES", "MAX_OPERATORS", "MAX_PAGES", "check_pdf_work"]

MAX_PAGES = 3000
MAX_CONTENT_BYTES = 48 * 1024 * 1024   # decoded content streams, summed over pages
MAX_OPERATORS = 2_000_000              # text-showing operators, summed over pages
_TEXT_OPERATOR = re.compile(rb"(?:Tj|TJ|'|\")(?=[\s\[\]()<>/%]|$)")
TOO_MUCH_WORK = "DM129"


def _too_much(detail: str) -> ReadError:
    return ReadError(f"PDF文件的内容量异常（{detail}），疑似恶意构造，已拒绝解析", code=TOO_MUCH_WORK)


def check_pdf_work(reader: Any, *, max_pages: int = MAX_PAGES, max_bytes: int = MAX_CONTENT_BYTES,
                   max_operators: int = MAX_OPERATORS) -> None:
    """Raise DM129 when extracting the text of ``reader`` (a pypdf PdfReader) would exceed the bounds."""
    pages = len(reader.pages)
    if pages > max_pages:
        raise _too_much(f"{pages}页，上限{max_pages}页")
    total = operators = 0
    measured: dict[object, tuple[int, int]] = {}  # a stream shared by pages is decoded once
    for page in reader.pages:
        for key, stream in _content_streams(page):
            if key not in measured:
                data = stream.get_data()
                measured[key] = (len(data), len(_TEXT_OPERATOR.findall(data)))
            size, ops = measured[key]
            total += size
            operators += ops
            if total > max_bytes:
                raise _too_much(f"各页内容流解压后合计超过{max_bytes // 1024 // 1024}MB")
            if operators > max_operators:
                raise _too_much(f"文字操作符合计超过{max_operators}个")


def _content_streams(page: Any) -> list[tuple[object, Any]]:
    """The content streams of a page, each with a key that is the same wherever the stream is shared."""
    raw = page.get("/Contents")
    if raw is None:
        return []
    resolved = raw.get_object()
    items = list(resolved) if isinstance(resolved, list) else [raw]
    out = []
    for item in items:
        key = (item.idnum, item.generation) if hasattr(item, "idnum") else id(item.get_object())
        out.append((key, item.get_object()))
    return out
