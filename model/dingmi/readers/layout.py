"""Page layout: visual lines back into the paragraphs they were wrapped from (OCR and OFD pages)."""

from __future__ import annotations

__all__ = ["join_wrapped"]

_SENTENCE_END = tuple("。！？：；!?:;")


def join_wrapped(rows: list[tuple[str, float, float, float]]) -> str:
    """Lines (text, left edge, right edge, character size), top to bottom, into text.

    A line that starts at the left margin (or a paragraph indent), reaches the right margin and does
    not end a sentence was wrapped by the layout when the next line starts at the left margin: the
    next line continues it without a line break (a sentence split over two lines would otherwise
    read as two). The margins are those of the widest lines; with fewer than two lines reaching the
    right margin nothing is joined (no text block to judge by).
    """
    if not rows:
        return ""
    left = min(x0 for _t, x0, _x1, _s in rows)
    right = max(x1 for _t, _x0, x1, _s in rows)
    full = [x1 >= right - 1.5 * size for _t, _x0, x1, size in rows]
    out: list[str] = []
    for i, (text, x0, _x1, size) in enumerate(rows):
        out.append(text)
        if i + 1 < len(rows):
            wrapped = (sum(full) >= 2 and full[i] and not text.endswith(_SENTENCE_END)
                       and x0 <= left + 2.5 * size and rows[i + 1][1] <= left + 0.5 * size)
            out.append("" if wrapped else "\n")
    return "".join(out)
