"""Catalog loading: validation errors name file, line and field; organisation catalogs match at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dingmi.catalog import default_catalog_path, load_catalogs, load_default
from dingmi.engine import load_engine
from dingmi.errors import CatalogError


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def _entry(**kw: str) -> dict:
    base = {"id": "rw-01", "regulation": "铁路工作国家秘密范围的规定", "domain": "铁路", "item": "第三条（一）",
            "text": "军事运输计划、军列开行方案及其运行时刻", "level": "机密", "period": ""}
    base.update(kw)
    return base


def test_reference_catalog_loads_with_ids_and_version() -> None:
    cat = load_default()
    assert len(cat) == 92
    assert cat["edu-01"].level == "绝密"
    assert cat.version.startswith("reference@")


def test_unknown_level_names_file_line_and_field(tmp_path: Path) -> None:
    bad = _write(tmp_path / "org.jsonl", [_entry(), _entry(id="rw-02", level="特密")])
    with pytest.raises(CatalogError) as err:
        load_catalogs([bad])
    msg = str(err.value)
    assert "org.jsonl" in msg and "第2行" in msg and "level" in msg and "特密" in msg


def test_missing_field_and_bad_json_are_errors_not_skips(tmp_path: Path) -> None:
    missing = _write(tmp_path / "a.jsonl", [{k: v for k, v in _entry().items() if k != "text"}])
    with pytest.raises(CatalogError, match="text"):
        load_catalogs([missing])
    broken = tmp_path / "b.jsonl"
    broken.write_text(json.dumps(_entry(), ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="第2行"):
        load_catalogs([broken])


def test_duplicate_id_across_catalogs_is_refused(tmp_path: Path) -> None:
    clash = _write(tmp_path / "c.jsonl", [_entry(id="edu-01")])
    with pytest.raises(CatalogError, match="edu-01"):
        load_catalogs([default_catalog_path(), clash])


def test_internal_entry_with_period_is_refused(tmp_path: Path) -> None:
    bad = _write(tmp_path / "d.jsonl", [_entry(level="内部", period="10年")])
    with pytest.raises(CatalogError, match="period"):
        load_catalogs([bad])


RAIL_DOC = """某铁路局集团公司

关于做好2026年夏季军事运输保障工作的通知

各站段：
　　根据上级下达的军事运输计划，7月12日至15日开行军列3列，军列开行方案已经审定，运行时刻如下：X1次22时05分由北站始发，途经东站、河口站，次日3时40分到达终点站。
　　请各站段按方案做好保障，相关运行时刻不得扩散。

某铁路局集团公司
2026年7月1日
"""


def test_organisation_catalog_entry_matches_without_retraining(tmp_path: Path) -> None:
    org = _write(tmp_path / "rail.jsonl", [_entry()])
    without = load_engine()
    with_org = load_engine([org])
    assert "rw-01" not in [e.id for e in without.suggest(RAIL_DOC).entries]
    s = with_org.suggest(RAIL_DOC)
    assert s.entries[0].id == "rw-01"
    assert s.level == "机密" and s.marking == "机密★20年"
    assert "rail@" in s.catalog_version


def test_entries_of_all_catalogs_compete(tmp_path: Path) -> None:
    from documents import EXAM_BEFORE

    org = _write(tmp_path / "edu_org.jsonl", [_entry(id="org-01", domain="教育", level="秘密",
                                                       text="省级统一考试在启用之前的试卷印制和交接安排")])
    s = load_engine([org]).suggest(EXAM_BEFORE)
    ids = [e.id for e in s.entries]
    assert "org-01" in ids[:3] and "edu-06" in ids[:3]
    assert s.level == "机密"  # the highest matter found decides


def test_a_large_catalog_scores_at_most_the_best_covered_entries(tmp_path: Path) -> None:
    """Thousands of entries sharing generic words: only MAX_CANDIDATES are scored, the best-covered kept."""
    from dingmi.matcher import MAX_CANDIDATES

    rows = [_entry(id=f"org-{i:03d}", regulation="某系统工作国家秘密范围的规定", item=f"{i}.",
                   text=f"第{i}类专项工作中尚未公布的统计数据和工作方案", level="秘密") for i in range(MAX_CANDIDATES + 40)]
    rows.append(_entry(id="org-exam", regulation="某系统工作国家秘密范围的规定", item="考试",
                       text="全省统一考试在启用之前的试题、参考答案和评分标准", level="机密"))
    engine = load_engine([_write(tmp_path / "big.jsonl", rows)])
    text = ("关于全省统一考试试题、参考答案和评分标准交接的通知\n各市：\n一、数学第3题参考答案为B，评分标准为每空2分。"
            "\n二、尚未公布的统计数据和工作方案另行通知。\n")
    matches = engine.analyse(text).matches
    assert 0 < len(matches) <= MAX_CANDIDATES
    assert matches[0].entry_id == "org-exam"
    assert engine.suggest(text).level == "机密"


def test_head_nouns_come_from_the_entry_grammar(tmp_path: Path) -> None:
    """The matter an entry names: the nouns after its last 的; where that is generic (的有关情况, 的部分), the
    的-phrase itself, with a part after 及其 referring back; a harm statement or a bare …的 names none."""
    rows = [
        _entry(id="t-01", text="省级统一考试在启用之前的试题(包括副题)、参考答案和评分标准"),
        _entry(id="t-02", text="全国、省级和地区(市)级统一考试命题工作及参与人员的有关情况"),
        _entry(id="t-03", text="各类职称统一考试命题工作及其人员的有关情况"),
        _entry(id="t-04", text="历史档案及其编研材料中涉及个人隐私的部分", level="内部"),
        _entry(id="t-05", text="泄露后会对国家安全造成严重损害的部分"),
        _entry(id="t-06", text="公开或泄露会对国家重要军事设施的安全造成严重威胁的"),
    ]
    engine = load_engine([_write(tmp_path / "org.jsonl", rows)])
    heads = {p.entry.id: p.head for p in engine.matcher.profiles if p.entry.id.startswith("t-")}
    assert heads["t-01"] == {"试题", "参考答案", "评分标准"}
    assert heads["t-02"] == {"命题", "人员"}  # 全国、省级和地区级 are modifiers, not coordinated matters
    assert heads["t-03"] == {"命题"}
    assert heads["t-04"] == {"个人隐私"}
    assert heads["t-05"] == frozenset() and heads["t-06"] == frozenset()


def test_a_work_secret_is_not_credited_in_a_duty_sentence_that_names_it(tmp_path: Path) -> None:
    """A 内部 entry counts where a passage states the deliberation itself, not where a duty (不得透露…)
    names it."""
    org = _write(tmp_path / "org.jsonl", [_entry(id="w-01", level="内部", text="行政执法案件集体讨论记录和初步处理意见")])
    engine = load_engine([org])
    head = "某市市场监管局\n关于近期执法工作的通知\n各科室：\n"
    duty = engine.suggest(head + "行政执法集体讨论记录和初步处理意见不得对外透露，不得擅自复制。\n某市市场监管局\n2026年3月2日\n")
    stated = engine.suggest(head + "3月1日行政执法集体讨论记录：初步处理意见为对甲公司罚款12万元，对乙公司不予处罚。\n某市市场监管局\n2026年3月2日\n")
    assert stated.level == "内部" and stated.entries[0].id == "w-01"
    assert duty.level == "非密"
