"""Normalisation that keeps offsets: one character in, one character out."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


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


_BMP = 0x10000
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@lru_cache(maxsize=1)
def _split_table() -> tuple[list[int | str], dict[int, str]]:
    """``_table`` in two parts: a list over the Basic Multilingual Plane (``str.translate`` indexes a list
    three times faster than it looks up a dict) and a dict for the characters past it (CJK extensions).
    A character is mapped once either way: no value of the first part is a key of the second."""
    table = _table()
    bmp: list[int | str] = list(range(_BMP))
    astral: dict[int, str] = {}
    for code, folded in table.items():
        if code < _BMP:
            bmp[code] = folded
        else:
            astral[code] = folded
    assert not any(ord(v) in astral for k, v in table.items() if k < _BMP)
    return bmp, astral


def normalize(text: str) -> str:
    """Fold width, case and traditional characters; ``len(normalize(t)) == len(t)`` always."""
    bmp, astral = _split_table()
    out = text.translate(bmp)  # characters past the list's end stay as they are
    if astral and _ASTRAL.search(out):
        out = out.translate(astral)
    return out


@dataclass(frozen=True)
class Cue:
    """Characters one of which every match of a pattern contains (``digit``: or a decimal digit, ``\\d``).
    A text holding none of them cannot match, so the pattern need not run on it."""

    chars: frozenset[str]
    digit: bool = False

    def may_match(self, chars: set[str] | frozenset[str], has_digit: bool) -> bool:
        """Whether a text with these characters (and a decimal digit or not) may match."""
        return (self.digit and has_digit) or not self.chars.isdisjoint(chars)


_WIDE_RANGE = 64  # a character class wider than this is no cue (a CJK range, say)


def pattern_cue(pattern: re.Pattern[str]) -> Cue | None:
    """The cue of a compiled pattern, read off its parse tree; None when some match may lack any small
    set of characters (an optional or negated part, a wide class, IGNORECASE)."""
    if pattern.flags & (re.IGNORECASE | re.LOCALE):
        return None
    try:
        from re import _parser  # the stdlib's own reading of the pattern (Python ≥ 3.11)

        return _sequence_cue(list(_parser.parse(pattern.pattern, pattern.flags)))
    except Exception:  # an unknown construct: no cue, the pattern always runs
        return None


def _sequence_cue(items: list[tuple[Any, Any]]) -> Cue | None:
    """A sequence matches only where each of its mandatory items does: any one item's cue will do;
    the narrowest is taken (a decimal digit counts as many characters: digits are common)."""
    cues = [c for c in (_item_cue(op, av) for op, av in items) if c is not None]
    return min(cues, key=lambda c: len(c.chars) + (12 if c.digit else 0), default=None)


def _item_cue(op: Any, av: Any) -> Cue | None:
    from re import _constants as sre

    if op is sre.LITERAL:
        return Cue(frozenset(chr(av)))
    if op is sre.IN:
        return _class_cue(av)
    if op is sre.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        return None if add_flags or del_flags else _sequence_cue(list(sub))
    if op is sre.BRANCH:  # a match takes one branch: the union of their cues, if every branch has one
        cues = [_sequence_cue(list(branch)) for branch in av[1]]
        if any(c is None for c in cues):
            return None
        return Cue(frozenset().union(*(c.chars for c in cues)), any(c.digit for c in cues))
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
        low, _, sub = av
        return _sequence_cue(list(sub)) if low >= 1 else None
    return None  # anchors and lookarounds match no character; ANY, NOT_LITERAL… can be anything


def _class_cue(items: list[tuple[Any, Any]]) -> Cue | None:
    from re import _constants as sre

    chars: set[str] = set()
    digit = False
    for op, av in items:
        if op is sre.LITERAL:
            chars.add(chr(av))
        elif op is sre.RANGE and av[1] - av[0] < _WIDE_RANGE:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        elif op is sre.CATEGORY and av is sre.CATEGORY_DIGIT:
            digit = True
        else:  # a negated class, a wide range, \s, \w…
            return None
    return Cue(frozenset(chars), digit)


class Screened:
    """A compiled pattern tried only on texts that hold one of its cue characters (``pattern_cue``): for
    patterns run on many lines or passages that rarely match. ``search``/``match`` answer as the pattern's."""

    __slots__ = ("pattern", "cue", "digit")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        cue = pattern_cue(pattern)
        self.pattern = pattern
        self.cue = None if cue is None else cue.chars
        self.digit = cue is not None and cue.digit

    def may_match(self, text: str) -> bool:
        """False only where no match can be: the text holds no cue character."""
        if self.cue is None or (self.digit and _DIGIT.search(text)):
            return True
        return not self.cue.isdisjoint(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self.may_match(text) else None

    def match(self, text: str) -> re.Match[str] | None:
        return self.pattern.match(text) if self.may_match(text) else None


_DIGIT = re.compile(r"\d")
