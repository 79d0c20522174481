"""Document reader: turn an uploaded file (.txt .md .html .htm .docx .pdf) into plain text.

Every failure is a :class:`~dingmi.errors.ReadError` with a Chinese message and a code:

- DM111 unsupported file type        - DM115 encrypted PDF
- DM112 empty document               - DM116 PDF without a text layer (needs OCR)
- DM113 binary / undecodable text    - DM117 input too large
- DM114 broken .docx or zip bomb     - DM118 file not found / not readable
- DM119 broken PDF

Plain text is returned unchanged except for line endings (``\\r\\n`` and ``\\r`` become ``\\n``)
and a leading BOM, so later code can keep character offsets into it.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from dingmi.errors import ReadError

if TYPE_CHECKING:
    from docx.table import Table

__all__ = ["MAX_BYTES", "SUPPORTED_SUFFIXES", "decode_text", "read_bytes", "read_path"]

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".docx", ".pdf"})
MAX_BYTES = 50 * 1024 * 1024

# Zip-bomb limits applied to .docx before python-docx touches it.
ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_RATIO = 200
ZIP_RATIO_MIN_SIZE = 10 * 1024 * 1024

# Share of non-ASCII characters that must look like Chinese text for a GB18030 decoding to be accepted.
_GB_MIN_SHARE = 0.8
# charset-normalizer guesses are used only at or below this "chaos" (mess) ratio.
_MAX_CHAOS = 0.05
# More than this share of control characters means binary content.
_MAX_CONTROL_SHARE = 0.1
# A multi-page PDF with fewer letters/digits/ideographs than this has no usable text layer.
_PDF_MIN_MEANINGFUL = 20

_UTF_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Non-ASCII characters that are unusual in Chinese text (PUA, rare scripts, astral planes ...).
_NOT_CHINESE_LIKE_RE = re.compile(
    "[^\x00-\x7f\u00a0-\u00ff\u0391-\u03c9\u0401-\u0451\u2000-\u27bf\u3000-\u33ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _undecodable() -> ReadError:
    return ReadError("文件内容不是可识别的文本（可能是二进制文件或无法识别的编码），请另存为UTF-8文本后重试", code="DM113")


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- plain text


def decode_text(data: bytes) -> str:
    """Decode the bytes of a plain-text file; raise ReadError DM113 for binary or undecodable data.

    Order: UTF-32/UTF-16 with BOM; UTF-8 (BOM stripped); line by line UTF-8 then GB18030 (accepted
    when the GB lines look like Chinese text); charset-normalizer's guess when it is confident.
    Only line endings are normalised; nothing is stripped. Text with NUL bytes or over 10% control
    characters is binary. Limitation: Big5 text that happens to decode as plausible GB18030 is
    read as GB18030.
    """
    text = _normalize_newlines(_decode(data))
    if "\x00" in text or len(_CONTROL_RE.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise _undecodable()
    return text


def _decode(data: bytes) -> str:
    for bom, codec in _UTF_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)  # the codec consumes the BOM
            except UnicodeDecodeError:
                raise _undecodable() from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if b"\x00" in data:
        raise _undecodable()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _decode_lines(data)
    return text if text is not None else _guess_encoding(data)


def _decode_lines(data: bytes) -> str | None:
    """Decode each line with strict UTF-8, else strict GB18030; None if a line fails or GB looks wrong."""
    parts: list[str] = []
    gb_parts: list[str] = []
    for line in data.splitlines(keepends=True):  # \n and \r never occur inside a GB18030 character
        try:
            parts.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        try:
            decoded = line.decode("gb18030")
        except UnicodeDecodeError:
            return None
        parts.append(decoded)
        gb_parts.append(decoded)
    gb_text = "".join(gb_parts)
    non_ascii = len(gb_text) - len(gb_text.encode("ascii", "ignore"))
    if len(_NOT_CHINESE_LIKE_RE.findall(gb_text)) > (1 - _GB_MIN_SHARE) * non_ascii:
        return None
    return "".join(parts)


def _guess_encoding(data: bytes) -> str:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None and best.chaos <= _MAX_CHAOS:
            return str(best)
    except Exception:  # noqa: BLE001 - any detector failure means "undecodable"
        pass
    raise _undecodable()


# ---------------------------------------------------------------- HTML

_HTML_SKIP = frozenset({"script", "style", "template"})
_HTML_BLOCK = frozenset(
    "address article aside blockquote body br caption dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 head header hr html li main nav ol p pre section summary "
    "table tbody tfoot thead title tr ul".split()
)
_HTML_CELLS = frozenset({"td", "th"})
_HTML_SPACE_RE = re.compile(r"[ \t\n\r\f]+")
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
# A source line break between two CJK characters is not a space in Chinese text.
_CJK_BREAK_RE = re.compile(f"(?<=[{_CJK}])[ \\t\\r\\f]*\\n[ \\t\\n\\r\\f]*(?=[{_CJK}])")


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP:
            self._skip += 1
        elif tag == "pre":
            self._pre += 1
        if tag in _HTML_BLOCK:
            self.parts.append("\n")
        elif tag in _HTML_CELLS:
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in _HTML_BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._pre:
            data = _HTML_SPACE_RE.sub(" ", _CJK_BREAK_RE.sub("", data))
        self.parts.append(data)


def _html_to_text(html: str) -> str:
    """Visible text of an HTML page: one block per line, entities unescaped, empty lines dropped."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    lines = (line.strip(" \t") for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- DOCX


def _broken_docx(detail: str = "") -> ReadError:
    return ReadError(f"Word文档已损坏或不是有效的.docx文件{detail}", code="DM114")


def _check_zip(data: bytes) -> None:
    """Refuse non-zip data and zip bombs (judged by the sizes the archive declares)."""
    if data.startswith(_OLE_MAGIC):
        raise _broken_docx("（这是旧版.doc或已加密的Word文档，请取消加密并另存为.docx后重试）")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception:  # noqa: BLE001 - zipfile raises many types for garbage input
        raise _broken_docx() from None
    if len(members) > ZIP_MAX_MEMBERS:
        raise _broken_docx(f"（压缩包内文件过多：{len(members)}个，疑似压缩炸弹）")
    if sum(m.file_size for m in members) > ZIP_MAX_TOTAL:
        raise _broken_docx("（解压后总大小超过200MB，疑似压缩炸弹）")
    for m in members:
        if m.file_size > ZIP_RATIO_MIN_SIZE and m.file_size > ZIP_MAX_RATIO * max(m.compress_size, 1):
            raise _broken_docx(f"（成员{m.filename}压缩比异常，疑似压缩炸弹）")


def _read_docx(data: bytes) -> str:
    """Body paragraphs and tables in document order; table cells joined by \\t, rows by \\n."""
    _check_zip(data)
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


# ---------------------------------------------------------------- PDF


def _read_pdf(data: bytes) -> str:
    """Text of all pages joined by \\n.

    An encrypted PDF is decrypted with the empty user password (common for "copy-protected"
    files that open without a password); if that fails it is refused with DM115. AES-encrypted
    files additionally need the ``cryptography`` package, else they are refused with DM115 too.
    """
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                decrypted = bool(reader.decrypt(""))
            except Exception:  # noqa: BLE001 - wrong password, unsupported algorithm, missing crypto lib
                decrypted = False
            if not decrypted:
                raise ReadError("PDF文件已加密（需要密码才能打开），无法读取；请先解除密码保护后重试", code="DM115")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many types for malformed files
        raise ReadError("PDF文件已损坏，无法解析", code="DM119") from None
    if not pages:
        raise ReadError("PDF文件没有页面", code="DM112")
    text = "\n".join(pages)
    meaningful = sum(1 for ch in text if ch.isalnum())
    if meaningful == 0 or (len(pages) > 1 and meaningful < _PDF_MIN_MEANINGFUL):
        raise ReadError("PDF文件没有可提取的文字层（可能是扫描件或图片），需要先OCR识别后再提交", code="DM116")
    return text


# ---------------------------------------------------------------- entry points


def _format_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}MB" if size >= 1024 * 1024 else f"{size}字节"


def _too_large(size: int, max_bytes: int) -> ReadError:
    return ReadError(f"文件过大（{_format_size(size)}），超过上限{_format_size(max_bytes)}", code="DM117")


def read_bytes(data: bytes, filename: str = "", *, max_bytes: int = MAX_BYTES) -> str:
    """Extract the text of a document, choosing the reader by the suffix of ``filename``.

    No suffix, .txt and .md are plain text; an unknown suffix is read as plain text when the
    content is text, else refused with DM111. Raises only ReadError.
    """
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if not data:
        raise ReadError("文件为空", code="DM112")
    try:
        if suffix == ".docx":
            text = _read_docx(data)
        elif suffix == ".pdf":
            text = _read_pdf(data)
        elif suffix in (".html", ".htm"):
            text = _html_to_text(decode_text(data))
        elif suffix in ("", ".txt", ".md"):
            text = decode_text(data)
        else:
            try:
                text = decode_text(data)
            except ReadError as exc:
                supported = "、".join(sorted(SUPPORTED_SUFFIXES))
                raise ReadError(f"不支持的文件类型“{suffix}”，支持的类型：{supported}", code="DM111") from exc
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - safety net: callers only ever see ReadError
        code = {".docx": "DM114", ".pdf": "DM119"}.get(suffix, "DM113")
        raise ReadError(f"读取文件失败：{type(exc).__name__}", code=code) from exc
    text = _normalize_newlines(text)
    if not text.strip():
        raise ReadError("文档中没有文字内容", code="DM112")
    return text


def read_path(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> str:
    """Read a document from disk; see :func:`read_bytes`. Missing or unreadable files raise DM118."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise _too_large(size, max_bytes)
            data = handle.read(max_bytes + 1)
    except ReadError:
        raise
    except FileNotFoundError:
        raise ReadError(f"文件不存在：{name}", code="DM118") from None
    except IsADirectoryError:
        raise ReadError(f"路径是目录而不是文件：{name}", code="DM118") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ReadError(f"无法读取文件：{name}（{reason}）", code="DM118") from None
    return read_bytes(data, Path(name).name, max_bytes=max_bytes)
