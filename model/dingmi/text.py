"""Normalisation that keeps offsets (one character in, one character out) and sentence splitting."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """Translation table: full-width forms → ASCII, traditional → simplified, both one-to-one."""
    from zhconv import zhconv  # ships a plain dictionary; no network, no cache files

    table: dict[int, str] = {}
    zhconv.getdict("zh-hans")
    for src, dst in zhconv.zhcdicts["zh2Hans"].items():
        if len(src) == 1 and len(dst) == 1 and src != dst:
            table[ord(src)] = dst
    for code in range(0xFF01, 0xFF5F):  # ！ … ～
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "  # ideographic space
    for ch in "ⅠⅡⅢⅣⅤ′″㎞㎡":
        folded = unicodedata.normalize("NFKC", ch)
        if len(folded) == 1:
            table[ord(ch)] = folded
    for upper in range(ord("A"), ord("Z") + 1):
        table[upper] = chr(upper + 32)
    return table


def normalize(text: str) -> str:
    """Fold width, case and traditional characters; ``len(normalize(t)) == len(t)`` always."""
    return text.translate(_table())


@dataclass(frozen=True)
class Sentence:
    """A sentence (or line) with offsets into the original text."""

    start: int
    end: int
    text: str  # normalised text of the span


_SENT_END = re.compile(r"[。！？；!?;]+|\n+")


def split_sentences(norm: str) -> list[Sentence]:
    """Split normalised text at sentence punctuation and line breaks; blank spans are dropped."""
    out: list[Sentence] = []
    start = 0
    for m in _SENT_END.finditer(norm):
        end = m.end() if m.group()[0] != "\n" else m.start()
        _add(out, norm, start, end)
        start = m.end()
    _add(out, norm, start, len(norm))
    return out


def _add(out: list[Sentence], norm: str, start: int, end: int) -> None:
    while start < end and norm[start].isspace():
        start += 1
    while end > start and norm[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start, end, norm[start:end]))
