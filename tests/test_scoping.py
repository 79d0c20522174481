"""What a publication note governs, and what the learned layer may add on its own."""

from types import SimpleNamespace

from dingmi.engine import _matters, load_engine
from dingmi.header import parse_header
from dingmi.qualifiers import SectionState, doc_state
from dingmi.text import normalize


def _section(text: str) -> SectionState:
    norm = normalize(text)
    header = parse_header(text, "")
    return SectionState(norm, header, doc_state(norm, header))


def test_a_map_approval_number_publishes_the_map_only() -> None:
    state = _section("地理第11题底图改用公开版标准地图，并标注审图号。数学第19题参考答案确定为an=3n-1。")
    assert not state.published_for(frozenset({"参考答案", "试题"}))
    assert state.published_for(frozenset({"地图"}))
    assert _section("本次考试试题和参考答案已于6月30日在考试院网站公布。").published_for(frozenset({"参考答案"}))


def test_the_learned_layer_adds_no_entry_on_a_passage_that_restates_it() -> None:
    """A regulation's own item (the entry's words, no concrete content) is the rule, not a matter."""
    engine = load_engine(expert_edits=False)
    restated = "档案工作中国家秘密范围（摘录）\n一、批量运输档案的时间、路线和保卫方案。\n"
    concrete = "关于档案批量运输的安排\n一、批量运输档案于3月5日凌晨2时出发，经G15至北仓库，押运人员6名，车辆3辆。\n"
    scorer = SimpleNamespace(add_from=0.4, veto_below=0.0)

    def found(text: str) -> list[str]:
        a = engine.analyse(text)
        m = next(m for m in a.matches if m.entry_id == "arch-02")
        m.rule_score, m.prob = 0.0, 0.95  # only the learned layer could add it
        return [x.entry_id for x in _matters([m], [p.part for p in a.passages], a.signals, scorer)]  # type: ignore[arg-type]

    assert found(restated) == []
    assert found(concrete) == ["arch-02"]
