"""GB/T 9704 header recognition."""

from __future__ import annotations

from dingmi.header import parse_header

DOC = """000123
机密★20年
特急

某省教育厅

某教发〔2026〕7号

关于做好2026年全省学业水平考试考务工作的通知

各市教育局：
　　正文。

某省教育厅
二〇二六年三月五日
"""


def test_header_fields_are_read() -> None:
    h = parse_header(DOC)
    assert h.copy_number == "000123"
    assert (h.marking, h.marking_level, h.marking_period) == ("机密★20年", "机密", "20年")
    assert h.marking_span is not None and DOC[h.marking_span[0] : h.marking_span[1]] == "机密★20年"
    assert h.urgency == "特急"
    assert h.doc_number == "某教发〔2026〕7号"
    assert h.title == "关于做好2026年全省学业水平考试考务工作的通知"
    assert h.issue_date == "2026-03-05"


def test_no_header_gives_empty_fields() -> None:
    h = parse_header("一段没有版头的文字。")
    assert h.marking == "" and h.existing() is None and h.issue_date == ""
