"""Quantity bounds read from an entry's own wording, checked against the figures a document gives."""

from pathlib import Path

from dingmi.engine import load_engine
from dingmi.thresholds import entry_thresholds, figures, meets


def test_bounds_are_read_from_the_entry_text_in_base_units() -> None:
    assert entry_thresholds("500千伏及以上变电站的安全保卫方案") == ((">=", 500.0, "千伏"),)
    assert entry_thresholds("电煤库存可用天数低于7天的电厂名单") == (("<", 7.0, "天"),)
    assert entry_thresholds("涉案货值1亿元以上或者偷逃税款3000万元以上的专案") == (
        (">=", 3e7, "元"), (">=", 1e8, "元"))
    assert entry_thresholds("构成环线或者线路长度超过1000m的水准网成果") == ((">", 1000.0, "米"),)
    # areas, scales and dates have qualifiers of their own or are not quantities
    assert entry_thresholds("连续覆盖范围超过25平方千米的大于1:5千的地形图") == ()


def test_document_figures_exclude_dates_and_scales() -> None:
    found = figures("6月30日前上报。电煤可用5天，存煤12万吨，1:1万地形图，线路总长236.4千米")
    assert found == {"天": [5.0], "千克": [1.2e8], "米": [236400.0]}


def test_meets_tells_met_missed_and_unknown() -> None:
    bound = (("<", 7.0, "天"),)
    assert meets(bound, figures("可用5天")) is True
    assert meets(bound, figures("可用12天")) is False
    assert meets(bound, figures("库存充足")) is None


def test_a_figure_short_of_the_bound_is_not_the_matter(tmp_path: Path) -> None:
    catalog = tmp_path / "power.jsonl"
    catalog.write_text(
        '{"id": "pw-x", "regulation": "电力工作国家秘密范围的规定", "domain": "电力", "item": "1", '
        '"text": "电煤库存可用天数低于7天的统调燃煤电厂名单及其库存数据", "level": "秘密", "period": ""}\n',
        encoding="utf-8")
    engine = load_engine([catalog], expert_edits=False)
    doc = ("关于统调燃煤电厂电煤库存情况的通报\n各电厂：\n截至11月20日，全省统调燃煤电厂电煤库存如下：\n"
           "华港电厂库存{a}万吨，可用{d}天；\n东岭电厂库存{b}万吨，可用{d}天。\n")
    low = engine.analyse(doc.format(a=3.1, b=2.4, d=5)).matches
    high = engine.analyse(doc.format(a=31, b=24, d=15)).matches
    score = {m.entry_id: m.rule_score for m in low}
    assert score.get("pw-x", 0.0) > 3 * next((m.rule_score for m in high if m.entry_id == "pw-x"), 0.0)
