"""Normalisation that keeps offsets: one character in, one character out."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """Translation table: full-width forms → ASCII, traditional → simplified, both one-to-one."""
    table: dict[int, str] = {}
    for src, dst in _zh2hans().items():
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


def _zh2hans() -> dict[str, str]:
    """zhconv's traditional → simplified dictionary, read from the plain JSON it ships (no network, no
    cache files) without importing zhconv, whose ``pkg_resources`` import alone costs 0.1 s."""
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("zhconv")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "zhcdict.json"
        if path.is_file():
            return json.loads(path.read_bytes().decode("utf-8"))["zh2Hans"]
    from zhconv import zhconv

    zhconv.getdict("zh-hans")
    return zhconv.zhcdicts["zh2Hans"]


def normalize(text: str) -> str:
    """Fold width, case and traditional characters; ``len(normalize(t)) == len(t)`` always."""
    return text.translate(_table())
