"""A spaCy tokenizer backed by a private jieba (rjieba) instance (registered as ``dingmi.jieba_tokenizer.v1``).

The user dictionary (catalog and lexicon terms) is written with the pipeline, so a saved pipeline
segments exactly as it did when it was trained.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import spacy
from spacy.tokens import Doc
from spacy.util import get_words_and_spaces
from spacy.vocab import Vocab

from dingmi.nlp import make_tokenizer


class JiebaTokenizer:
    """Callable spaCy tokenizer; serialises its user words to ``user_dict.txt``."""

    def __init__(self, vocab: Vocab, words: list[str] | None = None) -> None:
        self.vocab = vocab
        self.words = sorted(set(words or []))
        self._tk: Any = None  # built on first use: from_disk usually replaces the words first

    def __call__(self, text: str) -> Doc:
        if self._tk is None:
            self._tk = make_tokenizer(self.words)
        pieces = [w for w in self._tk.cut(text) if w]
        words, spaces = get_words_and_spaces(pieces, text)
        return Doc(self.vocab, words=words, spaces=spaces)

    def to_disk(self, path: str | Path, **_: Any) -> None:
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        (p / "user_dict.txt").write_text("\n".join(self.words) + "\n", encoding="utf-8")

    def from_disk(self, path: str | Path, **_: Any) -> JiebaTokenizer:
        self.words = [w for w in (Path(path) / "user_dict.txt").read_text(encoding="utf-8").splitlines() if w]
        self._tk = None
        return self

    def to_bytes(self, **_: Any) -> bytes:
        return "\n".join(self.words).encode("utf-8")

    def from_bytes(self, data: bytes, **_: Any) -> JiebaTokenizer:
        self.words = [w for w in data.decode("utf-8").splitlines() if w]
        self._tk = None
        return self


@spacy.registry.tokenizers("dingmi.jieba_tokenizer.v1")
def create_jieba_tokenizer() -> Any:
    """spaCy config hook."""
    def make(nlp: Any) -> JiebaTokenizer:
        return JiebaTokenizer(nlp.vocab)
    return make


def blank_pipeline(words: list[str]) -> Any:
    """``spacy.blank("zh")`` with the jieba tokenizer and the given user words."""
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "dingmi.jieba_tokenizer.v1"}}})
    nlp.tokenizer = JiebaTokenizer(nlp.vocab, words)
    return nlp
