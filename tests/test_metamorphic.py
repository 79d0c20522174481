"""Metamorphic properties over every secret document of the evaluation sets (corpus/eval).

Appending public documents never lowers the level, nor does placing them before the document;
zero-width characters and PDF-style line wrapping change nothing; deleting the passages that
``lowering`` names gives the promised level.
The issue's target is 99% for each; where the engine does not reach it yet the floor below is what
it measured, so a change that makes it worse fails (see the README's figures).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from dingmi.engine import Engine, load_engine
from dingmi.evaluate import robustness

EVAL = Path(__file__).resolve().parents[1] / "corpus" / "eval"
SETS = {"dev": (), "dev_realistic": (), "dev_unseen": ("unseen_catalog.jsonl",)}
# property → least share of documents that keep their level (target 0.99 everywhere)
FLOOR = {"invisible": 0.99, "lowering": 0.99, "reflow": 0.93, "dilution": 0.95, "position": 0.93}


@cache
def _figures(name: str) -> dict[str, Any]:
    engine: Engine = load_engine([EVAL / c for c in SETS[name]])
    rows = [json.loads(line) for line in (EVAL / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    public = [r["text"] for r in rows if r["expected_level"] == "非密" and r.get("kind") != "meta_negative"]
    return robustness(lambda text: engine.suggest(text), rows, public)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SETS))
@pytest.mark.parametrize("prop", list(FLOOR))
def test_property_holds_over_the_secret_documents(name: str, prop: str) -> None:
    figures = _figures(name)
    assert figures[prop]["n"] > 0
    assert figures[prop]["kept"] >= FLOOR[prop], f"{name} {prop}: {figures[prop]}"


def test_invisible_and_wrapped_text_give_the_same_evidence(engine: Engine) -> None:
    from documents import EXAM_BEFORE

    from dingmi.evaluate import insert_invisible, reflow

    plain = engine.suggest(EXAM_BEFORE)
    for variant in (insert_invisible(EXAM_BEFORE), insert_invisible(EXAM_BEFORE, "\u00ad"), reflow(EXAM_BEFORE)):
        s = engine.suggest(variant)
        assert (s.level, s.marking, [e.entry_id for e in s.evidence]) == (plain.level, plain.marking, [e.entry_id for e in plain.evidence])
        assert all(variant[e.start : e.end] == e.text for e in s.evidence)  # offsets index the text given


def test_line_endings_trailing_spaces_and_half_width_stops_change_nothing(engine: Engine) -> None:
    """Windows and web-form line endings (\\r\\n, \\r), spaces left at the end of wrapped lines and a full stop
    typed half-width after a Chinese character are not content: level, marking and 密点 stay, and the
    evidence indexes the text given."""
    from documents import EXAM_BEFORE

    from dingmi.evaluate import reflow

    plain = engine.suggest(EXAM_BEFORE)
    variants = (
        EXAM_BEFORE.replace("\n", "\r\n"),
        EXAM_BEFORE.replace("\n", "\r"),
        "\n".join(line + "  " for line in reflow(EXAM_BEFORE).split("\n")),
        EXAM_BEFORE.replace("。", "."),
    )
    for variant in variants:
        s = engine.suggest(variant)
        assert (s.level, s.marking, len(s.evidence)) == (plain.level, plain.marking, len(plain.evidence)), repr(variant[:40])
        assert all(variant[e.start : e.end] == e.text for e in s.evidence)


def test_a_half_width_stop_in_a_number_or_a_file_name_is_no_full_stop() -> None:
    from dingmi.textview import make_view

    assert make_view("见第3.2条和附件报告.docx。确定为机密.\n").text == "见第3.2条和附件报告.docx。确定为机密。\n"


def test_markdown_marks_and_letter_spacing_are_layout() -> None:
    """Markdown heading and bold marks (a .md file, a web page) and the spaces a PDF extractor puts between
    the letters of a letter-spaced line are dropped from the view; table cells and names keep theirs."""
    from dingmi.textview import make_view

    text = "## 一、组织领导\n**二、工作要求**：严格保密。\n关 于 做 好 高 考 工 作 的 通 知\n河阳市 21408 9612\n#1号机组 王 强"
    view = make_view(text)
    assert view.text == "一、组织领导\n二、工作要求：严格保密。\n关于做好高考工作的通知\n河阳市 21408 9612\n#1号机组 王 强"
    assert all(text[o] == c for o, c in zip(view.offsets, view.text))


def test_markdown_and_letter_spaced_copies_read_alike(engine: Engine) -> None:
    from documents import EXAM_BEFORE

    plain = engine.suggest(EXAM_BEFORE)
    lines = EXAM_BEFORE.split("\n")
    md = "\n".join(("### " + line) if line.startswith("关于") else line for line in lines)
    spaced = "\n".join(" ".join(line) if line.startswith("关于") else line for line in lines)
    for variant in (md, spaced):
        s = engine.suggest(variant)
        assert (s.level, s.marking, s.header["title"]) == (plain.level, plain.marking, plain.header["title"])


def test_a_double_spaced_paste_is_read_single_spaced(engine: Engine) -> None:
    """A web page or e-mail paste doubles every line break: read as typed, a lead-in keeps its list and a table
    its header row; a text whose lines touch keeps its blank lines."""
    from documents import EXAM_BEFORE

    from dingmi.textview import make_view

    double = EXAM_BEFORE.replace("\n", "\n\n")
    assert make_view(double).text.rstrip("\n") == EXAM_BEFORE.rstrip("\n")  # the text as typed
    assert make_view(EXAM_BEFORE).text == EXAM_BEFORE  # lines that touch: its blank lines stay
    plain, s = engine.suggest(EXAM_BEFORE), engine.suggest(double)
    assert (s.level, s.marking, len(s.evidence)) == (plain.level, plain.marking, len(plain.evidence))
    assert all(double[e.start : e.end] == e.text for e in s.evidence)


def test_an_organ_line_repeated_by_pasted_documents_is_no_running_header() -> None:
    """Several documents of one organ pasted together repeat its name above each 发文字号 and above each
    落款 date: those lines head and sign documents and stay; a page header repeated alone goes."""
    from dingmi.textview import make_view

    doc = "某省教育考试院\n某考院〔2026〕18号\n关于试卷交接的通知\n各市：\n试卷定于6月5日交印。\n某省教育考试院\n2026年5月28日\n"
    assert make_view(doc + "\n" + doc).text.count("某省教育考试院") == 4
    paged = "".join(f"内部资料注意保存\n第{n}段正文写在这里。\n" for n in range(1, 5))
    assert "内部资料注意保存" not in make_view(paged).text


def test_repeating_handling_wording_does_not_make_a_matter_secret() -> None:
    from dingmi.derive import secret_signals

    once = secret_signals("本方案严格控制知悉范围。")
    assert secret_signals("本方案严格控制知悉范围。" * 3) == once
    assert secret_signals("本方案严格控制知悉范围，不得外传。")[0] > once[0]


def test_lowering_is_rechecked(engine: Engine) -> None:
    from documents import EXAM_BEFORE

    s = engine.suggest(EXAM_BEFORE)
    low = s.lowering[0]
    cut = EXAM_BEFORE
    for e in sorted(low.remove, key=lambda e: -e.start):
        cut = cut[: e.start] + cut[e.end :]
    assert engine.suggest(cut).level == low.level_after
    assert low.level_after != s.level


def test_appended_public_notice_does_not_clear_an_exam_paper(engine: Engine) -> None:
    from documents import EXAM_BEFORE, EXAM_PUBLISHED

    assert engine.suggest(EXAM_BEFORE + "\n\n" + EXAM_PUBLISHED).level == engine.suggest(EXAM_BEFORE).level


PUBLIC_NOTICE = """某市档案馆
公告
〔2026〕第2号
关于馆藏档案向社会开放的公告
　　经开放审核，我馆1995年以前形成的3860卷档案自2026年6月9日起向社会开放。
　　特此公告。
某市档案馆
2026年6月1日
"""


def test_a_public_notice_before_an_exam_paper_does_not_clear_it(engine: Engine) -> None:
    """Each document pasted together is read as its own: a 公告 placed first declares its own content public,
    not the exam paper after it, and its title and dates are not the paper's."""
    from documents import EXAM_BEFORE

    alone = engine.suggest(EXAM_BEFORE)
    for text in (PUBLIC_NOTICE + "\n" + EXAM_BEFORE, PUBLIC_NOTICE + "\n" + EXAM_BEFORE + "\n" + PUBLIC_NOTICE):
        s = engine.suggest(text)
        assert (s.level, s.period) == (alone.level, alone.period)
        assert "declared_not_secret" not in s.flags
        assert {e.entry_id for e in s.evidence} == {e.entry_id for e in alone.evidence}
    # the notice alone is still declared public
    assert engine.suggest(PUBLIC_NOTICE).level == "非密"


def test_a_later_documents_own_marking_is_not_a_forwarded_source(engine: Engine) -> None:
    """The marking in the 版头 of a document pasted after another marks that document, not a source the
    text forwards: it is read as the document's existing marking would be, never as 派生定密."""
    from documents import EXAM_BEFORE

    marked = "秘密★启用前\n" + EXAM_BEFORE
    s = engine.suggest(PUBLIC_NOTICE + "\n" + marked)
    assert "derived" not in s.flags
    assert s.level == engine.suggest(marked).level
