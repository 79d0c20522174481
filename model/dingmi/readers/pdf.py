"""PDF: the text layer of every page; with OCR, the images of pages without text are recognised."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dingmi import ocr
from dingmi.errors import ReadError
from dingmi.readers.image import broken_image, recognize_all
from dingmi.readers.pdfbounds import check_pdf_work
from dingmi.readers.source import Extracted, TextSource

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["read_pdf"]

# A multi-page PDF with fewer letters/digits/ideographs than this has no usable text layer.
_PDF_MIN_MEANINGFUL = 20
# A page with fewer letters/digits/ideographs than this (a page number) is sent to OCR.
_PAGE_MIN_MEANINGFUL = 5
# Form XObjects are followed this deep when looking for a page's images.
_MAX_FORM_DEPTH = 3


def _meaningful(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def _open(data: bytes) -> Any:
    """A PdfReader, decrypted with the empty user password when needed (else DM115)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            decrypted = bool(reader.decrypt(""))
        except Exception:  # noqa: BLE001 - wrong password, unsupported algorithm, missing crypto lib
            decrypted = False
        if not decrypted:
            raise ReadError("PDF文件已加密（需要密码才能打开），无法读取；请先解除密码保护后重试", code="DM115")
    return reader


def read_pdf(data: bytes, *, use_ocr: bool = False) -> Extracted:
    """Text of all pages joined by \\n.

    An encrypted PDF is decrypted with the empty user password (common for "copy-protected"
    files that open without a password); if that fails it is refused with DM115. AES-encrypted
    files additionally need the ``cryptography`` package, else they are refused with DM115 too.
    With ``use_ocr``, pages without a text layer are recognised from their images (DM126 when
    the extra is missing, DM128 beyond ``dingmi.ocr.MAX_PAGES`` such pages); without it a PDF
    with no usable text layer is DM116.
    """
    tally = ocr.Tally()
    try:
        reader = _open(data)
        check_pdf_work(reader)  # DM129 before any page is parsed
        pages = [page.extract_text() or "" for page in reader.pages]
        if use_ocr:
            _recognize_scanned(reader, pages, tally)
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many types for malformed files
        raise ReadError("PDF文件已损坏，无法解析", code="DM119") from None
    if not pages:
        raise ReadError("PDF文件没有页面", code="DM112")
    text = "\n".join(pages)
    meaningful = _meaningful(text)
    if meaningful == 0 or (len(pages) > 1 and meaningful < _PDF_MIN_MEANINGFUL):
        if use_ocr:
            raise ReadError("PDF文件没有文字层，OCR也没有识别出文字", code="DM112")
        raise ReadError("PDF文件没有可提取的文字层（可能是扫描件或图片），需要OCR识别：请使用 --ocr"
                        "（服务端设置 DINGMI_OCR=true）后重试", code="DM116")
    empty = sum(1 for p in pages if _meaningful(p) < _PAGE_MIN_MEANINGFUL)
    return Extracted(text, TextSource("pdf", len(pages), tally.pages, tally.confidence, empty))


def _recognize_scanned(reader: Any, pages: list[str], tally: ocr.Tally) -> None:
    """Replace the text of pages without a text layer by the OCR text of their images."""
    scanned = [i for i, text in enumerate(pages) if _meaningful(text) < _PAGE_MIN_MEANINGFUL]
    if not scanned:
        return
    if not ocr.available():
        raise ocr.missing_error()
    ocr.check_pages(len(scanned))
    for i in scanned:
        images = list(_images(reader.pages[i].get("/Resources"), 0))
        if images:
            text = recognize_all(images, tally)
            if text:
                pages[i] = text


def _images(resources: Any, depth: int) -> Iterator[Image]:
    """The image XObjects of a page (and of its forms), size-checked, then decoded."""
    if resources is None or depth > _MAX_FORM_DEPTH:
        return
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return
    for _name, ref in xobjects.get_object().items():
        obj = ref.get_object()
        subtype = obj.get("/Subtype")
        if subtype == "/Image":
            ocr.check_pixels(int(obj.get("/Width", 0)), int(obj.get("/Height", 0)))
            try:
                image = obj.decode_as_image()
            except Exception:  # noqa: BLE001 - unsupported filters (JBIG2 ...), broken streams
                raise broken_image("（PDF中的页面图像无法解码）") from None
            yield image
        elif subtype == "/Form":
            yield from _images(obj.get("/Resources"), depth + 1)
