"""Decision rules: levels, authority ceilings, periods, markings and working-day deadlines.

Pure functions, no database: the routers call :func:`decide` and store what it returns.
Sources: 保密法2024 第17条 (organ ceilings), 第20条 (maximum periods), 条例2024 第25条
(不明确事项: 10 working days), 暂行规定2014 第22条 (长期 only where the scope regulation says so).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import chinese_calendar

LEVELS: tuple[str, ...] = ("非密", "内部", "秘密", "机密", "绝密")
SECRET_LEVELS: tuple[str, ...] = ("秘密", "机密", "绝密")
ORGAN_LEVELS: tuple[str, ...] = ("中央", "省级", "设区的市", "县级")
ORGAN_CEILINGS: dict[str, str | None] = {"中央": "绝密", "省级": "绝密", "设区的市": "机密", "县级": None}
MAX_PERIOD_YEARS: dict[str, int] = {"绝密": 30, "机密": 20, "秘密": 10}
UNCLEAR_REPORT_WORKING_DAYS = 10
CHINA_TZ = timezone(timedelta(hours=8), "CST")
STATUSES: tuple[str, ...] = ("pending", "confirmed", "rejected", "escalated", "reported")
ACTIONS: tuple[str, ...] = ("confirm", "change", "reject")

_PERIOD_RE = re.compile(r"^(\d{1,3})(年|个月|月|天|日)$")
_DATE_RE = re.compile(r"^(\d{4})(?:-|/|\.|年)(\d{1,2})(?:-|/|\.|月)(\d{1,2})日?$")
_DATE_LIKE_RE = re.compile(r"^\d{4}\D\d{1,2}\D\d{1,2}\D?$")  # a date that does not exist (2027-02-30)
_NUMERAL_DURATION_RE = re.compile(r"^[一二三四五六七八九十百两]+(年|个月|月|天|日)$")
MAX_CONDITION_CHARS = 30


class DecisionRefused(Exception):
    """The person may not take this decision (HTTP 403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DecisionInvalid(Exception):
    """The decision is incomplete or contradicts the rules (HTTP 422)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def rank(level: str) -> int:
    """Position in 非密 < 内部 < 秘密 < 机密 < 绝密."""
    return LEVELS.index(level)


def is_secret(level: str) -> bool:
    """True for the three state-secret levels (内部 is a work secret, not a state secret)."""
    return level in SECRET_LEVELS


def marking(level: str, period: str) -> str:
    """国家秘密标志 "密级★期限"; "内部" for work secrets; empty for 非密."""
    if is_secret(level):
        return f"{level}★{period}" if period else level
    return "内部" if level == "内部" else ""


def org_ceiling(
    level: str | None, authorized_level: str | None, authorized_until: date | None, today: date
) -> str | None:
    """Highest level the organisation may classify: its organ ceiling or a valid written 授权."""
    if level is None:
        return None
    ceiling = ORGAN_CEILINGS.get(level)
    if authorized_level and (authorized_until is None or authorized_until >= today):
        if ceiling is None or rank(authorized_level) > rank(ceiling):
            ceiling = authorized_level
    return ceiling


def parse_period(period: str) -> tuple[int, str] | None:
    """``"20年"`` → ``(20, "年")``; ``None`` for 长期 or anything that is not a plain duration."""
    match = _PERIOD_RE.match(period)
    if not match:
        return None
    unit = "个月" if match.group(2) == "月" else ("天" if match.group(2) == "日" else match.group(2))
    return int(match.group(1)), unit


def parse_period_date(period: str) -> date | None:
    """解密时间: ``"2027-06-30"`` or ``"2027年6月30日"`` → the date; ``None`` otherwise."""
    match = _DATE_RE.match(period.strip())
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def period_text(day: date) -> str:
    """A 解密时间 as printed in the marking: ``2027年6月30日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def period_kind(period: str) -> str:
    """``duration`` (N年/N个月/N天), ``date`` (解密时间), ``long`` (长期), ``condition`` (解密条件) or ""."""
    if not period:
        return ""
    if period == "长期":
        return "long"
    if parse_period(period) is not None:
        return "duration"
    return "date" if parse_period_date(period) is not None else "condition"


def _condition(level: str, period: str) -> str:
    """Validate a 解密条件 such as 启用前 or 考试结束前."""
    if _NUMERAL_DURATION_RE.match(period):
        raise DecisionInvalid("保密期限请用阿拉伯数字书写，如“10年”“6个月”")
    if re.fullmatch(r"[\d\s./-]+", period) or _DATE_LIKE_RE.match(period):
        raise DecisionInvalid("保密期限格式应为“N年”“N个月”、解密时间“YYYY-MM-DD”或解密条件（如“启用前”）")
    if not re.search(r"[\u4e00-\u9fff]", period) or "★" in period or any(ord(c) < 32 for c in period):
        raise DecisionInvalid("解密条件应为中文表述，如“启用前”“考试结束前”，不得含有“★”或控制字符")
    if len(period) > MAX_CONDITION_CHARS:
        raise DecisionInvalid(f"解密条件不得超过{MAX_CONDITION_CHARS}个字")
    return period


def normalize_period(level: str, period: str | None, suggested_period: str, today: date | None = None) -> str:
    """Validate a period chosen for ``level``; default to the legal maximum when none is given.

    Accepts a duration (``N年``, ``N个月``, ``N天``), a 解密时间 (``YYYY-MM-DD``, stored as
    ``2027年6月30日``), 长期 where the scope says so, or a 解密条件 text (``启用前``).
    """
    if not is_secret(level):
        if period:
            raise DecisionInvalid(f"{level}事项不是国家秘密，不设保密期限")
        return ""
    period = re.sub(r"\s+", "", period or "")
    max_years = MAX_PERIOD_YEARS[level]
    if not period:
        return f"{max_years}年"
    if period == "长期":
        if suggested_period != "长期":
            raise DecisionInvalid("除保密事项范围有明确规定外，保密期限不得确定为长期")
        return period
    day = parse_period_date(period)
    if day is not None:
        if today is not None and day <= today:
            raise DecisionInvalid("解密时间应晚于定密之日")
        latest = expiry_date(today, f"{max_years}年") if today is not None else None
        if latest is not None and day > latest:
            raise DecisionInvalid(f"{level}级国家秘密的保密期限不得超过{max_years}年，解密时间过晚")
        return period_text(day)
    parsed = parse_period(period)
    if parsed is None:
        return _condition(level, period)
    if parsed[0] == 0:
        raise DecisionInvalid("保密期限格式应为“N年”“N个月”“N天”，N 不能为 0")
    n, unit = parsed
    days = {"年": 365 * n, "个月": 30 * n, "天": n}[unit]
    if days > 365 * max_years:
        raise DecisionInvalid(f"{level}级国家秘密的保密期限不得超过{max_years}年")
    return f"{n}{unit}"


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (Chinese holidays and 调休 included)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_workday(current):
            left -= 1
    return current


def is_workday(day: date) -> bool:
    """Official working day; outside the calendar's years, Monday–Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def expiry_date(decided_on: date, period: str) -> date | None:
    """Date the period ends: a duration from ``decided_on`` or a 解密时间; None for 长期, a 解密条件,
    非密/内部."""
    day = parse_period_date(period)
    if day is not None:
        return day
    parsed = parse_period(period)
    if parsed is None:
        return None
    n, unit = parsed
    if unit == "天":
        return decided_on + timedelta(days=n)
    months = n * 12 if unit == "年" else n
    year, month = divmod(decided_on.month - 1 + months, 12)
    year += decided_on.year
    month += 1
    return date(year, month, min(decided_on.day, calendar.monthrange(year, month)[1]))


def china_today(now: datetime) -> date:
    """The calendar date in China for an aware timestamp."""
    return now.astimezone(CHINA_TZ).date()


@dataclass(frozen=True)
class SuggestedClassification:
    """What the engine suggested, as the rules need it."""

    level: str
    period: str
    flags: tuple[str, ...]
    entry_levels: tuple[tuple[str, str], ...]  # (entry id, level), best first


@dataclass(frozen=True)
class DecisionInput:
    """What the 定密责任人 asked for."""

    action: str
    level: str | None = None
    period: str | None = None
    reason: str = ""
    basis_entry: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The decision as it will be stored."""

    level: str
    period: str
    marking: str
    status: str
    basis_entry: str
    due_date: date | None
    expires_on: date | None
    differs: bool


def decide(
    suggestion: SuggestedClassification,
    request: DecisionInput,
    *,
    person_ceiling: str | None,
    org_level_set: bool,
    org_ceiling_level: str | None,
    today: date,
    current_level: str | None = None,
) -> Outcome:
    """Apply the decision rules.

    Raises :class:`DecisionInvalid` for an incomplete request and :class:`DecisionRefused`
    when the person's own 定密权限 does not reach the matter, in either direction: the level decided,
    the level suggested and the level of the decision being superseded (``current_level``) must
    all be within it, so nobody confirms, lowers or rejects a matter above their authority.
    """
    _within_authority(person_ceiling, suggestion.level, current_level)
    if request.action == "confirm":
        level, period = suggestion.level, suggestion.period if is_secret(suggestion.level) else ""
        if is_secret(level) and not period:
            period = f"{MAX_PERIOD_YEARS[level]}年"
    elif request.action == "reject":
        level, period = "非密", ""
    elif request.action == "change":
        if not request.level:
            raise DecisionInvalid("变更决定必须给出密级（level）")
        level = request.level
        period = normalize_period(level, request.period, suggestion.period, today)
    else:  # pragma: no cover - the schema restricts actions
        raise DecisionInvalid("未知的决定类型")

    differs = level != suggestion.level or (is_secret(level) and period != suggestion.period)
    if differs and not request.reason.strip():
        raise DecisionInvalid("决定与建议不一致时必须填写理由（reason）")

    if is_secret(level) and (person_ceiling is None or rank(level) > rank(person_ceiling)):
        own = person_ceiling or "无"
        raise DecisionRefused(
            f"拟定密级“{level}”超出您的定密权限（{own}），请先行采取保密措施，并报请上级机关、单位或有权的定密责任人确定"
        )

    basis = _basis(suggestion, request, level)
    status = "rejected" if request.action == "reject" else "confirmed"
    due: date | None = None
    # 派生定密 follows the source and is not limited by the organisation's 定密权限 (派生办法2023 第5条)
    derived = "derived" in suggestion.flags and request.action == "confirm"
    if is_secret(level):
        above_org = not org_level_set or org_ceiling_level is None or rank(level) > rank(org_ceiling_level)
        if above_org and not derived:
            status = "escalated"
        elif "unclear_matter" in suggestion.flags:
            status = "reported"
        if "unclear_matter" in suggestion.flags:  # reported upward either way: 10 working days (条例2024 第25条)
            due = add_working_days(today, UNCLEAR_REPORT_WORKING_DAYS)
    return Outcome(
        level=level,
        period=period,
        marking=marking(level, period),
        status=status,
        basis_entry=basis,
        due_date=due,
        expires_on=expiry_date(today, period) if is_secret(level) else None,
        differs=differs,
    )


def _within_authority(person_ceiling: str | None, suggested: str, current: str | None) -> None:
    """Refuse any decision on a matter suggested or decided above the person's 定密权限 (报请上级)."""
    for level, what in ((suggested, "系统建议的密级"), (current or "", "现行定密决定的密级")):
        if is_secret(level) and (person_ceiling is None or rank(level) > rank(person_ceiling)):
            raise DecisionRefused(
                f"该事项{what}为“{level}”，超出您的定密权限（{person_ceiling or '无'}）："
                "超出权限的事项不得由您确认、变更、降低密级或确定为非密，"
                "请先行采取保密措施，并报请上级机关、单位或有相应定密权限的定密责任人确定"
            )


def _basis(suggestion: SuggestedClassification, request: DecisionInput, level: str) -> str:
    """The scope entry a decision rests on: the one named, else the best suggested entry of that level."""
    if request.basis_entry:
        return request.basis_entry
    if level == "非密":
        return ""
    for entry_id, entry_level in suggestion.entry_levels:
        if entry_level == level:
            return entry_id
    return ""
