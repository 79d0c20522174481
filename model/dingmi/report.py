"""A readable Chinese report of a suggestion for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from dingmi.suggestion import Suggestion

FLAG_TEXT = {
    "needs_review": "置信度较低，请定密责任人重点审核",
    "unclear_matter": "不明确事项：先行拟定密级并采取保密措施，10个工作日内报保密行政管理部门确定",
    "conflict": "不同领域的条目给出不同密级，已按最高密级建议，请审核",
    "derived": "派生定密：密级和期限随所转发或摘录的原件",
    "marking_consistent": "文件已有标志与内容相符",
    "marking_under": "文件已有标志低于内容应有的密级",
    "marking_over": "文件已有标志高于内容应有的密级",
    "exceeds_authority": "超出定密权限：先行采取保密措施，报请上级机关、单位确定",
}


def render(s: Suggestion, text: str, console: Console) -> None:
    """Print level, marking, basis, evidence in context and how to lower the level."""
    head = Text()
    head.append("密级建议：", style="bold")
    head.append(s.level, style="bold red" if s.level in ("绝密", "机密", "秘密") else "bold")
    if s.marking:
        head.append("    标志（版心左上角第二行）：", style="bold")
        head.append(s.marking, style="bold")
    head.append(f"    置信度：{s.confidence:.2f}")
    console.print(head)
    if s.entries:
        console.print("候选条目：" + "；".join(f"{e.id}（{e.level}，{e.score:.2f}）" for e in s.entries[:3]))
    console.print(Text("理由：", style="bold") + Text(s.rationale))
    if s.evidence:
        console.print(Text("密点：", style="bold"))
        for i, ev in enumerate(s.evidence, 1):
            console.print(Text(f"  [{i}] 第{ev.start}–{ev.end}字（{ev.entry_id}）：") + Text(ev.text, style="reverse"))
    for low in s.lowering:
        console.print(Text("降密建议：", style="bold") + Text(low.advice))
    if s.report:
        console.print(Text("报送：", style="bold") + Text(f"{s.report['report_to']}，期限 {s.report['due']} 前（{s.report['working_days']}个工作日）"))
    for flag in s.flags:
        console.print(f"提示：{FLAG_TEXT.get(flag, flag)}")
    console.print(f"[dim]模型 {s.model_version}；目录 {s.catalog_version}。本结果为承办人拟定意见的参考，须经定密责任人审核批准。[/dim]")
