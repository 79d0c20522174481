"""Pattern cues: a pattern is skipped on a text holding none of its cue characters, so a cue must be sound
(every match holds one of them), or the engine's signals would change."""

import json
import re

import pytest

from dingmi import disclose
from dingmi.catalog import corpus_dir
from dingmi.passages import split_passages
from dingmi.text import Cue, Screened, normalize, pattern_cue

CUED = [p for p, _, _ in (disclose._CUED_CONTACT, disclose._CUED_REFERENCE)]
CUED += [p for _, p, _, _, _ in disclose._CUED_CONTENT] + [p for _, p, _, _ in disclose._CUED_SPEECH]


def test_cue_of_simple_patterns() -> None:
    assert pattern_cue(re.compile(r"答案[为是]")) == Cue(frozenset("答"))
    assert pattern_cue(re.compile(r"东经|北纬")) == Cue(frozenset("东北"))
    assert pattern_cue(re.compile(r"\d+\s*吨")) == Cue(frozenset("吨"))
    assert pattern_cue(re.compile(r"第\d+|\d{4}年")) == Cue(frozenset("第年"))
    assert pattern_cue(re.compile(r"[0-9]\d")) == Cue(frozenset("0123456789"))
    assert pattern_cue(re.compile(r"\d+")) == Cue(frozenset(), digit=True)


def test_no_cue_where_a_match_may_hold_anything() -> None:
    assert pattern_cue(re.compile(r"a?b*")) is None  # may match the empty string
    assert pattern_cue(re.compile(r"[^,，]{2}")) is None  # a negated class
    assert pattern_cue(re.compile(r"[\u4e00-\u9fff]+")) is None  # a wide range
    assert pattern_cue(re.compile(r"ab|.")) is None  # one branch without a cue
    assert pattern_cue(re.compile(r"ab", re.IGNORECASE)) is None


@pytest.fixture(scope="module")
def passages() -> list[str]:
    """A third of the training corpus's documents, as passages."""
    out = []
    for f in sorted((corpus_dir() / "labeled").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines()[::3]:
            if line.strip():
                out += [p.text for p in split_passages(normalize(json.loads(line)["text"]))]
    return out


@pytest.mark.parametrize("pattern", CUED, ids=lambda p: p.pattern[:24])
def test_cues_of_the_signal_patterns_are_sound(pattern: re.Pattern[str], passages: list[str]) -> None:
    cue = pattern_cue(pattern)
    assert cue is not None  # every signal pattern has one: it is what makes the signals fast
    extra = ["答案为C", "选A", "第3题", "sin x", "x=1234", "东经120°", "1:5万", "9时30分", "G15", "ab-123", "“六个字以上的话”",
             "主任张三、", "三百人", "电话：12345678", "2020年1月1日发布", "不得泄露知悉范围", "本方案按机密级管理"]
    for text in passages + [normalize(t) for t in extra]:
        if pattern.search(text):
            assert cue.may_match(set(text), re.search(r"\d", text) is not None), (pattern.pattern, text)


def test_screened_line_patterns_skip_only_lines_they_cannot_match(passages: list[str]) -> None:
    from dingmi import header
    from dingmi import passages as passages_mod

    screened = [header._DOC_NO_ANY, header._RECORD_ANY, header._PRINTED_ANY, Screened(passages_mod.IMPRINT_LINE)]
    lines = passages + ["东滨省教育考试院办公室　　2026年4月22日印发", "抄送：院领导。", "东考院〔2026〕12号", "现将有关事项通知如下："]
    def span(m: re.Match[str] | None) -> tuple[int, int] | None:
        return m.span() if m else None

    for s in screened:
        for line in lines:
            assert span(s.search(line)) == span(s.pattern.search(line)), (s.pattern.pattern, line)
            assert span(s.match(line)) == span(s.pattern.match(line)), (s.pattern.pattern, line)


def test_normalize_in_two_parts_maps_as_the_whole_table() -> None:
    """The list over the BMP and the dict past it fold every character as the single table does."""
    from dingmi.text import _table

    table = _table()
    astral = [chr(k) for k in table if k >= 0x10000][:50]
    samples = ["ＡＢＣ１２３　國家機密", "".join(astral), "𠀀𪚥" + "".join(chr(k) for k in list(table)[:200]), ""]
    for text in samples:
        assert normalize(text) == text.translate(table)


def test_format_characters_neither_print_nor_are_white_space() -> None:
    """What the clean view's quick test for format characters (Cf) relies on, in this Python's Unicode."""
    import sys
    import unicodedata

    fmt = [c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.category(c) == "Cf"]
    assert fmt and not any(c.isprintable() or c.isspace() for c in fmt)
