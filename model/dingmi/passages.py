"""Passages: the units a secret is disclosed in, with the headings that give them their subject.

A passage is a sentence, a list item or a table row. Its *scope* is what tells a reader what the
passage is about without being part of it: the document title, the chain of headings above it
(一、 / （一） / 1. / 附件N / a table's header row) and a lead-in sentence ending in “如下：” or “：”.
“第15题（13分）…给3分” is about 评分细则 only through the heading “附件2 数学科主观题评分细则”.

A *section* is the part under one top-level heading or attachment; qualifiers such as “已公布” apply
within their section. A *part* is one document of several pasted together: a new part starts after
a 落款 date line, the 附注 under it or the 版记's 印发 line when a new title, a short title-like line (a
news article's) or a 发文字号 follows, or after body text at a 发文字号 line, a title followed by a 主送
line or an organ's name with a title under it (a form or table without a 落款 can be followed by a
document too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_HEADING = (
    (0, re.compile(r"^附件\s*[\d一二三四五六七八九十]*\s*$|^附件\s*[\d一二三四五六七八九十]+\s*\S{0,40}$|^第[一二三四五六七八九十百\d]+(?:部分|章)")),
    (1, re.compile(r"^[一二三四五六七八九十]+[、.．]")),
    (2, re.compile(r"^[（(][一二三四五六七八九十]+[）)]")),
    (3, re.compile(r"^\d{1,2}[.．、](?!\d)")),
    (4, re.compile(r"^[（(]\d{1,2}[）)]")),
)
# the first characters of the headings above (and decimal digits, ``\d``): any other line is no heading
_HEADING_FIRST = frozenset("附第一二三四五六七八九十（(")
_SENT = re.compile(r"[^。！？；!?;]+(?:[。！？；!?;]+|$)")
_LEAD_IN = re.compile(r"(?:如下|以下|下列|列表|清单|明细|情况|内容|要求|安排)?[：:]\s*$")
DATE = r"(?:\d{4}|[〇零○一二三四五六七八九]{4})\s*年\s*\S{1,3}\s*月\s*\S{1,4}\s*日"  # a date as 落款 and 版记 print it
DATE_LINE = re.compile(rf"^\s*{DATE}\s*(?:印发)?\s*$")  # a 落款 成文日期 or 印发 date on a line of its own
# the 版记's last line, 印发机关 and 印发日期 (GB/T 9704): the document ends here
IMPRINT_LINE = re.compile(rf"^[^\s。，,；;：:]{{2}}[^。，,；;：:]{{0,40}}?{DATE}\s*印发\s*$")
_CLOSING = re.compile(r"^(?:附件|抄送|印发|主题词|[（(]联系人|联系人|此页无正文)")
# the 附注 under the 成文日期 (（此件公开发布）): the last line of the body, after which a document may start
_NOTE_LINE = re.compile(r"^[（(]此件[^）)]*[）)]$")
# a web page's article ends at its footer: 责任编辑：…, 【打印本页】【关闭窗口】
_PAGE_FOOTER = re.compile(r"^(?:[(\[【]?责任编辑[)\]】]?\s*[:：]\s*\S{1,20}|(?:【(?:打印本页|打印|关闭窗口|关闭|返回顶部)】\s*)+)$")
# a title: 关于…, or a line ending in a 文种 (党政机关公文处理工作条例 第八条: 决议 决定 命令 公报 公告 通告 意见 通知
# 通报 报告 请示 批复 议案 函 纪要) or in the name of a common document kind (方案, 总结, 简报…)
_NEW_DOC = re.compile(r"〔\s*\d{4}\s*〕|^关于|(?:决议|决定|命令|公报|公告|通告|意见|通知|通报|报告|请示|批复|议案|函|纪要"
                      r"|简报|方案|办法|规定|细则|总结|要点|计划|须知)(?:[（(][^）)]{1,20}[）)])?$")
# a 发文字号 on a line of its own (with 签发人): printed only in a 版头, so after body text it starts a new document
_NUMBER_LINE = re.compile(r"^[^\s。，,；;：:]{0,20}〔\s*\d{4}\s*〕\s*第?\s*\d+\s*号(?:\s+签发人.*)?$")
# after a 落款 or 版记, a short line with no sentence in it opens another text (a news or web article's
# title, a 发文机关标志); a date, a note in brackets, 附件/抄送 lines and table rows do not
_TITLE_LIKE = re.compile(r"^(?![（(\[【<《]|附|抄送|印发|主题词|此页)[^\t。；;！!？?：:]{4,40}$")
_ORGAN_LINE = re.compile(r"^[^\s。，,；;：:“”]{2,30}$")  # the 发文机关标志 above it: a name, no sentence
# a title above a 主送 line (GB/T 9704: the 主送机关 follows the title) opens a document wherever it stands
_LETTER_TITLE = re.compile(r"^(?:关于[^\t。；;！!？?：:]{2,78}|[^\t。；;！!？?：:]{2,60}(?:通知|报告|请示|函|批复|意见|决定|通报|纪要))$")
_ADDRESSEE = re.compile(r"^(?!.*(?:如下|以下|下列|现将|特此))[^\t。；;！!？?：:]{2,80}[：:]$")
_ORGAN_NAME = re.compile(r"^[^\s。，,；;：:“”（(]{2,28}(?:局|院|厅|委员会|委|办公室|中心|支队|大队|政府|部|所|站|馆|公司|集团|学校|大学|小组)$")
_MAX_PASSAGE = 400  # longer sentences are cut into windows so one passage never spans a page


@dataclass(frozen=True)
class Passage:
    """A sentence, list item or table row, with offsets into the (view) text."""

    start: int
    end: int
    text: str
    heading: bool  # a heading line itself (names a topic; never 密点 on its own)
    scope: tuple[int, ...]  # indices of the heading / lead-in passages above it
    section: int
    part: int
    preamble: int  # the section before the first heading of this passage's part (title, 主送, intro)


def split_passages(norm: str) -> list[Passage]:
    """Passages of a normalised text with their scope, section and part."""
    out: list[Passage] = []
    stack: list[tuple[int, int]] = []  # (heading level, passage index)
    lead: int | None = None  # lead-in passage for the lines that follow it
    table_head: int | None = None
    section = part = preamble = 0
    pos = 0
    after_date = 0
    has_body = False  # the current document has a sentence of body text (a 版头 has none)
    part_start = 0  # index of the current document's first passage (a document's passages are contiguous)
    single = False  # the last non-blank line is one passage of its own
    lines = norm.split("\n")
    for n, line in enumerate(lines):
        line_start, pos = pos, pos + len(line) + 1
        body = line.strip()
        if not body:
            lead = table_head = None
            continue
        if ((after_date and (_NEW_DOC.search(body) or _title_like(body)))
                or (has_body and (_NUMBER_LINE.match(body) or _opens_letter(body, lines, n) or _heads_document(body, lines, n)))):
            part += 1
            section += 1
            preamble = section
            stack, lead, table_head = [], None, None
            after_date = 0
            has_body = False
            part_start = len(out)
            last = out[-1].text if single else ""
            # the 发文机关 line above the number or title belongs to it; a 落款 date closes the text above
            if (last and _ORGAN_LINE.match(last) and not DATE_LINE.match(last) and not IMPRINT_LINE.match(last)
                    and not _NOTE_LINE.match(last) and not _PAGE_FOOTER.match(last)):
                out[-1] = replace(out[-1], scope=(), section=section, part=part, preamble=preamble)
                part_start -= 1
        elif (IMPRINT_LINE.match(body) or (has_body and (DATE_LINE.match(body) or _PAGE_FOOTER.match(body)))
              or (after_date and _NOTE_LINE.match(body))):
            # the 版记 or a 落款 date (a date in a 版头, before any body text, closes nothing): a new document
            # may start within the next lines (organ, number, title)
            after_date = 3
        elif after_date:
            after_date = 0 if _CLOSING.match(body) else after_date - 1
        offset = line_start + (len(line) - len(line.lstrip()))
        level = _heading_level(body)
        if level is not None:
            while stack and stack[-1][0] >= level:
                stack.pop()
            if level <= 1:
                section += 1
            lead = table_head = None
        scope = tuple([i for _, i in stack] + [i for i in (lead, table_head) if i is not None])
        is_row = "\t" in body
        first = len(out)
        for s, e in _sentences(body):
            text = body[s:e]
            heading = level is not None and s == 0 and _is_heading(text)
            out.append(Passage(offset + s, offset + e, text, heading, scope, section, part, preamble))
        if level is not None and first < len(out):
            stack.append((level, first))
        last = out[-1] if len(out) > first else None
        single = len(out) - first == 1 and last is not None and last.text == body
        # a 版头 is a few short lines: a sentence, a table row or more lines than it has is body text
        has_body = has_body or is_row or len(out) - part_start > 6 or any(
            p.text.endswith(("。", "；", "！", "？")) for p in out[first:])
        if is_row and table_head is None:
            table_head = first
        elif last is not None and not is_row and _LEAD_IN.search(last.text):
            lead = len(out) - 1
    return out


def _opens_letter(body: str, lines: list[str], n: int) -> bool:
    """A document title (关于…, or a line ending in a 文种) whose next line is a 主送 line (…：): the 版头 of
    a document pasted after body text, even with no 落款 date before it."""
    if not _LETTER_TITLE.match(body):
        return False
    nxt = next((x.strip() for x in lines[n + 1 : n + 4] if x.strip()), "")
    return bool(_ADDRESSEE.match(nxt))


def _heads_document(body: str, lines: list[str], n: int) -> bool:
    """An organ's name (…局, …院, …办公室) on a line of its own with a document title right under it: the
    发文机关 and title of a document pasted after body text, even with neither a 落款 date nor a 主送 line
    (a 方案 or 纪要 has none)."""
    if not _ORGAN_NAME.match(body):
        return False
    nxt = next((x.strip() for x in lines[n + 1 : n + 3] if x.strip()), "")
    return bool(_NEW_DOC.search(nxt)) and bool(_TITLE_LIKE.match(nxt))


def _title_like(body: str) -> bool:
    """A line that may open another text after a 落款: short, no sentence, not a date or 版记 line."""
    return bool(_TITLE_LIKE.match(body)) and not DATE_LINE.match(body) and not IMPRINT_LINE.match(body)


def _is_heading(text: str) -> bool:
    """A numbered line that names a topic (一、脱酸液配方。) rather than stating content."""
    return len(text) <= 20 or (len(text) <= 40 and not any(c.isdigit() for c in text[2:]))


def _heading_level(body: str) -> int | None:
    if body[0] not in _HEADING_FIRST and not body[0].isdecimal():  # no heading starts so
        return None
    for level, pat in _HEADING:
        if pat.match(body):
            return level
    return None


def _sentences(body: str) -> list[tuple[int, int]]:
    spans = []
    for m in _SENT.finditer(body):
        s, e = m.start(), m.end()
        while s < e and body[s].isspace():
            s += 1
        while e > s and body[e - 1].isspace():
            e -= 1
        while e - s > _MAX_PASSAGE:
            spans.append((s, s + _MAX_PASSAGE))
            s += _MAX_PASSAGE
        if e > s:
            spans.append((s, e))
    return spans
