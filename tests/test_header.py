"""GB/T 9704 header recognition on realistic 公文 layouts: each element only where the standard prints it."""

from __future__ import annotations

import pytest

from dingmi.header import parse_header

FULL = """000123
机密★20年
特急

某省教育厅文件

某教发〔2026〕7号

关于做好2026年全省学业水平考试
考务工作的通知

各市教育局：
　　根据《某省教育考试管理办法》（2012年5月1日起施行），现就考务工作通知如下。
　　一、考试定于6月20日至21日举行。

附件：1．考点设置方案
　　　2．考务日程安排

某省教育厅
二〇二六年三月五日

附件1

考点设置方案

　　本方案自2026年4月1日起执行。
　　各考点于2026年5月10日前完成验收。

抄送：省教育考试院。
某省教育厅办公室　　　　　　　　2026年3月6日印发
"""

# the issue's case: the 附件 mentions an older date; the 成文日期 is the 落款 above it
SIGNED_ABOVE_ATTACHMENT = "秘密★10年\n某市保密局\n关于做好保密检查工作的通知\n各单位：\n　　现将检查要求通知如下。\n\n某市保密局\n2017年6月1日\n\n附件\n\n保密管理规定\n" + "".join(
    f"　　第{n}条　本规定自2012年5月1日起施行，各单位遵照执行。\n" for n in "一二三四五六七八九十"
)

UNMARKED_TITLE = """某市国家保密局
关于严防泄露国家秘密
的通知
各单位：
　　近期发生多起泄密事件，现将有关要求通知如下。
某市国家保密局
2026年9月1日
"""

SECTION_HEADING = """关于国家秘密和工作秘密区别的说明
各科室：
一、国家秘密
　　国家秘密是关系国家安全和利益的事项。
二、工作秘密
　　工作秘密不是国家秘密。
某局办公室
2026年2月3日
"""

WORK_SECRET_TITLE = """某市财政局
关于加强工作秘密管理的通知
各科室：
　　请做好工作秘密管理。
某市财政局
2026年2月3日
"""

BARE_WORK_SECRET = """工作秘密
某市财政局
关于预算编制口径的通知
各科室：
　　预算编制口径如下。
某市财政局
2026年2月3日
"""

SPACED_PERIOD = """000042
秘密★10 年
某县人民政府
关于某事项的批复
某局：
　　同意。
某县人民政府
2016年11月27日
"""

# item 20: a 招标 notice — the 获取招标文件 date is body text; the 落款 carries the date
TENDER = """××市公共资源交易中心

××采〔2026〕15号

××市第一人民医院医疗设备采购项目招标公告

　　一、项目名称：医疗设备采购。
　　二、获取招标文件时间：2026年3月10日至2026年3月17日。
　　三、投标截止时间：2026年3月31日9时30分。

××市公共资源交易中心
2026年3月9日
（联系人：王某，电话：0000-1234567）
"""

TENDER_UNSIGNED = TENDER.replace("××市公共资源交易中心\n2026年3月9日\n", "")

# the organ line is followed by a blank line and the title carries no document-type word
ORGAN_BLANK_TITLE = """某县统计局


2026年一季度全县主要经济指标

县委、县政府：
　　现将一季度主要经济指标报告如下。
某县统计局
2026年4月8日
"""

UPWARD = """东滨省教育考试院

东教考〔2026〕24号　　　　　　　　签发人：许建国

东滨省教育考试院关于2026年普通高校专升本统一考试命题工作情况的报告

省教育厅：
　　现将命题工作情况报告如下。

东滨省教育考试院
2026年4月2日

————————————————
东滨省教育考试院办公室　　　　　　　　2026年4月3日印发
"""

MINUTES = """北岚省人民政府办公厅
专题会议纪要〔2026〕64号
省能源安全保障工作专题会议纪要
　　9月20日，副省长主持召开专题会议。现纪要如下。
　　一、会议议定2026年储备方案。
出席：许立平、钱卫东
北岚省人民政府办公厅　　2026年9月24日印发
"""

BRIEFING = """人事考试工作简报
第12期
东滨省人事考试院办公室编　　　　　　　　　　　　2026年6月30日
● 全国卫生专业技术资格考试我省初步成绩情况
　　考试于5月18日举行，共有1.2万人参加。
报：省人力资源和社会保障厅领导
送：厅有关处室
"""

LATE_SIGNATURE = """中共河阳市委保密委员会
河保委〔2026〕3号
关于开展2026年保密宣传教育月活动的通知
各单位：
　　现将活动安排通知如下。
附件：保密宣传教育月活动安排表

附件

保密宣传教育月活动安排表
5月6日\t宣传月启动仪式

　　　　　　中共河阳市委保密委员会
　　　　　　2026年4月22日

————————————————
中共河阳市委保密委员会办公室　　　　　　　　2026年4月22日印发
"""

HEADER_CASES = [
    # name, text, marking, period, doc number, title, issue date
    ("full layout", FULL, "机密★20年", "20年", "某教发〔2026〕7号", "关于做好2026年全省学业水平考试考务工作的通知", "2026-03-05"),
    ("signed above attachment", SIGNED_ABOVE_ATTACHMENT, "秘密★10年", "10年", "", "关于做好保密检查工作的通知", "2017-06-01"),
    ("title mentions 国家秘密", UNMARKED_TITLE, "", "", "", "关于严防泄露国家秘密的通知", "2026-09-01"),
    ("section heading 一、国家秘密", SECTION_HEADING, "", "", "", "关于国家秘密和工作秘密区别的说明", "2026-02-03"),
    ("title mentions 工作秘密", WORK_SECRET_TITLE, "", "", "", "关于加强工作秘密管理的通知", "2026-02-03"),
    ("bare 工作秘密 line", BARE_WORK_SECRET, "工作秘密", "", "", "关于预算编制口径的通知", "2026-02-03"),
    ("秘密★10 年", SPACED_PERIOD, "秘密★10年", "10年", "", "关于某事项的批复", "2016-11-27"),
    ("tender notice", TENDER, "", "", "××采〔2026〕15号", "××市第一人民医院医疗设备采购项目招标公告", "2026-03-09"),
    ("tender without 落款", TENDER_UNSIGNED, "", "", "××采〔2026〕15号", "××市第一人民医院医疗设备采购项目招标公告", ""),
    ("organ, blank line, title", ORGAN_BLANK_TITLE, "", "", "", "2026年一季度全县主要经济指标", "2026-04-08"),
    ("upward with 签发人", UPWARD, "", "", "东教考〔2026〕24号", "东滨省教育考试院关于2026年普通高校专升本统一考试命题工作情况的报告",
     "2026-04-02"),
    ("minutes without 落款", MINUTES, "", "", "专题会议纪要〔2026〕64号", "省能源安全保障工作专题会议纪要", ""),
    ("briefing dated in its 版头", BRIEFING, "", "", "", "人事考试工作简报", "2026-06-30"),
    ("落款 after the 附件", LATE_SIGNATURE, "", "", "河保委〔2026〕3号", "关于开展2026年保密宣传教育月活动的通知", "2026-04-22"),
]


@pytest.mark.parametrize(("name", "text", "marking", "period", "doc_no", "title", "issued"), HEADER_CASES,
                         ids=[c[0] for c in HEADER_CASES])
def test_when_layout_is_realistic_then_each_element_is_read_where_printed(name, text, marking, period, doc_no, title,
                                                                         issued) -> None:
    h = parse_header(text)
    assert (h.marking, h.marking_period) == (marking, period)
    assert h.doc_number == doc_no
    assert h.title == title
    assert h.issue_date == issued


def test_when_full_layout_then_version_head_and_spans_are_read() -> None:
    h = parse_header(FULL)
    assert (h.copy_number, h.urgency, h.marking_level) == ("000123", "特急", "机密")
    assert h.marking_span is not None and FULL[h.marking_span[0]:h.marking_span[1]] == "机密★20年"
    assert h.issue_date_span is not None and FULL[h.issue_date_span[0]:h.issue_date_span[1]] == "二〇二六年三月五日"
    assert h.print_date == "2026-03-06"  # the 版记's 印发日期 is kept apart from the 成文日期


def test_when_spaced_period_then_span_covers_the_printed_text() -> None:
    h = parse_header(SPACED_PERIOD)
    assert SPACED_PERIOD[h.marking_span[0]:h.marking_span[1]] == "秘密★10 年"


def test_when_document_is_huge_then_issue_date_never_comes_from_mid_file() -> None:
    body = "".join(f"　　第{i}项工作已于2012年5月{i % 28 + 1}日完成。\n" for i in range(20_000))
    head = "秘密★10年\n某局\n关于年度工作情况的报告\n某厅：\n"
    assert parse_header(head + body + "某局\n2017年6月1日\n").issue_date == "2017-06-01"
    assert parse_header(head + body).issue_date == ""


def test_when_title_hint_given_then_it_wins() -> None:
    assert parse_header(FULL, "给定标题").title == "给定标题"


def test_no_header_gives_empty_fields() -> None:
    h = parse_header("一段没有版头的文字。")
    assert h.marking == "" and h.existing() is None and h.issue_date == "" and h.title == ""
