"""Classification levels, default periods, markings and 定密 authority ceilings."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Ordered lowest to highest. 内部 is a work secret / internal matter, never a ★ level.
LEVELS: tuple[str, ...] = ("非密", "内部", "秘密", "机密", "绝密")
SECRET_LEVELS: tuple[str, ...] = ("秘密", "机密", "绝密")
#: 保密法2024 第20条: default maxima when neither the entry nor a notice fixes a period.
MAX_PERIOD = {"绝密": "30年", "机密": "20年", "秘密": "10年"}
#: 保密法2024 第17条: what an organ of each level may classify on its own authority.
ORGAN_CEILING = {"中央": "绝密", "省级": "绝密", "设区的市": "机密", "县级": "非密"}

_RANK = {level: i for i, level in enumerate(LEVELS)}


def rank(level: str) -> int:
    """Position of a level in the order 非密 < 内部 < 秘密 < 机密 < 绝密."""
    return _RANK[level]


def highest(levels: list[str] | tuple[str, ...]) -> str:
    """The highest of the given levels (非密 for none)."""
    return max(levels, key=rank, default="非密")


def is_secret(level: str) -> bool:
    """True for the three state-secret levels."""
    return level in SECRET_LEVELS


def authority_ceiling(authority: str | None) -> str | None:
    """Highest level a caller may decide: a level itself or an organ level; None when unstated."""
    if authority is None or authority == "":
        return None
    if authority in SECRET_LEVELS:
        return authority
    if authority in ORGAN_CEILING:
        return ORGAN_CEILING[authority]
    raise ValueError(authority)


def default_period(level: str, entry_period: str = "") -> str:
    """The entry's own period where it has one, else the legal maximum; "" for 内部/非密."""
    if not is_secret(level):
        return ""
    return entry_period or MAX_PERIOD[level]


_AT_MOST = re.compile(r"^(?:≤|<=|不超过|最长|至多)\s*(\d+)\s*(年|个月)$")
_CONDITION = re.compile(r"启用之?前|启封前|考试结束前|开考前|成绩处理完毕前|使用完毕前|执行完毕前|公布前")


def entry_period(text: str, period: str) -> str:
    """The period an entry fixes: its ``period`` field (``≤20年``/``不超过20年`` means 20年), else a
    condition in its own wording (“在启用之前的试题” → 启用前), else ""."""
    p = period.strip()
    if p:
        m = _AT_MOST.match(p)
        return f"{m.group(1)}{m.group(2)}" if m else p
    m = _CONDITION.search(text)
    return m.group().replace("之前", "前") if m else ""


# an exam's stages in time order: a condition met later keeps its matter secret longer
_STAGES = ((re.compile(r"成绩处理完毕前"), 2), (re.compile(r"考试结束前|使用完毕前"), 1))
_YEARS = re.compile(r"^(\d+)\s*(年|个月)$")


def longest_period(periods: list[str]) -> str:
    """The longest of several matters' periods (a document's period is its longest matter's): 长期, then
    the most years, then a condition — of an exam's stages the latest (启用前 < 考试结束前 < 成绩处理完毕前);
    the first of equals. "" for none."""
    def length(p: str) -> tuple[int, float]:
        if p == "长期":
            return 3, 0.0
        if m := _YEARS.match(p):
            return 2, float(m.group(1)) / (12 if m.group(2) == "个月" else 1)
        return 1, float(next((n for pat, n in _STAGES if pat.search(p)), 0))

    return max((p for p in periods if p), key=length, default="")


def marking(level: str, period: str) -> str:
    """GB/T 9704 marking text: ``机密★20年``; ``内部`` for work secrets; "" for 非密."""
    if level == "内部":
        return "内部"
    if not is_secret(level):
        return ""
    return f"{level}★{period}" if period else level


@dataclass(frozen=True)
class Marking:
    """A marking read from a document: level and the text after ★ (period, time or condition)."""

    level: str
    period: str
    text: str

    def years(self) -> float | None:
        """The period in years where it is a duration (``20年``, ``6个月``), else None."""
        return period_years(self.period)


_MARK_RE = re.compile(r"(绝密|机密|秘密)\s*[★☆*＊]\s*([^\s　，。；]{1,24})|(绝密|机密|秘密)(?=\s*$)")


def parse_marking(text: str) -> Marking | None:
    """Parse a marking such as ``机密★20年``, ``秘密★6个月``, ``绝密★长期`` or ``内部``."""
    t = text.strip()
    if t in ("内部", "内部事项", "内部事项 注意保管", "工作秘密"):
        return Marking("内部", "", t)
    m = _MARK_RE.search(t)
    if not m:
        return None
    if m.group(3):
        return Marking(m.group(3), "", t)
    return Marking(m.group(1), m.group(2), t)


_YEARS_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(年|个月|月|日|天)$")


def period_years(period: str) -> float | None:
    """Duration in years of a period string, None for 长期 and conditions."""
    m = _YEARS_RE.match(period.strip())
    if not m:
        return None
    n = float(m.group(1))
    return {"年": n, "个月": n / 12, "月": n / 12, "日": n / 365, "天": n / 365}[m.group(2)]
