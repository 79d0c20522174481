"""Where a text came from: the format, the pages read and whether OCR recognised them.

Attached to a suggestion as ``text_source`` by the CLI, the scanner and the service (never by the
engine). The evidence offsets of that suggestion index the extracted text it was made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["OCR_REVIEW_BELOW", "Extracted", "TextSource", "annotate"]

# A mean OCR confidence below this asks the responsible person to review (flag needs_review).
OCR_REVIEW_BELOW = 0.90


@dataclass(frozen=True)
class TextSource:
    """How the text was obtained."""

    format: str                     # txt md html docx pdf ofd doc wps image
    pages: int = 0                  # pages (or images) read; 0 for formats without pages
    ocr_pages: int = 0              # of which recognised by OCR
    ocr_confidence: float | None = None  # mean recognition confidence per character (OCR only)
    pages_without_text: int = 0     # pages left without text (blank, or scanned while OCR was off)

    @property
    def ocr(self) -> bool:
        """True when some of the text was recognised by OCR."""
        return self.ocr_pages > 0

    def to_dict(self, chars: int) -> dict[str, Any]:
        """The ``text_source`` of a suggestion; ``chars`` is the length of the extracted text."""
        return {
            "format": self.format,
            "ocr": self.ocr,
            "ocr_confidence": None if self.ocr_confidence is None else round(self.ocr_confidence, 4),
            "pages": self.pages,
            "ocr_pages": self.ocr_pages,
            "pages_without_text": self.pages_without_text,
            "chars": chars,
            "offsets": "extracted_text",
        }


@dataclass(frozen=True)
class Extracted:
    """A document's extracted text and how it was obtained."""

    text: str
    source: TextSource


def annotate(suggestion: dict[str, Any], extracted: Extracted) -> dict[str, Any]:
    """Add ``text_source`` to a suggestion dict; OCR text gets the flag ``ocr``, and ``needs_review``
    when its mean confidence is below :data:`OCR_REVIEW_BELOW`. Returns the same dict."""
    source = extracted.source
    suggestion["text_source"] = source.to_dict(len(extracted.text))
    if source.ocr:
        flags = suggestion.setdefault("flags", [])
        if "ocr" not in flags:
            flags.append("ocr")
        if (source.ocr_confidence or 0.0) < OCR_REVIEW_BELOW and "needs_review" not in flags:
            flags.append("needs_review")
    return suggestion
