"""Readable Chinese rationale, lowering advice and 不明确事项 routing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from dingmi.header import Header
from dingmi.levels import is_secret

#: Plain-Chinese meaning of each flag, for reports and pages.
FLAG_TEXT = {
    "needs_review": "置信度较低，请定密责任人重点审核",
    "unclear_matter": "不明确事项：先行拟定密级并采取保密措施，10个工作日内报保密行政管理部门确定",
    "conflict": "不同领域的条目给出不同密级，已按最高密级建议，请审核",
    "derived": "派生定密：密级和期限随所转发或摘录的原件",
    "classifier_disagrees": "未匹配到条目，但文档分类器认为全文具有涉密特征，请审核是否属不明确事项",
    "weak_match": "条目与正文的对应较弱，系与文档分类器的涉密判断一致而提出，请重点审核依据",
    "higher_level_candidate": "另有更高密级的事项（单独的密点，或同一段落上支持度较低的条目）未据以提高密级，请审核",
    "declared_not_secret": "文件自述其内容不属于国家秘密（或附注“此件主动公开”），未据条目定为国家秘密；条目列在待审事项中，请定密责任人核实",
    "marking_consistent": "文件已有标志与内容相符",
    "marking_under": "文件已有标志低于内容应有的密级",
    "marking_over": "文件已有标志高于内容应有的密级",
    "exceeds_authority": "超出定密权限：先行采取保密措施，报请上级机关、单位确定",
    "ocr": "正文由OCR从扫描件或图片识别得到，可能有识别错误，请对照原件核对（平均置信度见 text_source）",
}


if TYPE_CHECKING:
    from dingmi.engine import Decision
    from dingmi.suggestion import Suggestion


def rationale(s: Suggestion, d: Decision, ceiling: str | None) -> str:
    """One or two sentences: which regulation and item, which words, why this level and period."""
    parts: list[str] = []
    if "derived" in s.flags:
        parts.append(
            f"本文转发或摘录了已标“{d.source_level}★{d.source_period}”的原件，按派生定密随原件确定为"
            f"{s.level}，保密期限{s.period}（派生定密不受定密权限限制）。"
        )
    elif "unclear_matter" in s.flags:
        parts.append(
            "文中有涉密特征的内容，但已加载的保密事项范围中没有对应条目，属于不明确事项："
            f"建议先行拟定为{s.level}并采取保密措施，自拟定之日起10个工作日内报{s.report['report_to'] if s.report else '保密行政管理部门'}确定。"
        )
    elif d.found:
        top = next(m for m in d.found if m.level == s.level)
        e = top.profile.entry
        words = "、".join(top.matched[:5])
        why = "；".join(top.reasons[:3])
        from dingmi.levels import MAX_PERIOD

        if s.period == MAX_PERIOD.get(s.level) and not e.period:
            how = "（条目未规定期限，取法定最长期限）"
        elif e.period:
            how = "（条目规定）"
        else:
            how = "（条目所列解密条件）"
        period = f"保密期限{s.period}" + (how if s.level != "内部" else "")
        if s.level == "内部":
            parts.append(f"依据{e.cite()}“{e.text}”，文中“{words}”等内容属于内部事项（工作秘密），不属于国家秘密，标注“内部”。")
        else:
            parts.append(
                f"依据{e.cite()}“{e.text}”（{e.level}），文中“{words}”等内容"
                + (f"（{why}）" if why else "")
                + f"属于该事项，建议定为{s.level}级，{period}。"
            )
        if len({m.level for m in d.found}) > 1:
            parts.append("文中含多个不同密级的事项，按其中最高密级确定。")
        if "weak_match" in s.flags:
            parts.append("该条目与文中内容的对应较弱，是因文档分类器也认为全文具有涉密特征而提出；请定密责任人重点审核，"
                         "如不属该事项，按不明确事项先行保护并报保密行政管理部门确定，或不作国家秘密标志。")
    elif d.internal_by_model:
        parts.append("未发现与已加载保密事项范围条目相符的涉密内容，但全文具有内部事项（工作秘密）的特征，建议标注“内部”，"
                     "不作国家秘密标志；请定密责任人复核是否属本机关工作秘密。")
    elif "classifier_disagrees" in s.flags:
        parts.append("未发现与已加载保密事项范围条目相符的涉密内容，但文档分类器认为全文具有涉密特征；建议定密责任人审核："
                     "如确含涉密内容而无对应条目，按不明确事项先行保护并报保密行政管理部门确定，否则不作国家秘密标志（非密）。")
    elif "declared_not_secret" in s.flags:
        parts.append("文件自述其内容不属于国家秘密（或附注“此件主动公开”），建议按其自述不作国家秘密标志（非密）。")
    else:
        parts.append("未发现与已加载保密事项范围条目相符的涉密内容，建议不作国家秘密标志（非密）；如有疑问请人工复核。")
    declared = "declared_not_secret" in s.flags
    for m in d.set_aside[:2]:
        where = ("在文中有对应内容，但文件自述不属于国家秘密" if declared and is_secret(m.level)
                 else "与上述事项指向同一段落，支持度较低" if any(f.best == m.best for f in d.found)
                 else "在文中有单独的密点，但依据较弱")
        parts.append(f"另有{m.profile.entry.cite()}“{m.profile.entry.text}”（{m.level}）{where}，"
                     f"未据以提高密级；请定密责任人复核是否应定为{m.level}"
                     + ("（核实该自述是否符合保密事项范围）。" if declared and is_secret(m.level) else "。"))
    if "exceeds_authority" in s.flags:
        parts.append(f"建议密级高于本单位定密权限（{ceiling}），应先行采取保密措施，并立即报请上级机关、单位确定。")
    if "marking_under" in s.flags:
        parts.append(f"文件已标“{s.header.get('marking')}”，低于内容应有的密级。")
    elif "marking_over" in s.flags:
        parts.append(f"文件已标“{s.header.get('marking')}”，高于内容应有的密级（定密应最小化、精准化）。")
    return "".join(parts)


def unclear_report(level: str, header: Header, authority: str | None) -> dict[str, Any]:
    """Where and by when a 不明确事项 must be reported (条例2024 第25条): 绝密 and anything drafted by a
    central organ go to the national 保密行政管理部门, the rest to the provincial one."""
    start = header.date() or dt.date.today()
    national = level == "绝密" or authority == "中央"
    to = "国家保密行政管理部门" if national else "省、自治区、直辖市保密行政管理部门"
    return {"report_to": to, "working_days": 10, "due": _add_working_days(start, 10).isoformat(), "from": start.isoformat()}


def _add_working_days(start: dt.date, days: int) -> dt.date:
    """``days`` working days after ``start``, skipping weekends and statutory holidays (调休 counted)."""
    try:
        from chinese_calendar import is_workday
    except ImportError:  # pragma: no cover - dependency is declared
        def is_workday(d: dt.date) -> bool:
            return d.weekday() < 5
    d = start
    n = 0
    while n < days:
        d += dt.timedelta(days=1)
        try:
            work = is_workday(d)
        except NotImplementedError:  # outside the package's known years
            work = d.weekday() < 5
        if work:
            n += 1
    return d
