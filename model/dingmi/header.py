"""GB/T 9704-2012 版头 and 版记: 份号, 密级和保密期限, 紧急程度, 发文字号, 标题, 成文日期."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields

from dingmi.dates import find_dates
from dingmi.levels import Marking, parse_marking

_COPY_NO = re.compile(r"^\s*(?:份号[:：]?\s*)?(\d{6})\b")
_DOC_NO = re.compile(r"[\u4e00-\u9fff]{1,16}\s*[〔\[［(（]\s*(\d{4})\s*[〕\]］)）]\s*(?:第\s*)?\d+\s*号")
_URGENCY = re.compile(r"(特急|加急|特提|平急)")
_TITLE_HINT = re.compile(
    r"(^关于)|(通知|通报|报告|请示|批复|意见|函|纪要|方案|简报|决定|办法|规定|计划|总结|公告|通告|说明|清单|设计书"
    r"|动态|情况|快报|要情|须知)([(（]第?[\d一二三四五六七八九十]+期[)）])?$"
)
_TRAILING_DATE = re.compile(r"(\d{4}|[〇零○一二三四五六七八九]{4})\s*年.{1,3}月.{1,4}日\s*$")
_DATE_LINE = re.compile(r"^\s*(\d{4}|[〇零○一二三四五六七八九]{4})\s*年.{1,3}月.{1,4}日\s*$")


@dataclass(frozen=True)
class Header:
    """What the document's own header says; offsets index the original text."""

    copy_number: str = ""
    marking: str = ""
    marking_level: str = ""
    marking_period: str = ""
    marking_span: tuple[int, int] | None = None
    urgency: str = ""
    doc_number: str = ""
    title: str = ""
    issue_date: str = ""  # ISO date

    def existing(self) -> Marking | None:
        """The marking printed on the document, if any."""
        if not self.marking_level:
            return None
        return Marking(self.marking_level, self.marking_period, self.marking)

    def date(self) -> dt.date | None:
        """成文日期 as a date."""
        return dt.date.fromisoformat(self.issue_date) if self.issue_date else None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}  # flat: no deep copy needed
        d["marking_span"] = list(self.marking_span) if self.marking_span else None
        return d


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def parse_header(text: str, title_hint: str = "") -> Header:
    """Read the header from the first lines and the 成文日期 from the last lines."""
    lines = [(p, s) for p, s in _lines(text) if s.strip()]
    if len(lines) > 40:  # the header is at the top and the 落款 at the bottom
        lines = lines[:20] + lines[-20:]
    head = lines[:8]
    copy_no = marking = level = period = urgency = doc_no = title = ""
    span: tuple[int, int] | None = None
    for i, (pos, line) in enumerate(head):
        s = line.strip()
        if i < 4 and not copy_no and (m := _COPY_NO.match(s)):
            copy_no = m.group(1)
        if i < 4 and not marking:
            for chunk in re.split(r"\s{2,}|\t", s):
                mk = parse_marking(chunk) if len(chunk) <= 24 else None
                if mk:
                    marking, level, period = mk.text, mk.level, mk.period
                    off = line.find(chunk)
                    span = (pos + off, pos + off + len(chunk))
                    break
        if i < 5 and not urgency and len(s) <= 20 and (m := _URGENCY.search(s)):
            urgency = m.group(1)
        if not doc_no and (m := _DOC_NO.search(s)) and len(s) <= 60:
            doc_no = m.group(0)
    if title_hint:
        title = title_hint.strip()
    else:
        for _, line in lines[:10]:
            s = line.strip()
            if 6 <= len(s) <= 90 and _TITLE_HINT.search(s) and not _DOC_NO.search(s):
                title = s
                break
    issue_date = _issue_date(lines, head)
    return Header(copy_no, marking, level, period, span, urgency, doc_no, title, issue_date)


def _issue_date(lines: list[tuple[int, str]], head: list[tuple[int, str]]) -> str:
    """成文日期: a date line in the 落款, else a date closing a header line, else the first full date."""
    candidates = [s for _, s in reversed(lines[-6:]) if _DATE_LINE.match(s)]
    candidates += [s for _, s in head if _TRAILING_DATE.search(s)]
    for line in candidates:
        found = [d for d in find_dates(line) if d.year_given]
        if found:
            return found[-1].date.isoformat()
    for _, line in lines:
        found = [d for d in find_dates(line) if d.year_given]
        if found:
            return found[0].date.isoformat()
    return ""
