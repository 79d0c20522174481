"""Segmentation: rjieba gives jieba's cuts, keeps user words whole, and shares no state."""

from __future__ import annotations

import jieba

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
