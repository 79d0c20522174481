"""Dates in Chinese official text: 2025年11月24日, 二〇二五年十一月二十四日, 12月20日 (year inferred)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "〇零○一二三四五六七八九十"


def cn_number(s: str) -> int | None:
    """Arabic or Chinese numerals up to 99 (十一, 二十四, 三十), or digit-by-digit years (二〇二五)."""
    if s.isdigit():
        return int(s)
    if "十" not in s:
        if all(c in _CN_DIGITS for c in s):
            return int("".join(str(_CN_DIGITS[c]) for c in s))
        return None
    tens, _, ones = s.partition("十")
    t = _CN_DIGITS.get(tens, 0) if tens else 1
    o = _CN_DIGITS.get(ones, 0) if ones else 0
    if (tens and tens not in _CN_DIGITS) or (ones and ones not in _CN_DIGITS):
        return None
    return t * 10 + o


@dataclass(frozen=True)
class DateMention:
    """A date found in text; ``year_given`` is False when the year was inferred."""

    start: int
    end: int
    date: dt.date
    year_given: bool


_DATE_RE = re.compile(
    rf"(?:(\d{{4}}|[{_CN}]{{4}})\s*年\s*)?(\d{{1,2}}|[{_CN}]{{1,3}})\s*月\s*(\d{{1,2}}|[{_CN}]{{1,3}})\s*[日号]"
)


def find_dates(text: str, default_year: int | None = None) -> list[DateMention]:
    """All full or month-day dates; a missing year takes the last year seen, else ``default_year``."""
    out: list[DateMention] = []
    year = default_year
    for m in _DATE_RE.finditer(text):
        y = cn_number(m.group(1)) if m.group(1) else None
        if y is not None:
            year = y
        mo, d = cn_number(m.group(2)), cn_number(m.group(3))
        use_year = y if y is not None else year
        if use_year is None or mo is None or d is None:
            continue
        try:
            out.append(DateMention(m.start(), m.end(), dt.date(use_year, mo, d), y is not None))
        except ValueError:
            continue
    return out
