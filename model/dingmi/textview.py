"""A clean view of a document that still points into the original text.

Text pasted from web pages and PDFs carries characters that are not content: format characters
(Unicode category Cf — zero-width spaces, bidi marks, soft hyphens), hard line breaks every few
dozen characters, page numbers (``- 3 -``, ``第2页 共5页``) and running page headers. The view drops
them, so matching sees the text a reader sees, and ``to_original`` maps every view offset back,
so evidence still indexes the text the user gave.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from itertools import chain
from dataclasses import dataclass
from functools import lru_cache

from dingmi.passages import DATE, IMPRINT_LINE

_PAGE_LINE = re.compile(
    r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|[·•‧∙・]\s*\d{1,4}\s*[·•‧∙・]|第\s*\d{1,4}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)\s*$",
    re.IGNORECASE,
)
_SENTENCE_END = "。！？；：!?;:"
_DATE_LINE = re.compile(rf"^\s*{DATE}\s*$")
# a line that starts a new unit: indented paragraph, list item, bullet, heading, "label：" field
_ITEM = re.compile(
    r"^(?:\s|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+(?:[.．](?!\d)|、)|附件|第[一二三四五六七八九十百\d]+[章节条部]"
    r"|[·•●▪◆■□○◇※\-*])"
)
_LABEL = re.compile(r"^[^，,。；;：:]{1,8}[：:]")  # “联系人：” — or a wrapped sentence going on: “确定为：”
_OPENERS = re.compile(f"{_ITEM.pattern}|{_LABEL.pattern}")
# a title (关于…, or ending with its 文种) and the 主送机关 line after it, ending with a colon, are two lines,
# never one; so are the 发文字号 (〔2026〕7号) and a line in brackets (a note under the title) (GB/T 9704)
_TITLE_END = re.compile(r"^\s*关于|(?:通知|通报|请示|报告|方案|意见|决定|批复|复函|函|纪要|规定|办法|总结|计划|公告|通告|要点|规划|细则)\s*$")
_ADDRESSEES = re.compile(r"^(?![^：:]*(?:如下|现将|现就))[^。；;：:]{1,60}[：:]\s*$")
_OWN_LINE = re.compile(r"^\s*(?:[^\s，,。]{0,12}[〔\[［(（]\d{4}[〕\]］)）]\s*第?\s*\d+\s*号|[（(][^（()）]*[）)])\s*$")
_HALF_STOP = re.compile(r"(?<=[\u4e00-\u9fff”’」』)）])\.(?![0-9A-Za-z.])")  # not 第3.2条, 报告.docx, ……
_MD_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6}[ \t]+)", re.MULTILINE)
_MD_BOLD = re.compile(r"\*\*(?=\S)[^\n*]+?(?<=\S)\*\*")
_LETTER_GAP = re.compile(r"(?<=\S) (?=\S)")  # one space between two printing characters
_DOC_NUMBER = re.compile(r"^\s*[^\s，,。]{0,12}[〔\[［]\d{4}[〕\]］]\s*第?\s*\d+\s*号\s*$")
_RULE_LINE = re.compile(r"^\s*[—\-─━_＿=＝－~～·…]{3,}\s*$")  # a separator rule (the 版记's lines): layout, never wrapped text


@lru_cache(maxsize=4096)
def _is_format(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


@dataclass(frozen=True)
class TextView:
    """The cleaned text and, for each of its characters, the offset of that character in the original."""

    text: str
    offsets: tuple[int, ...]
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a view span [start, end) to the original text."""
        if start >= end:
            o = self.offsets[start] if start < len(self.offsets) else self.original_length
            return o, o
        return self.offsets[start], self.offsets[end - 1] + 1


def make_view(text: str) -> TextView:
    """Drop format characters, page-number lines and running headers; rejoin hard-wrapped lines. Line
    endings are read as ``\\n`` whatever their convention (``\\r\\n``, ``\\r``: text pasted from Windows or a
    web form), a half-width full stop after a Chinese character as ``。``; Markdown marks, letter-spacing
    and doubled line breaks are dropped as layout."""
    fmt = _format_chars(text)
    if not fmt and "\r" not in text:
        keep: list[int] | range = range(len(text))
        chars = text
    else:
        keep = [i for i, ch in enumerate(text) if ch not in fmt and not (ch == "\r" and text.startswith("\n", i + 1))]
        chars = "".join(text[i] for i in keep).replace("\r", "\n")
    if "." in chars:  # a full stop typed half-width (or read so by OCR) after a Chinese character ends a sentence
        chars = _HALF_STOP.sub("。", chars)
    markup = _markup_drops(chars)
    if markup:  # dropped first: the layout is read on the lines as they print
        runs = _kept_runs(len(chars), markup)
        keep = list(chain.from_iterable(keep[a:b] for a, b in runs))
        chars = "".join(chars[a:b] for a, b in runs)
    drop = _layout_drops(chars)
    if not drop:
        return TextView(chars, tuple(keep), len(text))
    runs = _kept_runs(len(chars), drop)
    return TextView("".join(chars[a:b] for a, b in runs), tuple(chain.from_iterable(keep[a:b] for a, b in runs)),
                    len(text))


def _format_chars(text: str) -> set[str]:
    """The format characters (Unicode Cf) in a text. Every one is non-printable and none is white space,
    so a text whose words (white space aside) print has none: C-level passes for most texts."""
    if "".join(text.split()).isprintable():
        return set()
    return {ch for ch in set(text) if ch >= "\u00ad" and _is_format(ch)}


def _markup_drops(chars: str) -> set[int]:
    """Offsets of characters that only format the text: Markdown heading marks (``## 一、…``) and bold
    markers (``**…**``), the surplus breaks of a double-spaced paste, and the spaces a PDF extractor puts
    between the letters of a letter-spaced line (``关 于 做 好 …``: its characters nearly all one space apart)."""
    drop: set[int] = set()
    if "#" in chars or "**" in chars:
        for m in _MD_HEADING.finditer(chars):
            drop.update(range(m.start(1), m.end(1)))
        for m in _MD_BOLD.finditer(chars):
            drop.update((m.start(), m.start() + 1, m.end() - 2, m.end() - 1))
    drop |= _double_spacing(chars)
    if " " in chars:
        pos = 0
        for line in chars.split("\n"):
            letters = len(line) - line.count(" ")
            if letters >= 4 and " " in line:
                gaps = [m.start() for m in _LETTER_GAP.finditer(line)]
                if len(gaps) >= 0.8 * (letters - 1):
                    drop.update(pos + g for g in gaps)
            pos += len(line) + 1
    return drop


def _double_spacing(chars: str) -> set[int]:
    """The surplus line breaks of a double-spaced text (a web page or e-mail paste doubles every line break,
    so no two lines touch): half of each run of breaks is dropped, which gives back the text as typed — its
    lines single-spaced, a blank line where it had one. A text whose lines touch keeps its blank lines."""
    if "\n\n" not in chars:
        return set()
    ends, full, pos = [], [], 0
    for n, line in enumerate(chars.split("\n")):
        pos += len(line)
        ends.append(pos)  # the offset of the break that ends line n
        pos += 1
        if line.strip():
            full.append(n)
    gaps = list(zip(full, full[1:]))
    if len(full) < 4 or sum(b - a >= 2 for a, b in gaps) < 0.9 * len(gaps):
        return set()
    return {ends[k] for a, b in gaps if b - a >= 2 for k in range(a, a + (b - a) // 2)}


def _kept_runs(length: int, drop: set[int]) -> list[tuple[int, int]]:
    """The spans [a, b) of ``range(length)`` outside the dropped offsets, in order."""
    runs, start = [], 0
    for i in sorted(drop):
        if i >= length:
            break
        if i > start:
            runs.append((start, i))
        start = max(start, i + 1)
    if start < length:
        runs.append((start, length))
    return runs


def _layout_drops(chars: str) -> set[int]:
    """Offsets (into ``chars``) of page-number lines, running headers and hard-wrap line breaks."""
    lines: list[tuple[int, str]] = []
    pos = 0
    for line in chars.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    if len(lines) < 4:
        return set()
    drop: set[int] = set()
    counts = Counter(s.strip() for _, s in lines if 2 <= len(s.strip()) <= 40)
    # (a figure in a line repeated is data, unless the line is a 发文字号: printed once, in a 版头)
    running = {s for s, n in counts.items()
               if n >= 3 and not _OPENERS.match(s) and (not re.search(r"\d{2,}", s) or _DOC_NUMBER.match(s))}
    dropped_lines = set()
    for n, (p, s) in enumerate(lines):
        st = s.strip()
        if st and (_PAGE_LINE.match(st) or (st in running and not _signs_a_document(lines, n))):
            dropped_lines.add(n)
            drop.update(range(p, p + len(s) + 1))  # the line and its line break
    width = _wrap_width([s for n, (_, s) in enumerate(lines) if n not in dropped_lines])
    if width:
        prev: tuple[int, str] | None = None
        for n, (p, s) in enumerate(lines):
            if n in dropped_lines:
                continue
            if prev is not None:
                pp, ps = prev
                body = ps.rstrip()
                # a line cut at the full width goes on, even where the next begins like a label
                cut = abs(len(body) - width) <= 1  # at the wrap width: a longer line was not wrapped
                # …编号为070 / 3、0704…: a number cut in two is no list item
                opens = (_ITEM.match(s) and not (body[-1:].isdigit() and s[:1].isdigit())) or (_LABEL.match(s) and not cut)
                if (body and len(body) >= 0.6 * width and body[-1] not in _SENTENCE_END and "\t" not in ps
                        and s.strip() and not opens and not _DATE_LINE.match(s)
                        and not _RULE_LINE.match(ps) and not _RULE_LINE.match(s)
                        and not IMPRINT_LINE.match(body) and not IMPRINT_LINE.match(s.strip())  # a 版记 line of its own
                        and not (_TITLE_END.search(body) and _ADDRESSEES.match(s.strip()))
                        and not _OWN_LINE.match(ps) and not _OWN_LINE.match(s)):
                    drop.update(range(pp + len(body), pp + len(ps) + 1))  # the break (and spaces before it)
            prev = (p, s)
    return drop


def _signs_a_document(lines: list[tuple[int, str]], n: int) -> bool:
    """A repeated line that heads or signs a document — a 发文机关 above a 发文字号 or title, a 落款 above
    its date — is no running page header, however often documents of that organ are pasted together."""
    nxt = next((s.strip() for _, s in lines[n + 1 : n + 4] if s.strip()), "")
    return bool(_DATE_LINE.match(nxt) or _OWN_LINE.match(nxt) or _TITLE_END.search(nxt))


def _wrap_width(lines: list[str]) -> int:
    """The line width of a hard-wrapped text, else 0.

    In a text typed as paragraphs, lines end at sentence punctuation except headings, the organ line
    and table rows. In a PDF or e-mail paste most lines stop mid-sentence at about the same width.
    """
    open_ended = sorted(
        len(s.strip()) for s in lines
        if s.strip() and s.rstrip()[-1] not in _SENTENCE_END and "\t" not in s and len(s.strip()) >= 8
        and not _OPENERS.match(s)
    )
    if len(open_ended) < 3:
        return 0
    width = open_ended[int(0.8 * (len(open_ended) - 1))]
    return width if width >= 15 else 0
