"""Normalisation that keeps offsets: one character in, one character out."""

from __future__ import annotations

import unicodedata
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
