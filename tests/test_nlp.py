"""Segmentation: rjieba gives jieba's cuts, keeps user words whole, and shares no state."""

from __future__ import annotations

from pathlib import Path

import jieba
import pytest

from dingmi.nlp import cut, make_tokenizer
from dingmi.profiles import load_lexicon
from dingmi_training.data import load_examples


def test_rjieba_cuts_equal_jieba_on_the_corpus() -> None:
    words = sorted(w for w in load_lexicon() if len(w) >= 2)
    ours = make_tokenizer(words)
    ref = jieba.Tokenizer()
    ref.initialize()
    for w in words:
        if w not in ref.FREQ or not ref.FREQ[w]:
            ref.add_word(w, freq=2000)
    texts = [r["text"] for r in load_examples()[::10]]
    same = sum(cut(ours, t) == [w for w in ref.lcut(t, HMM=False) if w.strip()] for t in texts)
    assert same / len(texts) >= 0.95


def test_user_words_stay_whole_and_instances_are_independent() -> None:
    a = make_tokenizer(["高程异常成果"])
    b = make_tokenizer([])
    assert "高程异常成果" in cut(a, "精度优于1米的高程异常成果")
    assert "高程异常成果" not in cut(b, "精度优于1米的高程异常成果")


def test_a_memo_keeps_the_cuts_and_spares_the_dictionary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINGMI_DATA_DIR", str(tmp_path))
    texts = ["精度优于1米的高程异常成果", "国家教育考试在启用之前的试题、参考答案和评分标准"]
    plain = make_tokenizer(["高程异常成果"])
    first = make_tokenizer(["高程异常成果"], memo="test")
    assert [cut(first, t) for t in texts] == [cut(plain, t) for t in texts]
    first.save()
    again = make_tokenizer(["高程异常成果"], memo="test")
    assert [cut(again, t) for t in texts] == [cut(plain, t) for t in texts]
    assert again._jieba is None  # answered from the memo: no dictionary built
    other_words = make_tokenizer(["高程"], memo="test")
    cut(other_words, texts[0])
    assert other_words._jieba is not None  # other user words: another memo


def test_normalisation_folds_exactly_what_zhconv_maps() -> None:
    from zhconv import zhconv

    from dingmi.text import _zh2hans

    zhconv.getdict("zh-hans")
    assert _zh2hans() == zhconv.zhcdicts["zh2Hans"]


def test_tokens_of_a_tiling_cut_equal_the_general_walk() -> None:
    """The textcat's fast path (a segmenter's words tile the text) gives the tokens of the general walk,
    white space runs included."""
    import random

    from dingmi.textcat import _tiled, _walked, words_and_spaces

    tk = make_tokenizer()
    rng = random.Random(7)
    texts = ["  a  b ", " x", "a \n b", "\n\n", "", "中文 English  words\t\tx \u3000y "]
    texts += ["".join(rng.choice(" \n\ta中b ") for _ in range(30)) for _ in range(500)]
    for text in texts:
        words = tk.cut(text)
        assert _tiled(words) == _walked(words, text) == words_and_spaces(words, text), repr(text)
    assert words_and_spaces(["关于", "通知"], "关于 的 通知") == ["关于", "的 ", "通知"]  # words that do not tile
