"""Property tests: no exception escapes the engine, evidence always indexes the original text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dingmi.engine import Engine

PIECES = ["试卷", "参考答案", "启用前", "考试定于6月20日举行", "已公布", "1:5万", "±0.5毫伽", "机密★10年", "转发",
          "军事禁区", "平方千米", "內部", "２０２６年５月１日", "\n", "。", "　　", "绝密", "不得复印",
          "## ", "**", " ", "\r", "\r\n", "考 试 试 卷", "."]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=30)), max_size=40))
def test_engine_never_raises_and_offsets_hold(engine: Engine, parts: list[str]) -> None:
    text = "".join(parts)
    s = engine.suggest(text)
    assert s.level in ("非密", "内部", "秘密", "机密", "绝密")
    assert 0.0 <= s.confidence <= 1.0
    for e in s.evidence:
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start : e.end] == e.text
