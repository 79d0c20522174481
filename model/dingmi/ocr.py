"""Offline OCR of page images (optional extra: ``pip install -e '.[ocr]'``).

The recogniser is RapidOCR on ONNX Runtime (``rapidocr-onnxruntime``): PP-OCRv4 detection and
recognition models that ship inside the wheel, so nothing is downloaded at run time. It is loaded
once per process, on first use. Recognised boxes are put back into lines (boxes whose vertical
centres are close) read left to right, lines top to bottom.

Errors: DM126 when OCR is asked for but the extra is not installed.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dingmi.errors import ReadError
from dingmi.readers.layout import join_wrapped

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = [
    "MAX_PAGES", "MAX_PIXELS", "MAX_SIDE", "PageText", "Tally", "available", "check_pages", "check_pixels",
    "missing_error", "recognize",
]

# Pages are scaled down to this longest side before recognition (A4 at 300 dpi is 3508 px).
MAX_SIDE = 3508
# Most pages one document may send to OCR (about 1-4 s each on one core).
MAX_PAGES = 200
# Largest image decoded (width x height); a larger one is refused before decoding (pixel bomb).
MAX_PIXELS = 80_000_000
_ENGINE: list[Any] = []
_LOCK = threading.Lock()


@dataclass(frozen=True)
class PageText:
    """The text recognised on one image: lines joined by ``\\n``, and the mean confidence per character."""

    text: str
    confidence: float  # 0..1, weighted by the characters of each box; 0.0 when nothing was recognised

    @property
    def chars(self) -> int:
        """Recognised characters, spaces and line breaks excluded."""
        return sum(1 for ch in self.text if not ch.isspace())


@dataclass
class Tally:
    """Pages recognised in one document and their mean confidence per character."""

    pages: int = 0
    chars: int = 0
    weighted: float = 0.0

    def add(self, page: PageText) -> None:
        """Count one recognised page."""
        self.pages += 1
        self.chars += page.chars
        self.weighted += page.chars * page.confidence

    @property
    def confidence(self) -> float | None:
        """Mean confidence over every recognised character; None when no page was recognised."""
        if not self.pages:
            return None
        return self.weighted / self.chars if self.chars else 0.0


def check_pages(count: int) -> None:
    """Refuse a document with more than :data:`MAX_PAGES` pages to recognise (DM128)."""
    if count > MAX_PAGES:
        raise ReadError(f"需要OCR识别的页数（{count}页）超过上限{MAX_PAGES}页，请拆分文件后分批处理", code="DM128")


def check_pixels(width: int, height: int) -> None:
    """Refuse an image larger than :data:`MAX_PIXELS` before it is decoded (DM127)."""
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise ReadError(f"图片尺寸异常（{width}×{height}像素），超过上限{MAX_PIXELS // 1_000_000}百万像素，无法识别",
                        code="DM127")


def available() -> bool:
    """True when the ``ocr`` extra (rapidocr-onnxruntime) is installed."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def missing_error() -> ReadError:
    """The error for OCR asked for without the extra installed."""
    return ReadError("OCR组件未安装，无法识别扫描件或图片；请安装 ocr 扩展：pip install -e '.[ocr]'", code="DM126")


def _engine() -> Any:
    with _LOCK:
        if not _ENGINE:
            if not available():
                raise missing_error()
            from rapidocr_onnxruntime import RapidOCR

            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
            _ENGINE.append(RapidOCR())
        return _ENGINE[0]


def recognize(image: Image) -> PageText:
    """Recognise the text of one page image (any Pillow mode; scaled down beyond ``MAX_SIDE``)."""
    import numpy as np

    engine = _engine()
    page = _on_white(image)
    if max(page.size) > MAX_SIDE:
        page.thumbnail((MAX_SIDE, MAX_SIDE))
    # BGR order as OpenCV's; no per-line 180° classifier: it flips long upright lines (a 31-character
    # title came out empty with it) and scanned pages are upright line by line
    result, _elapsed = engine(np.ascontiguousarray(np.asarray(page)[:, :, ::-1]), use_cls=False)
    boxes = [(box, str(text), float(score)) for box, text, score in result or [] if str(text).strip()]
    return PageText(_lines(boxes), _mean_confidence(boxes))


def _on_white(image: Image) -> Image:
    """RGB, transparent areas made white (a transparent background would otherwise read as black)."""
    from PIL import Image as PILImage

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        return PILImage.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _mean_confidence(boxes: list[tuple[Any, str, float]]) -> float:
    weights = [len(text.strip()) for _box, text, _score in boxes]
    total = sum(weights)
    if not total:
        return 0.0
    return sum(w * score for w, (_b, _t, score) in zip(weights, boxes)) / total


def _lines(boxes: list[tuple[Any, str, float]]) -> str:
    """Boxes into lines (a box joins the current line when its vertical centre lies within it), then
    lines into paragraphs (:func:`dingmi.readers.layout.join_wrapped`)."""
    placed = []
    for box, text, _score in boxes:
        ys = [float(p[1]) for p in box]
        xs = [float(p[0]) for p in box]
        placed.append((min(ys), max(ys), min(xs), max(xs), text.strip()))
    placed.sort(key=lambda b: (b[0] + b[1]) / 2)
    lines: list[list[tuple[float, float, float, str]]] = []
    top = bottom = 0.0
    for y0, y1, x0, x1, text in placed:
        centre = (y0 + y1) / 2
        if lines and top <= centre <= bottom:
            lines[-1].append((x0, x1, y1 - y0, text))
            continue
        lines.append([(x0, x1, y1 - y0, text)])
        top, bottom = y0, y1
    rows = []
    for line in lines:
        line.sort()
        rows.append((" ".join(t for *_rest, t in line), line[0][0], line[-1][1], max(h for _a, _b, h, _t in line)))
    return join_wrapped(rows)
