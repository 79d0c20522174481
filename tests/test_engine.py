"""The engine's decisions on documents a drafter would write."""

from __future__ import annotations

import datetime as dt

import pytest
from documents import EXAM_BEFORE, EXAM_PUBLISHED, TRAINING_NOTICE

from dingmi.engine import Engine
from dingmi.levels import marking, parse_marking, period_years


def test_exam_papers_before_use_are_secret_with_basis_and_evidence(engine: Engine) -> None:
    s = engine.suggest(EXAM_BEFORE)
    assert s.level == "机密"
    # the entry says “在启用之前的试题”: its own condition is the period (the marking printed on papers)
    assert s.period == "启用前" and s.marking == "机密★启用前"
    assert s.entries[0].id == "edu-06"
    assert "教育工作中国家秘密" in s.rationale and "机密" in s.rationale
    assert s.evidence and all(EXAM_BEFORE[e.start : e.end] == e.text for e in s.evidence)
    assert any("参考答案" in e.text for e in s.evidence)
    assert s.lowering and s.lowering[0].level_after == "非密"
    assert 0 < s.confidence <= 1


def test_same_papers_after_publication_are_not_secret(engine: Engine) -> None:
    s = engine.suggest(EXAM_PUBLISHED)
    assert s.level == "非密" and s.marking == "" and s.period == ""


def test_secrecy_training_notice_is_not_secret(engine: Engine) -> None:
    assert engine.suggest(TRAINING_NOTICE).level == "非密"


def test_entry_period_is_used_where_the_entry_has_one(engine: Engine) -> None:
    text = """某市自然资源和规划局

关于提供城市独立坐标系与2000国家大地坐标系转换参数的函

市测绘院：
　　根据你院申请，现将本市城市独立坐标系与2000国家大地坐标系之间的相互转换参数提供如下：七参数为ΔX=-152.375米、ΔY=86.214米、ΔZ=-47.903米，旋转参数εX=0.8732″、εY=-1.2417″、εZ=0.5526″，尺度参数m=3.218ppm。
　　请严格控制使用范围。

某市自然资源和规划局
2026年3月2日
"""
    s = engine.suggest(text)
    assert s.level == "绝密" and s.entries[0].id == "sm-09"
    assert s.period == "长期" and s.marking == "绝密★长期"


def test_derived_document_follows_source_marking(engine: Engine) -> None:
    text = """某县人力资源和社会保障局

关于转发《2026年度全市中小学教师职称考试命题工作安排》的通知

各乡镇中心学校：
　　现将市人社局《2026年度全市中小学教师职称考试命题工作安排》（某人社〔2026〕4号，秘密★1年）转发给你们，并摘录如下：命题人员于3月2日入闱，地点为市教师发展中心。
　　请严格控制知悉范围。

某县人力资源和社会保障局
2026年2月20日
"""
    s = engine.suggest(text, authority="县级")
    assert "derived" in s.flags
    assert s.level == "秘密" and s.period == "1年" and s.marking == "秘密★1年"
    assert "exceeds_authority" not in s.flags  # 派生定密不受定密权限限制


def test_a_forwarded_source_marks_only_the_document_that_forwards_it(engine: Engine) -> None:
    """派生定密 is read per document: a 秘密 source forwarded by a notice pasted after an exam paper marks that
    notice, and never brings the paper's own 机密 down to the source's level."""
    from documents import EXAM_BEFORE

    alone = engine.suggest(EXAM_BEFORE)
    assert alone.level == "机密"
    s = engine.suggest(EXAM_BEFORE + "\n" + FORWARDING)
    assert (s.level, s.marking) == (alone.level, alone.marking) and "derived" not in s.flags
    assert "derived" in engine.suggest(FORWARDING).flags


FORWARDING = """某县人力资源和社会保障局
关于转发《2026年度全市中小学教师职称考试命题工作安排》的通知
各乡镇中心学校：
　　现将市人社局《2026年度全市中小学教师职称考试命题工作安排》（某人社〔2026〕4号，秘密★1年）转发给你们，并摘录如下：命题人员于3月2日入闱，地点为市教师发展中心。
某县人力资源和社会保障局
2026年2月20日
"""


def test_secret_like_content_without_entry_is_an_unclear_matter(engine: Engine) -> None:
    text = """某市发展和改革委员会

关于全市成品油应急储备动用预案的请示

市政府：
　　为应对可能出现的供应中断，拟定成品油应急储备动用预案如下：储备库位于城北两处，动用顺序和数量按附表执行。本预案按机密级管理，知悉范围限于市政府分管领导和我委主要负责同志，不得复印、拍照。

某市发展和改革委员会
2026年4月7日
"""
    s = engine.suggest(text)
    assert "unclear_matter" in s.flags and "needs_review" in s.flags
    assert s.level == "机密"
    assert s.report is not None and s.report["working_days"] == 10
    # drafted 2026-04-07 (Tue): 10 working days, two weekends skipped
    assert s.report["due"] == "2026-04-21"
    assert s.report["report_to"] == "省、自治区、直辖市保密行政管理部门"
    assert engine.suggest(text, authority="中央").report["report_to"] == "国家保密行政管理部门"
    assert "不明确事项" in s.rationale and "10个工作日" in s.rationale


def test_authority_ceiling_flags_and_rationale(engine: Engine) -> None:
    s = engine.suggest(EXAM_BEFORE, authority="秘密")
    assert "exceeds_authority" in s.flags and "报请上级" in s.rationale
    assert "exceeds_authority" not in engine.suggest(EXAM_BEFORE, authority="省级").flags
    assert "exceeds_authority" in engine.suggest(EXAM_BEFORE, authority="县级").flags


def test_existing_marking_is_compared(engine: Engine) -> None:
    over = engine.suggest("绝密★启用前\n\n" + EXAM_BEFORE)
    assert over.header["marking"] == "绝密★启用前" and "marking_over" in over.flags
    under = engine.suggest("秘密★10年\n\n" + EXAM_BEFORE)
    assert "marking_under" in under.flags
    same = engine.suggest("机密★20年\n\n" + EXAM_BEFORE)
    assert "marking_consistent" in same.flags


def test_internal_matter_is_marked_internal_never_starred(engine: Engine) -> None:
    text = """某市档案局党组会议纪要

　　会议研究了干部调配有关事项。对编研处副处长交流任职的动议进行了讨论，部分同志建议暂缓，会议未作出决定，待征求本人意见后再议。对处长人选进行了内部评议，初步提出两名人选及评议意见。上述事项在作出决定前不得扩散。

2026年9月23日
"""
    s = engine.suggest(text)
    assert s.level == "内部" and s.marking == "内部" and s.period == ""
    assert "★" not in s.marking


def test_traditional_and_full_width_text_keeps_offsets(engine: Engine) -> None:
    trad = EXAM_BEFORE.replace("试卷", "試卷").replace("参考答案", "參考答案").replace("6月20日", "６月２０日")
    s = engine.suggest(trad)
    assert s.level == "机密"
    assert all(trad[e.start : e.end] == e.text for e in s.evidence)


@pytest.mark.parametrize("text", ["", "   \n\n", "★★★", "机密", "\x00\x01"])
def test_degenerate_text_gives_a_clear_result(engine: Engine, text: str) -> None:
    s = engine.suggest(text)
    assert s.level in ("非密", "内部", "秘密", "机密", "绝密")
    assert s.to_dict()["flags"] is not None


def test_ten_megabytes_of_text_is_handled(engine: Engine) -> None:
    big = (EXAM_PUBLISHED * 20000)[: 10_000_000]
    s = engine.suggest(big)
    assert s.level == "非密"


def test_markings_and_periods() -> None:
    assert marking("机密", "20年") == "机密★20年"
    assert marking("内部", "") == "内部" and marking("非密", "") == ""
    m = parse_marking("秘密★6个月")
    assert m is not None and m.level == "秘密" and m.period == "6个月"
    assert period_years("6个月") == 0.5 and period_years("长期") is None


def test_a_document_takes_the_longest_period_of_its_matters() -> None:
    """最高密级、最长保密期限: 长期 over years, more years over fewer, years over an event condition, and of
    an exam's stages the latest."""
    from dingmi.levels import longest_period

    assert longest_period(["启用前", "考试结束前"]) == "考试结束前"
    assert longest_period(["考试结束前", "成绩处理完毕前", "启用前"]) == "成绩处理完毕前"
    assert longest_period(["20年", "长期", "10年"]) == "长期"
    assert longest_period(["6个月", "1年"]) == "1年"
    assert longest_period(["启用前", "10年", ""]) == "10年"
    assert longest_period(["", ""]) == ""


def test_evidence_is_the_passages_with_concrete_content_not_the_lines_around_them(engine: Engine) -> None:
    """Beside the passage that details the papers, the addressee and the signing organ name nothing."""
    text = ("关于2026年中考试卷印制交接工作的通知\n各县（区）教育局：\n"
            "语文、数学、英语等科目正式卷和备用卷已完成终审，参考答案和评分标准同步定稿，定于6月5日交保密印刷厂印制。\n"
            "×市教育局\n2026年5月28日\n")
    s = engine.suggest(text)
    assert s.level in ("绝密", "机密", "秘密")
    assert [e.text for e in s.evidence] == [text.splitlines()[2]]


def test_a_level_only_suggestion_skips_the_lowering_recheck(engine: Engine) -> None:
    """``lowering=False`` (a declassification review's reading under an earlier catalog) gives the same
    level, marking and evidence, without lowering advice."""
    full, plain = engine.suggest(EXAM_BEFORE), engine.suggest(EXAM_BEFORE, lowering=False)
    assert full.lowering and plain.lowering == []
    assert (plain.level, plain.marking, plain.evidence) == (full.level, full.marking, full.evidence)
