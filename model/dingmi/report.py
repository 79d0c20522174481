"""A readable Chinese report of a suggestion for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from dingmi.explain import FLAG_TEXT
from dingmi.suggestion import Suggestion


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
