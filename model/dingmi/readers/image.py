"""Page images (.png .jpg .jpeg .tif .tiff .bmp): every frame recognised by OCR.

Without OCR an image is refused with DM125 (需要OCR). Images are checked against
``dingmi.ocr.MAX_PIXELS`` before they are decoded; a broken or unknown image is DM127.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dingmi import ocr
from dingmi.errors import ReadError
from dingmi.readers.source import Extracted, TextSource

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["IMAGE_SUFFIXES", "broken_image", "needs_ocr", "read_image", "recognize_all"]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"})


def needs_ocr(what: str) -> ReadError:
    """The error for a scan read while OCR is off."""
    return ReadError(f"{what}需要OCR识别：请使用 --ocr（服务端设置 DINGMI_OCR=true）并安装 ocr 扩展后重试", code="DM125")


def broken_image(detail: str = "") -> ReadError:
    """The error for an image that cannot be decoded."""
    return ReadError(f"图片文件已损坏或格式不支持{detail}", code="DM127")


def _frames(data: bytes) -> Iterator[Image]:
    """Each frame of an image file (TIFF pages), decoded after its size was checked."""
    from PIL import Image as PILImage
    from PIL import ImageSequence

    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            image = PILImage.open(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - Pillow raises many types for garbage input
            raise broken_image() from None
        count = getattr(image, "n_frames", 1)
        ocr.check_pages(count)
        for frame in ImageSequence.Iterator(image):
            ocr.check_pixels(*frame.size)
            try:
                frame.load()
            except Exception:  # noqa: BLE001 - truncated data, bad codec parameters, bombs
                raise broken_image() from None
            yield frame.copy()


def recognize_all(images: list[Image], tally: ocr.Tally) -> str:
    """OCR text of the images of one page, in order; the page is counted when any text is found."""
    pages = [ocr.recognize(image) for image in images]
    found = [p for p in pages if p.text.strip()]
    if found:
        chars = sum(p.chars for p in found)
        mean = sum(p.chars * p.confidence for p in found) / chars if chars else 0.0
        tally.add(ocr.PageText("\n".join(p.text for p in found), mean))
    return "\n".join(p.text for p in found)


def read_image(data: bytes, *, use_ocr: bool) -> Extracted:
    """OCR text of every frame, joined by ``\\n``; DM125 when OCR is off, DM112 when nothing is recognised."""
    if not use_ocr:
        raise needs_ocr("图片文件")
    if not ocr.available():
        raise ocr.missing_error()
    tally = ocr.Tally()
    texts: list[str] = []
    empty = 0
    for frame in _frames(data):
        text = recognize_all([frame], tally)
        empty += not text
        texts.append(text)
    if not tally.pages:
        raise ReadError("图片中没有识别出文字", code="DM112")
    return Extracted("\n".join(texts), TextSource("image", len(texts), tally.pages, tally.confidence, empty))
