"""report.html: one self-contained page (inline CSS and SVG, no scripts, no external assets).

Counts by level, by domain and by entry; marking inconsistencies; unclear matters; errors;
for a declassification review the counts and lists by ``declass_status``; and a file list
the other sections link to. Every piece of text is escaped. Evidence text is not shown:
the report names files, levels and entries only.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dingmi.catalog import Catalog
from dingmi.levels import LEVELS
from dingmi.scan.declass import STATUS_LABELS, STATUSES
from dingmi.scan.worker import matched_entries

__all__ = ["ReportBuilder", "bar_chart"]

MAX_FILE_LIST = 50_000  # beyond this the file list points to results.csv
_LEVEL_COLORS = {"绝密": "#8b1a1a", "机密": "#c0392b", "秘密": "#e67e22", "内部": "#7f8c8d", "非密": "#27ae60"}
_STATUS_COLORS = {
    "expired": "#27ae60", "expiring": "#e67e22", "long_term": "#8e44ad", "condition": "#2980b9",
    "changed_catalog": "#c0392b", "inconsistent": "#d35400", "in_force": "#7f8c8d", "unmarked": "#95a5a6",
}
_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.5;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top;word-break:break-all}
th{background:#f4f4f4}.num{text-align:right;white-space:nowrap}.muted{color:#777}
.cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:8em}
.card b{display:block;font-size:1.5em}nav a{margin-right:1em}svg text{font-size:12px}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _label_px(text: str) -> int:
    """Approximate width in pixels of a 12px label (CJK and full-width forms count double)."""
    return sum(12 if ord(ch) > 0x2E7F else 7 for ch in text)


def file_format(row: dict[str, Any]) -> str:
    """A row's format: as read (``text_source``, OCR marked), else the file's suffix."""
    source = row.get("text_source")
    if isinstance(source, dict) and source.get("format"):
        return f"{source['format']}（OCR）" if source.get("ocr") else str(source["format"])
    name = str(row.get("path", "")).rsplit("!", 1)[-1].rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else "（无扩展名）"


def bar_chart(items: list[tuple[str, int]], colors: dict[str, str] | None = None, *, width: int = 720,
              label_width: int | None = None, title: str = "") -> str:
    """A horizontal bar chart as inline SVG; labels are escaped, shortened and never clipped."""
    if not items:
        return '<p class="muted">（无）</p>'
    if label_width is None:
        longest = max(_label_px(lb if len(lb) <= 22 else lb[:21] + "…") for lb, _ in items)
        label_width = max(120, longest + 16)
        width = max(width, label_width + 300)
    bar, gap = 18, 6
    height = len(items) * (bar + gap) + gap
    top = max(count for _, count in items) or 1
    span = width - label_width - 60
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
              f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">')]
    for i, (label, count) in enumerate(items):
        y = gap + i * (bar + gap)
        w = max(1, round(span * count / top)) if count else 0
        short = label if len(label) <= 22 else label[:21] + "…"
        color = (colors or {}).get(label, "#3b6ea5")
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar - 5}" text-anchor="end"><title>{_e(label)}</title>{_e(short)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{w}" height="{bar}" fill="{_e(color)}"/>'
            f'<text x="{label_width + w + 6}" y="{y + bar - 5}">{count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass
class _File:
    index: int
    path: str
    level: str
    marking: str
    existing: str
    confidence: str
    note: str


@dataclass
class ReportBuilder:
    """Collects what the report shows, one row at a time, then renders the page."""

    kind: str  # "scan" | "declass"
    catalog: Catalog | None = None
    total: int = 0
    ok: int = 0
    bytes: int = 0
    needs_review: int = 0
    by_level: Counter[str] = field(default_factory=Counter)
    by_domain: Counter[str] = field(default_factory=Counter)
    by_entry: Counter[str] = field(default_factory=Counter)
    by_code: Counter[str] = field(default_factory=Counter)
    by_format: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    under: list[tuple[int, str, str, str]] = field(default_factory=list)
    over: list[tuple[int, str, str, str]] = field(default_factory=list)
    unclear: list[tuple[int, str, str]] = field(default_factory=list)
    errors: list[tuple[int, str, str, str]] = field(default_factory=list)
    by_status_rows: dict[str, list[tuple[int, str, str, str, str]]] = field(default_factory=dict)
    files: list[_File] = field(default_factory=list)

    def add(self, row: dict[str, Any]) -> None:
        """Count one result row."""
        self.total += 1
        index, path = self.total, str(row.get("path", ""))
        if row.get("sha256"):  # bytes actually read: refused entries (bombs) count nothing
            self.bytes += int(row.get("size") or 0)
        existing = str(row.get("existing_marking") or "")
        self.by_format[file_format(row)] += 1
        if row.get("code"):
            self.by_code[str(row["code"])] += 1
            self.errors.append((index, path, str(row["code"]), str(row.get("error", ""))))
            level = marking = confidence = ""
            note = f"错误 {row['code']}"
        else:
            self.ok += 1
            level = str(row.get("level", ""))
            marking = str(row.get("marking") or level)  # 非密 has no marking: show the level
            confidence = f"{float(row.get('confidence') or 0):.2f}"
            flags = row.get("flags") or []
            self.by_level[level] += 1
            self.needs_review += "needs_review" in flags
            ids = matched_entries(row) if level != "非密" else []
            if ids:
                self.by_entry[ids[0]] += 1
                entry = self.catalog[ids[0]] if self.catalog is not None and ids[0] in self.catalog else None
                self.by_domain[entry.domain if entry else "（目录外条目）"] += 1
            else:
                self.by_domain["（未对应任何事项）"] += 1
            if "marking_under" in flags:
                self.under.append((index, path, existing, marking))
            if "marking_over" in flags:
                self.over.append((index, path, existing, marking))
            if "unclear_matter" in flags:
                self.unclear.append((index, path, level))
            note = "、".join(f for f in flags if f in ("needs_review", "unclear_matter", "higher_level_candidate", "declared_not_secret", "classifier_disagrees", "weak_match", "marking_under", "marking_over"))
        if self.kind == "declass" and row.get("declass_status"):
            status = str(row["declass_status"])
            self.by_status[status] += 1
            self.by_status_rows.setdefault(status, []).append(
                (index, path, existing, str(row.get("expiry_date", "")), str(row.get("declass_reason", "")))
            )
            note = STATUS_LABELS.get(status, status)
        if len(self.files) < MAX_FILE_LIST:
            self.files.append(_File(index, path, level, marking, existing, confidence, note))

    # ------------------------------------------------------------ rendering
    def _link(self, index: int, path: str) -> str:
        if index <= MAX_FILE_LIST:
            return f'<a href="#f{index}">{_e(path)}</a>'
        return _e(path)

    def _table(self, headers: list[str], rows: list[list[str]]) -> str:
        if not rows:
            return '<p class="muted">（无）</p>'
        head = "".join(f"<th>{_e(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def _entry_label(self, entry_id: str) -> tuple[str, str, str]:
        if self.catalog is not None and entry_id in self.catalog:
            e = self.catalog[entry_id]
            return e.domain, e.cite(), e.level
        return "", "", ""

    def render(self, *, title: str, root: str, catalog_version: str, generated: str,
               previous_version: str = "", as_of: str = "", within: int | None = None) -> str:
        """The whole page."""
        out = [(f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(title)}</title>'
                f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>")]
        info = [f"扫描路径：{_e(root)}", f"目录版本：{_e(catalog_version)}", f"生成时间：{_e(generated)}"]
        if previous_version:
            info.append(f"对照的旧目录版本：{_e(previous_version)}")
        if as_of:
            info.append(f"审查日期：{_e(as_of)}，到期提醒：{_e(within)}天内")
        out.append('<p class="muted">' + "<br>".join(info) + "</p>")
        out.append('<p>完整结果：<a href="results.csv">results.csv</a>（表格软件可直接打开）'
                   '　<a href="results.jsonl">results.jsonl</a>　<a href="#files">文件清单</a></p>')
        cards = [("文件总数", self.total), ("已分析", self.ok), ("错误", self.total - self.ok),
                 ("已读取数据量", f"{self.bytes / 1024 / 1024:.1f} MB"), ("需重点审核", self.needs_review)]
        out.append('<div class="cards">' + "".join(f'<div class="card">{_e(k)}<b>{_e(v)}</b></div>' for k, v in cards)
                   + "</div>")
        if self.kind == "declass":
            out.append(self._declass_sections())
        out.append(self._scan_sections())
        out.append(self._errors_section())
        out.append(self._file_list())
        out.append('<p class="muted">本报告为定密辅助工具的建议，由定密责任人审核确定。</p></body></html>')
        return "".join(out)

    def _declass_sections(self) -> str:
        out = ["<h2>解密审查结果</h2>"]
        items = [(STATUS_LABELS[s], self.by_status.get(s, 0)) for s in STATUSES]
        colors = {STATUS_LABELS[s]: c for s, c in _STATUS_COLORS.items()}
        out.append(bar_chart(items, colors, title="按审查结论统计"))
        out.append(self._table(["结论", "代码", "文件数"],
                               [[_e(STATUS_LABELS[s]), _e(s), str(self.by_status.get(s, 0))] for s in STATUSES]))
        for status in ("expired", "expiring", "changed_catalog", "inconsistent", "long_term", "condition"):
            rows = self.by_status_rows.get(status, [])
            if status in ("expired", "expiring"):
                rows = sorted(rows, key=lambda r: (r[3], r[1]))
            out.append(f'<h2 id="s-{status}">{_e(STATUS_LABELS[status])}（{len(rows)}）</h2>')
            out.append(self._table(["文件", "现有标志", "届满日", "说明"],
                                   [[self._link(i, p), _e(m), _e(d), _e(r)] for i, p, m, d, r in rows]))
        return "".join(out)

    def _scan_sections(self) -> str:
        out = ["<h2>按文件格式统计</h2>", bar_chart(self.by_format.most_common(), title="按文件格式统计"),
               "<h2>按建议密级统计</h2>"]
        order = [lv for lv in reversed(LEVELS)]
        out.append(bar_chart([(lv, self.by_level.get(lv, 0)) for lv in order], _LEVEL_COLORS, title="按密级统计"))
        out.append("<h2>按领域统计</h2>")
        out.append(bar_chart(self.by_domain.most_common(), title="按领域统计"))
        out.append("<h2>按保密事项（条目）统计</h2>")
        entries = self.by_entry.most_common()
        out.append(bar_chart(entries[:30], title="按条目统计"))
        rows = []
        for entry_id, count in entries:
            domain, cite, level = self._entry_label(entry_id)
            rows.append([_e(entry_id), _e(domain), _e(cite), _e(level), str(count)])
        out.append(self._table(["条目", "领域", "依据", "条目密级", "文件数"], rows))
        out.append(f"<h2>标志与内容不符：标志偏低（{len(self.under)}）</h2>")
        out.append(self._table(["文件", "现有标志", "建议标志"],
                               [[self._link(i, p), _e(a), _e(b)] for i, p, a, b in self.under]))
        out.append(f"<h2>标志与内容不符：标志偏高（{len(self.over)}）</h2>")
        out.append(self._table(["文件", "现有标志", "建议标志"],
                               [[self._link(i, p), _e(a), _e(b)] for i, p, a, b in self.over]))
        out.append(f"<h2>不明确事项（{len(self.unclear)}）</h2>")
        out.append('<p class="muted">先行拟定密级并采取保密措施，10个工作日内报保密行政管理部门确定。</p>')
        out.append(self._table(["文件", "拟定密级"], [[self._link(i, p), _e(lv)] for i, p, lv in self.unclear]))
        return "".join(out)

    def _errors_section(self) -> str:
        out = [f"<h2>无法处理的文件（{len(self.errors)}）</h2>"]
        out.append(bar_chart(sorted(self.by_code.items()), title="按错误代码统计"))
        out.append(self._table(["文件", "代码", "原因"],
                               [[self._link(i, p), _e(c), _e(r)] for i, p, c, r in self.errors]))
        return "".join(out)

    def _file_list(self) -> str:
        out = [f'<h2 id="files">文件清单（{self.total}）</h2>']
        if self.total > len(self.files):
            out.append(f'<p class="muted">仅列出前{len(self.files)}个文件，完整清单见 results.csv。</p>')
        head = "".join(f"<th>{h}</th>" for h in ("序号", "文件", "建议密级", "建议标志", "现有标志", "置信度", "提示"))
        body = "".join(
            f'<tr id="f{f.index}"><td class="num">{f.index}</td><td>{_e(f.path)}</td><td>{_e(f.level)}</td>'
            f"<td>{_e(f.marking)}</td><td>{_e(f.existing)}</td><td class=\"num\">{_e(f.confidence)}</td>"
            f"<td>{_e(f.note)}</td></tr>"
            for f in self.files
        )
        out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        return "".join(out)

