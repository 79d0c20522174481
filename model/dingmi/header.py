"""GB/T 9704-2012 版头, 主体 and 版记: 份号, 密级和保密期限, 紧急程度, 发文字号, 标题, 成文日期.

Each element is read only where GB/T 9704 prints it:

- 份号, 密级和保密期限, 紧急程度: the first lines, upper left (lines 1–3), each a chunk of its own
  (``机密★20年``, a bare ``秘密``, ``内部``/``工作秘密``); a section heading (``一、国家秘密``) or a
  title that merely mentions a level is never a marking.
- 发文机关标志, then 发文字号 (``××〔2026〕7号``), then the title (one or more lines), then 主送 (``…：``).
- 成文日期: the date of the 落款, on its own line under the 署名, after the body and before the
  附件 pages (a line ``附件``/``附件1``) and the 版记 (``抄送：``, ``…印发``). Never a date from the body;
  when there is no 落款 date the field stays empty.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields

from dingmi.dates import find_dates
from dingmi.levels import Marking
from dingmi.text import Screened

_SPACE = r"[ \t\u3000]"
_CHUNK_SPLIT = re.compile(r"[ \t\u3000]{2,}|\t|\u3000")
_COPY_NO = re.compile(r"^(?:份号[:：]?\s*)?(\d{6})$")
_LEVEL_MARK = re.compile(r"^(绝密|机密|秘密)\s*[★☆*＊]\s*(.{1,24})$")
_BARE_LEVEL = re.compile(r"^(绝密|机密|秘密)$")
_WORK_SECRET = re.compile(r"^(?:(?:内部|内部事项|内部资料)(?:注意保管|注意保存)?|工作秘密)$")
_PERIOD_PUNCT = re.compile(r"[，。；,;：:、“”\"（）()]")
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?年)?(?:\d+个?月)?(?:\d+[日天])?$")
_URGENCY = re.compile(r"(特急|加急|特提|平急)")
_DOC_NO = re.compile(
    r"[\u4e00-\u9fff×xXＸｘ○〇]{0,16}\s*[〔\[［]\s*(\d{4})\s*[〕\]］]\s*(?:[\u4e00-\u9fff]{0,3}?第)?\s*\d+\s*号"
    r"|[\u4e00-\u9fff×xXＸｘ○〇]{1,16}\s*[(（]\s*(\d{4})\s*[)）]\s*(?:第\s*)?\d+\s*号"
)
# the 文种 a title ends with
_GENRES = r"通知|通报|报告|请示|批复|意见|函|纪要|方案|简报|决定|办法|规定|计划|总结|公告|通告|说明|清单|设计书|动态|情况|快报|要情|须知"
_TITLE_HINT = re.compile(rf"(^关于)|({_GENRES})([(（]第?[\d一二三四五六七八九十]+期[)）])?$")
_TITLE_END = re.compile(rf"({_GENRES})([(（][^()（）]{{1,12}}[)）])?$")
_ADDRESSEE = re.compile(r"^[^。；;]{2,80}[:：]$")
_BODY_START = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|第[一二三四五六七八九十百]+[章条节]|\d+[.．、])")
_ORGAN_END = re.compile(r"(?:局|厅|院|部|委|办公室|办|中心|大学|委员会|政府|馆|所|处|科|室|组|会|社|公司|集团|队|站)$")
_NUMBER_LINE = re.compile(
    r"^[（(]?[\u4e00-\u9fff×xXＸ○〇]{0,16}\s*(?:[〔\[［(（]\s*\d{4}\s*[〕\]］)）]|\d{4}\s*年)?\s*"
    r"(?:[\u4e00-\u9fff]{0,3}?第)?\s*\d+\s*[号期次][)）]?$"
)
_CN = "〇零○一二三四五六七八九十"
_DATE = rf"(?:\d{{4}}|[〇零○一二三四五六七八九]{{4}})\s*年\s*(?:\d{{1,2}}|[{_CN}]{{1,3}})\s*月\s*(?:\d{{1,2}}|[{_CN}]{{1,3}})\s*日"
_DATE_ONLY = re.compile(rf"^[（(]?\s*{_DATE}\s*[)）]?$")
_SIGNED_DATE = re.compile(rf"^([\u4e00-\u9fff（）()]{{2,40}}){_SPACE}+{_DATE}$")
_NOT_SIGNER = re.compile(r"时间|日期|截止|截至|期限|以前|以后|之前|之后|起至")
_ATTACHMENT_PAGE = re.compile(r"^附\s*件\s*[\d一二三四五六七八九十]{0,3}$")
_ATTACHMENT_NOTE = re.compile(r"^附\s*件\s*[\d一二三四五六七八九十]{0,3}\s*[:：]$")
_PRINTED = re.compile(rf"{_DATE}\s*印发(?:[（(][^()（）]{{1,12}}[)）])?$")
_RECORD = re.compile(rf"^(?:抄送|抄报|分送|报|送|印发)\s*[:：]|{_PRINTED.pattern}")
_DATED_NOTE = re.compile(rf"^[（(][^（）()]{{0,60}}?{_DATE}\s*(?:第.{{1,3}}版)?[)）]$")
_DATE_UNDER_TITLE = re.compile(rf"^[（(]\s*{_DATE}\s*(?:发布|印发|通过|修订|修正)?\s*[)）]$")
_TAIL_DATES = (_DATE_ONLY, _SIGNED_DATE, _DATED_NOTE)
_HEAD_DATES = (_DATE_ONLY, _SIGNED_DATE, _DATE_UNDER_TITLE)
# the patterns searched in every line, tried only on lines holding their cue (发文字号: 号; 版记: 年 or a colon)
_DOC_NO_ANY, _RECORD_ANY, _PRINTED_ANY = Screened(_DOC_NO), Screened(_RECORD), Screened(_PRINTED)
SIGNATURE_TAIL = 8  # the 落款 date is among the last lines before the 附件 pages / 版记


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
    issue_date: str = ""  # ISO date of the 落款; "" when the document has none
    issue_date_span: tuple[int, int] | None = None
    print_date: str = ""  # 印发日期 from the 版记, ISO; never used as the 成文日期

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
        for key in ("marking_span", "issue_date_span"):
            d[key] = list(d[key]) if d[key] else None
        return d


@dataclass(frozen=True)
class _Line:
    pos: int    # offset of the line in the text
    raw: str
    text: str   # stripped


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append(_Line(pos, line, line.strip()))
        pos += len(line) + 1
    return out


def _chunks(line: _Line) -> list[tuple[int, str]]:
    """Pieces of a line separated by wide spaces, with their offsets in the text."""
    out, start = [], 0
    for m in [*_CHUNK_SPLIT.finditer(line.raw), None]:
        end = m.start() if m else len(line.raw)
        piece = line.raw[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((line.pos + start + lead, piece.strip()))
        if m:
            start = m.end()
    return out


def read_marking(chunk: str) -> Marking | None:
    """A marking chunk as GB/T 9704 prints it; ``秘密★10 年`` reads as ``秘密★10年``."""
    if (m := _BARE_LEVEL.match(chunk)) is not None:
        return Marking(m.group(1), "", m.group(1))
    if _WORK_SECRET.match(re.sub(r"\s+", "", chunk)):
        return Marking("内部", "", chunk)
    m = _LEVEL_MARK.match(chunk)
    if m is None or _PERIOD_PUNCT.search(m.group(2)):
        return None
    rest = m.group(2).strip()
    period = re.sub(r"\s+", "", rest)
    if period != rest and not _DURATION.match(period) and not _DATE_ONLY.match(period):
        period = rest.split()[0]  # 机密★20年 000123: the period is the first token
    return Marking(m.group(1), period, f"{m.group(1)}★{period}")


def parse_header(text: str, title_hint: str = "") -> Header:
    """Read 份号, marking, 紧急程度, 发文字号 and title from the first lines and 成文日期 from the 落款."""
    lines = _lines(text)
    head = lines[:12]
    copy_no = marking = level = period = urgency = ""
    span: tuple[int, int] | None = None
    block_end = 0  # lines of the 版头 block (份号, 密级, 紧急程度) at the top
    for i, line in enumerate(head[:4]):
        if _DOC_NO_ANY.search(line.text) or _TITLE_HINT.search(line.text):
            break
        kinds = []
        for off, chunk in _chunks(line):
            if not copy_no and (m := _COPY_NO.match(chunk)):
                copy_no = m.group(1)
                kinds.append("copy")
            elif not marking and (mk := read_marking(chunk)):
                marking, level, period, span = mk.text, mk.level, mk.period, (off, off + len(chunk))
                kinds.append("mark")
            elif not urgency and (m := _URGENCY.fullmatch(chunk)):
                urgency = m.group(1)
                kinds.append("urgency")
            else:
                kinds.append("")
        if kinds and all(kinds) and block_end == i:
            block_end = i + 1
    if not urgency:
        for line in head[:5]:
            if len(line.text) <= 20 and (m := _URGENCY.search(line.text)):
                urgency = m.group(1)
                break
    _, doc_no = _doc_number(head)
    title = title_hint.strip() or _title(head, block_end)
    issue_date, date_span = _issue_date(lines, block_end)
    return Header(copy_no, marking, level, period, span, urgency, doc_no, title, issue_date, date_span,
                  _print_date(lines))


def _doc_number(head: list[_Line]) -> tuple[int, str]:
    """The 发文字号 line: one that starts with it, else one that is not a title and holds it."""
    for anchored in (True, False):
        for i, line in enumerate(head[:10]):
            m = _DOC_NO_ANY.match(line.text) if anchored else _DOC_NO_ANY.search(line.text)
            if m and len(line.text) <= 60 and (anchored or not line.text.startswith("关于")):
                return i, m.group(0)
    return -1, ""


def _skipped(s: str) -> bool:
    """版头 lines that are never the title: numbers, dates, notes in brackets, 签发人."""
    return bool(_NUMBER_LINE.match(s) or _DOC_NO.match(s) or _DATE_ONLY.match(s) or _SIGNED_DATE.match(s)
                or (s[0] in "（(" and s[-1] in "）)") or s.startswith("签发人") or _ATTACHMENT_PAGE.match(s))


def _title(head: list[_Line], block_end: int) -> str:
    """The title: among the 版头 lines above 主送 or the body, the one(s) that read as a title.

    Organ lines come first, numbers and dates are skipped, a title may run over two or three lines
    (``关于…`` … ``…的通知``); a ``——`` line is a subtitle and names the line above it.
    """
    lines: list[str] = []
    for line in head[block_end:block_end + 10]:
        s = line.text
        if _skipped(s):
            continue
        if (_ADDRESSEE.match(s) or _BODY_START.match(s) or len(s) > 60 or "\t" in s or re.search(r"[。；]", s)
                or re.search(r"(?<!\d)[：:](?!\d)", s) or ("，" in s and not s.startswith("关于"))
                or s[0] in "●■◆•·▲★"):
            break
        lines.append(s)
    if not lines:
        return ""
    start = next((i for i, s in enumerate(lines) if s.startswith(("关于", "關于"))), -1)
    if start >= 0:
        end = next((j for j in range(start, min(start + 3, len(lines))) if _TITLE_END.search(lines[j])), start)
        return "".join(lines[start:end + 1])
    subtitle = next((i for i, s in enumerate(lines) if s.startswith("——")), -1)
    if subtitle > 0:
        return lines[subtitle - 1]
    titled = [s for s in lines if _TITLE_END.search(s) and not s.startswith("——")]
    if titled:
        return titled[-1]
    rest = [s for s in lines if not s.startswith("——")]
    named = [s for s in rest if not _ORGAN_END.search(s)]
    if named:
        return named[0]
    return rest[-1] if len(rest) >= 2 else ""


def _date_of(line: _Line, patterns: tuple[re.Pattern[str], ...]) -> tuple[str, tuple[int, int]] | None:
    """The date of a 落款 (or dated note) line: a date alone, after the 署名, or closing a note."""
    s = line.text
    for pattern in patterns:
        m = pattern.match(s)
        if m and not (pattern is _SIGNED_DATE and _NOT_SIGNER.search(m.group(1))):
            break
    else:
        return None
    found = [d for d in find_dates(s) if d.year_given]
    if not found:
        return None
    off = len(line.raw) - len(line.raw.lstrip())
    return found[-1].date.isoformat(), (line.pos + off + found[-1].start, line.pos + off + found[-1].end)


def _issue_date(lines: list[_Line], block_end: int) -> tuple[str, tuple[int, int] | None]:
    """成文日期 from the 落款: the last date line shortly before the 附件 pages or 版记 (or the end).

    The main document ends at the first 附件 page or 版记 line; a ``附件：`` line alone may be the
    附件说明, so the part before it is tried first and the search goes on past it when that part
    ends without a date. A 落款 printed after the 附件 (just above the 版记) comes next, then a
    date printed in the 版头 (简报: ``××办公室编  2026年6月30日``; ``（1990年2月14日发布）``).
    """
    def is_end(i: int, ln: _Line) -> bool:
        return i >= block_end and i > 0 and bool(_ATTACHMENT_PAGE.match(ln.text) or _RECORD_ANY.search(ln.text))

    hard = next((i for i, ln in enumerate(lines) if is_end(i, ln)), len(lines))
    record = next((i for i, ln in enumerate(lines) if i >= hard and _RECORD_ANY.search(ln.text)), len(lines))
    soft = [i for i, ln in enumerate(lines[:hard]) if _ATTACHMENT_NOTE.match(ln.text)]
    tails = [*soft, hard] + ([record] if record > hard else [])
    for end in tails:
        for line in reversed(lines[max(block_end, end - SIGNATURE_TAIL):end]):
            if found := _date_of(line, _TAIL_DATES):
                return found
    for line in lines[block_end:block_end + 4]:
        if found := _date_of(line, _HEAD_DATES):
            return found
    return "", None


def _print_date(lines: list[_Line]) -> str:
    """印发日期 from the 版记 (``××办公室  2026年3月5日印发``), or ""."""
    for line in reversed(lines[-12:]):
        if _PRINTED_ANY.search(line.text):
            found = [d for d in find_dates(line.text) if d.year_given]
            if found:
                return found[-1].date.isoformat()
    return ""
