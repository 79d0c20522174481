"""Declassification review (解密审查) of scanned rows.

A pure function of a stored scan row, the review date and the catalogs, so changing
``--as-of``, ``--within`` or the metadata never requires reading the files again.

Dates. ``expiry_date`` is the last day the secret is protected (保密期限届满日):
issue date + period (years, months or days; the start day is not counted, so a 10-year
period from 2016-11-27 ends on 2026-11-27). A marking without a period uses the legal
defaults 绝密 30 / 机密 20 / 秘密 10 years (暂行规定2014 第24条). A marking with a 解密时间
(``秘密★2030年1月1日``) ends the day before that date. A row is ``expired`` when ``as_of``
is after ``expiry_date`` and ``expiring`` when ``expiry_date`` falls within
``[as_of, as_of + within]``.

Status priority (one ``declass_status``; every other applicable status is in
``declass_also``): unmarked > expired > expiring > changed_catalog > inconsistent >
long_term > condition > in_force. A duration marking without any issue date cannot be
dated and is reported as ``condition`` (check by hand).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dingmi.catalog import Catalog
from dingmi.errors import InputError, ReadError
from dingmi.levels import (
    LEVELS,
    MAX_PERIOD,
    SECRET_LEVELS,
    Marking,
    parse_marking,
    rank,
)
from dingmi.reader import decode_text
from dingmi.scan.walk import os_reason
from dingmi.scan.worker import matched_entries

__all__ = [
    "STATUSES",
    "STATUS_LABELS",
    "Metadata",
    "ReviewOptions",
    "add_period",
    "expiry_of",
    "parse_date",
    "read_metadata",
    "review",
]

STATUSES: tuple[str, ...] = (
    "unmarked", "expired", "expiring", "changed_catalog", "inconsistent", "long_term", "condition", "in_force",
)
STATUS_LABELS: dict[str, str] = {
    "expired": "保密期限已满（自行解密候选）",
    "expiring": "即将到期（到期提醒）",
    "long_term": "长期（解密须经原定密机关报批）",
    "condition": "解密条件或日期需人工核对",
    "changed_catalog": "保密事项范围已变更（提前解密/变更候选）",
    "inconsistent": "标志与内容不符",
    "in_force": "在保密期限内",
    "unmarked": "无国家秘密标志",
}

_DATE_RES = (
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_PERIOD_RE = re.compile(r"^(?:(\d+(?:\.\d+)?)\s*年)?(?:(\d+)\s*个?月)?(?:(\d+)\s*[日天])?$")
_DECLASS_TIME_PREFIX = re.compile(r"^(?:解密时间|解密日期|至)[:：]?\s*")


def parse_date(text: str) -> dt.date | None:
    """``2016-11-27``, ``2016/11/27``, ``2016.11.27``, ``2016年11月27日`` or ``20161127``; None otherwise."""
    t = text.strip()
    for pattern in _DATE_RES:
        m = pattern.match(t)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def _add_months(start: dt.date, months: int) -> dt.date:
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _is_duration(period: str) -> bool:
    m = _PERIOD_RE.match(period.strip())
    return bool(m and any(m.groups()))


def add_period(start: dt.date, period: str) -> dt.date | None:
    """``start`` plus a period such as ``10年``, ``6个月``, ``1年6个月`` or ``30日``; None if not a duration."""
    m = _PERIOD_RE.match(period.strip())
    if not m or not any(m.groups()):
        return None
    years, months, days = m.group(1), m.group(2), m.group(3)
    total_months = int(months or 0)
    if years:
        y = float(years)
        total_months += int(y) * 12 + round((y - int(y)) * 12)
    try:
        return _add_months(start, total_months) + dt.timedelta(days=int(days or 0))
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Expiry:
    """How a marking ends: a date (``kind`` duration/default/time), 长期, a condition, or undated."""

    kind: str  # "duration" | "default" | "time" | "long_term" | "condition" | "undated"
    date: dt.date | None
    note: str


def expiry_of(marking: Marking, issue: dt.date | None) -> Expiry:
    """The end of the secrecy period of a state-secret marking issued on ``issue``."""
    period = marking.period.strip()
    if period == "长期":
        return Expiry("long_term", None, "保密期限为长期")
    if not period:
        default = MAX_PERIOD[marking.level]
        if issue is None:
            return Expiry("undated", None, f"标志未注明保密期限（按{marking.level}级{default}执行），但未找到成文日期（落款）")
        return Expiry("default", add_period(issue, default),
                      f"标志未注明保密期限，按{marking.level}级事项{default}执行（暂行规定2014第24条）")
    time = parse_date(_DECLASS_TIME_PREFIX.sub("", period))
    if time is not None:
        return Expiry("time", time - dt.timedelta(days=1), f"解密时间{time.isoformat()}")
    if _is_duration(period):
        if issue is None:
            return Expiry("undated", None, f"保密期限{period}，但未找到成文日期（落款），无法计算届满日")
        end = add_period(issue, period)
        cap = add_period(issue, MAX_PERIOD[marking.level])
        if end is None or (cap is not None and end > cap):
            return Expiry("duration", cap, f"保密期限{period}超过{marking.level}级法定最长期限{MAX_PERIOD[marking.level]}"
                          f"（保密法第20条），按{MAX_PERIOD[marking.level]}计算，自成文日期{issue.isoformat()}起算")
        return Expiry("duration", end, f"保密期限{period}，自成文日期{issue.isoformat()}起算")
    return Expiry("condition", None, f"解密条件“{period}”")


# ---------------------------------------------------------------- metadata CSV


@dataclass(frozen=True)
class Metadata:
    """Marking and issue date given for one file by a sidecar CSV."""

    marking: str = ""
    issue_date: str = ""  # ISO


_COLUMNS = {
    "path": ("path", "路径", "文件", "文件路径"),
    "marking": ("marking", "标志", "密级标志", "国家秘密标志"),
    "level": ("level", "密级"),
    "period": ("period", "保密期限"),
    "issue_date": ("issue_date", "成文日期", "日期"),
}


def normalize_path(path: str) -> str:
    """A metadata path in the form used by result rows."""
    p = path.strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


def read_metadata(path: str | Path) -> dict[str, Metadata]:
    """Read a sidecar CSV (UTF-8 or GBK, header row required) keyed by row path; InputError on bad input."""
    p = Path(path)
    try:
        text = decode_text(p.read_bytes())
    except OSError as exc:
        raise InputError(f"无法读取元数据文件 {p}（{os_reason(exc)}）", code="DM141") from None
    except ReadError:
        raise InputError(f"元数据文件 {p} 不是可识别的文本（应为UTF-8或GBK编码的CSV）", code="DM141") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise InputError(f"元数据文件 {p} 为空", code="DM141")
    names = [h.strip().lower() for h in header]
    index: dict[str, int] = {}
    for key, aliases in _COLUMNS.items():
        for i, name in enumerate(names):
            if name in aliases:
                index[key] = i
                break
    if "path" not in index or not ({"marking", "level", "issue_date"} & index.keys()):
        raise InputError(f"元数据文件 {p} 需要 path 列，以及 marking（或 level/period）、issue_date 中的至少一列", code="DM141")
    out: dict[str, Metadata] = {}
    for lineno, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(key: str, cells: list[str] = cells) -> str:
            i = index.get(key)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        marking = cell("marking")
        if not marking and cell("level"):
            marking = f"{cell('level')}★{cell('period')}" if cell("period") else cell("level")
        if marking and parse_marking(marking) is None:
            raise InputError(f"元数据文件 {p} 第{lineno}行：无法识别的国家秘密标志“{marking}”", code="DM141")
        issue = cell("issue_date")
        date = parse_date(issue) if issue else None
        if issue and date is None:
            raise InputError(f"元数据文件 {p} 第{lineno}行：无法识别的成文日期“{issue}”（应为YYYY-MM-DD）", code="DM141")
        out[normalize_path(cell("path"))] = Metadata(marking, date.isoformat() if date else "")
    return out


# ---------------------------------------------------------------- review


@dataclass
class ReviewOptions:
    """What a review compares against."""

    as_of: dt.date
    within: int = 90
    current: Catalog | None = None
    previous: Catalog | None = None
    metadata: Mapping[str, Metadata] = field(default_factory=dict)


def _catalog_changes(row: dict[str, Any], opts: ReviewOptions) -> list[dict[str, str]]:
    """Matched entries whose level changed or that are gone, and content no longer matching any entry."""
    prev_info = row.get("previous")
    if opts.previous is None or opts.current is None or not isinstance(prev_info, dict):
        return []
    prev_version, cur_version = prev_info.get("catalog_version", ""), row.get("catalog_version", "")
    changes: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(entry_id: str, change: str, old: str, new: str) -> None:
        if entry_id not in seen:
            seen.add(entry_id)
            changes.append({"entry_id": entry_id, "change": change, "previous_level": old, "current_level": new,
                            "previous_catalog": prev_version, "current_catalog": cur_version})

    for entry_id in [*prev_info.get("matched", []), *matched_entries(row)]:
        old = opts.previous[entry_id].level if entry_id in opts.previous else ""
        new = opts.current[entry_id].level if entry_id in opts.current else ""
        if old and not new:
            add(entry_id, "removed", old, "")
        elif old and new and old != new:
            add(entry_id, "level_changed", old, new)
    if prev_info.get("level") in SECRET_LEVELS and row.get("level") not in SECRET_LEVELS and not changes:
        add(",".join(prev_info.get("matched", [])), "no_current_match", prev_info["level"], row.get("level", ""))
    return changes


def _change_text(c: dict[str, str]) -> str:
    versions = f"（旧目录 {c['previous_catalog']}，现行目录 {c['current_catalog']}）"
    if c["change"] == "removed":
        return f"条目{c['entry_id']}（{c['previous_level']}）在现行目录中已不存在{versions}"
    if c["change"] == "level_changed":
        return f"条目{c['entry_id']}的密级由{c['previous_level']}变为{c['current_level']}{versions}"
    return f"内容在旧目录中对应{c['entry_id']}（{c['previous_level']}），现已不对应现行目录的任何国家秘密事项{versions}"


def review(row: dict[str, Any], opts: ReviewOptions) -> dict[str, Any]:
    """The row with ``declass_status``, ``expiry_date``, ``declass_reason``, ``declass_also``,
    ``marking_source`` and ``catalog_change`` added (metadata overrides the header)."""
    out = dict(row)
    meta = opts.metadata.get(row.get("path", ""))
    marking_text, source = row.get("existing_marking", "") or "", "header" if row.get("existing_marking") else ""
    issue_text = row.get("issue_date", "") or ""
    if meta is not None:
        if meta.marking:
            marking_text, source = meta.marking, "metadata"
        if meta.issue_date:
            issue_text = meta.issue_date
    out["existing_marking"], out["issue_date"], out["marking_source"] = marking_text, issue_text, source
    marking = parse_marking(marking_text) if marking_text else None
    readable = not row.get("code")
    statuses: list[str] = []
    reasons: list[str] = []
    expiry: dt.date | None = None
    changes: list[dict[str, str]] = []

    if marking is None or marking.level not in SECRET_LEVELS:
        statuses.append("unmarked")
        if marking is not None:
            reasons.append(f"标志为“{marking.text}”，不是国家秘密标志，不适用解密审查")
        elif not readable:
            reasons.append(f"文件无法读取（{row.get('error', '')}），未能读取国家秘密标志；可在元数据CSV中补充标志和成文日期")
        else:
            reasons.append("未发现国家秘密标志")
        if readable and row.get("level") in SECRET_LEVELS:
            reasons.append(f"内容建议为{row['level']}，请定密责任人审核是否应补充标志")
    else:
        issue = parse_date(issue_text) if issue_text else None
        end = expiry_of(marking, issue)
        expiry = end.date
        reasons.append(end.note)
        if end.date is not None:
            days_left = (end.date - opts.as_of).days
            if days_left < 0:
                statuses.append("expired")
                reasons.append(f"保密期限已于{end.date.isoformat()}届满，可自行解密（保密法第24条），解密前请核对有无延期通知")
            elif days_left <= opts.within:
                statuses.append("expiring")
                reasons.append(f"保密期限将于{end.date.isoformat()}届满（还有{days_left}天），请在届满前完成解密审核或决定延期")
        if readable:
            changes = _catalog_changes(row, opts)
            if changes:
                statuses.append("changed_catalog")
                reasons.extend(_change_text(c) for c in changes)
            suggested = row.get("level", "")
            if suggested in LEVELS and rank(suggested) != rank(marking.level):
                statuses.append("inconsistent")
                direction = "偏高" if rank(marking.level) > rank(suggested) else "偏低"
                reasons.append(f"标志为{marking.level}，内容建议为{suggested}（标志{direction}）")
        if end.kind == "long_term":
            statuses.append("long_term")
            reasons.append("长期事项不得自行解密，须经制定保密事项范围的中央机关批准（暂行规定2014第33条）")
        elif end.kind in ("condition", "undated"):
            statuses.append("condition")
            reasons.append("请人工核对解密条件是否已经满足" if end.kind == "condition" else "请人工核对成文日期后计算届满日")
        if not statuses:
            statuses.append("in_force")
    statuses.sort(key=STATUSES.index)
    out["declass_status"] = statuses[0]
    out["declass_also"] = statuses[1:]
    out["expiry_date"] = expiry.isoformat() if expiry else ""
    out["declass_reason"] = "；".join(r for r in reasons if r)
    out["catalog_change"] = changes
    return out
