"""派生定密 and 不明确事项 signals: markings of forwarded sources, and secret-like wording."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dingmi.levels import highest

_SOURCE_MARK = re.compile(r"(绝密|机密|秘密)\s*★\s*([^)）,，。;；\s]{1,12})")
_FORWARD = re.compile(r"转发|摘录|照录|印发|传达|转来|原文|原件|摘要如下|摘编|转送|抄转|根据[^。]{0,20}(方案|通知|文件)")
_EXPLICIT = re.compile(r"按\s*(绝密|机密|秘密)\s*级?(?:事项)?(?:管理|保管|执行|处理)|(?:列为|定为|属于)\s*(绝密|机密|秘密)级?")
# wording that handles a text as a state secret; 内部掌握 is how a work secret (内部事项) is handled, so it is not one
_SECRET_LIKE = re.compile(
    r"不得(?:复印|拍照|扩散|外传|泄露|透露|对外)|严格保密|严禁外传|注意保密|知悉范围|机要室|专人(?:保管|传递)"
    r"|稳控|秘密渠道|绝对保密|严防泄密|密件|涉密载体|密码电报|传阅|阅后退回"
)
_META = re.compile(
    r"保密法|保密工作|保密教育|保密培训|定密工作|保密检查|保密自查|保密宣传|保密知识|警示教育|保密意识|保密制度|保密管理"
    r"|保密责任|保密要求|泄密案例|培训班|考生须知|报名"
)


@dataclass(frozen=True)
class SourceMarking:
    """A marking of a forwarded or excerpted source found in the body."""

    level: str
    period: str
    start: int
    end: int


def source_markings(norm: str, header_span: tuple[int, int] | None) -> list[SourceMarking]:
    """Markings in the body of a document that forwards or excerpts marked sources."""
    if not _FORWARD.search(norm):
        return []
    out = []
    for m in _SOURCE_MARK.finditer(norm):
        if header_span and m.start() < header_span[1] and m.end() > header_span[0]:
            continue
        out.append(SourceMarking(m.group(1), m.group(2), m.start(), m.end()))
    return out


def strongest(marks: list[SourceMarking]) -> SourceMarking | None:
    """The source with the highest level (first of equals)."""
    if not marks:
        return None
    top = highest([m.level for m in marks])
    return next(m for m in marks if m.level == top)


def secret_signals(norm: str) -> tuple[int, str]:
    """How secret-like the wording is (count) and any level the text itself asks for."""
    explicit = [next(g for g in m.groups() if g) for m in _EXPLICIT.finditer(norm)]
    count = len(set(_SECRET_LIKE.findall(norm))) + 2 * len(set(explicit))
    return count, highest(explicit) if explicit else ""


def meta_score(norm: str) -> int:
    """How much the document talks about secrecy work rather than containing a secret."""
    return len(_META.findall(norm))

