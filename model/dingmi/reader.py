"""Document reader: turn an uploaded file into plain text, choosing the reader by suffix.

Formats: .txt .md .html .htm .docx .pdf .ofd .doc .wps, and with OCR (``ocr=True``, the ``ocr``
extra) scanned PDF/OFD pages and .png .jpg .jpeg .tif .tiff .bmp images. One module per format
lives in :mod:`dingmi.readers`. Every failure is a :class:`~dingmi.errors.ReadError` with a
Chinese message and a code:

- DM111 unsupported file type             - DM122 broken OFD (or zip bomb, unsafe path)
- DM112 empty document                    - DM123 broken or unsupported .doc/.wps
- DM113 binary / undecodable text         - DM124 encrypted .doc/.wps
- DM114 broken .docx or zip bomb          - DM125 image or scanned OFD without OCR (需要OCR)
- DM115 encrypted PDF                     - DM126 OCR asked for, ``ocr`` extra not installed
- DM116 PDF without text layer (需要OCR)  - DM127 broken image, or too many pixels
- DM117 input too large                   - DM128 more pages to recognise than ``dingmi.ocr.MAX_PAGES``
- DM118 file not found / not readable     - DM129 PDF needing too much work (``readers.pdfbounds``)
- DM119 broken PDF                        (DM120 and DM121 belong to evaluate and suggest --jsonl)

Plain text is returned unchanged except for line endings (``\\r\\n`` and ``\\r`` become ``\\n``)
and a leading BOM, so later code can keep character offsets into it. :func:`extract_bytes`
also tells how the text was obtained (:class:`TextSource`); evidence offsets of a suggestion
index the extracted text.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from dingmi.errors import ReadError
from dingmi.readers.docx import read_docx
from dingmi.readers.image import IMAGE_SUFFIXES, read_image
from dingmi.readers.msword import read_msword
from dingmi.readers.ofd import read_ofd
from dingmi.readers.pdf import read_pdf
from dingmi.readers.plain import decode_text, html_to_text, normalize_newlines
from dingmi.readers.source import Extracted, TextSource, annotate

__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_BYTES",
    "SUPPORTED_SUFFIXES",
    "Extracted",
    "TextSource",
    "annotate",
    "decode_text",
    "extract_bytes",
    "extract_path",
    "read_bytes",
    "read_path",
]

TEXT_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".ofd", ".doc", ".wps"})
SUPPORTED_SUFFIXES: frozenset[str] = TEXT_SUFFIXES | IMAGE_SUFFIXES
MAX_BYTES = 50 * 1024 * 1024

# The code of an unexpected failure inside each format's reader.
_BROKEN_CODE = {".docx": "DM114", ".pdf": "DM119", ".ofd": "DM122", ".doc": "DM123", ".wps": "DM123"}


def _format_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}MB" if size >= 1024 * 1024 else f"{size}字节"


def _too_large(size: int, max_bytes: int) -> ReadError:
    return ReadError(f"文件过大（{_format_size(size)}），超过上限{_format_size(max_bytes)}", code="DM117")


def _extract(data: bytes, suffix: str, ocr: bool) -> Extracted:
    if suffix == ".pdf":
        return read_pdf(data, use_ocr=ocr)
    if suffix == ".ofd":
        return read_ofd(data, use_ocr=ocr)
    if suffix in IMAGE_SUFFIXES:
        return read_image(data, use_ocr=ocr)
    if suffix == ".docx":
        return Extracted(read_docx(data), TextSource("docx"))
    if suffix in (".doc", ".wps"):
        if data.startswith(b"PK\x03\x04"):  # a .docx renamed, or WPS saving in the OOXML format
            return Extracted(read_docx(data), TextSource("docx"))
        return Extracted(read_msword(data), TextSource(suffix[1:]))
    if suffix in (".html", ".htm"):
        return Extracted(html_to_text(decode_text(data)), TextSource("html"))
    if suffix in ("", ".txt", ".md"):
        return Extracted(decode_text(data), TextSource(suffix[1:] or "txt"))
    try:
        return Extracted(decode_text(data), TextSource("txt"))
    except ReadError as exc:
        supported = "、".join(sorted(SUPPORTED_SUFFIXES))
        raise ReadError(f"不支持的文件类型“{suffix}”，支持的类型：{supported}", code="DM111") from exc


def extract_bytes(data: bytes, filename: str = "", *, max_bytes: int = MAX_BYTES, ocr: bool = False) -> Extracted:
    """Extract the text of a document and how it was obtained, choosing the reader by the suffix of ``filename``.

    No suffix, .txt and .md are plain text; an unknown suffix is read as plain text when the
    content is text, else refused with DM111. ``ocr`` recognises images and scanned pages
    (else they are refused with DM116/DM125). Raises only ReadError.
    """
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if not data:
        raise ReadError("文件为空", code="DM112")
    try:
        extracted = _extract(data, suffix, ocr)
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - safety net: callers only ever see ReadError
        code = _BROKEN_CODE.get(suffix, "DM127" if suffix in IMAGE_SUFFIXES else "DM113")
        raise ReadError(f"读取文件失败：{type(exc).__name__}", code=code) from exc
    text = normalize_newlines(extracted.text)
    if not text.strip():
        raise ReadError("文档中没有文字内容", code="DM112")
    return Extracted(text, extracted.source)


def read_bytes(data: bytes, filename: str = "", *, max_bytes: int = MAX_BYTES, ocr: bool = False) -> str:
    """The text of :func:`extract_bytes`."""
    return extract_bytes(data, filename, max_bytes=max_bytes, ocr=ocr).text


def extract_path(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES, ocr: bool = False) -> Extracted:
    """Read a document from disk; see :func:`extract_bytes`. Missing or unreadable files raise DM118."""
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
    return extract_bytes(data, Path(name).name, max_bytes=max_bytes, ocr=ocr)


def read_path(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES, ocr: bool = False) -> str:
    """The text of :func:`extract_path`."""
    return extract_path(path, max_bytes=max_bytes, ocr=ocr).text
