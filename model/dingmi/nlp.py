"""Word segmentation: a private rjieba (jieba-rs) instance with the catalog's terms in its dictionary.

rjieba runs jieba's algorithm on jieba's dictionary, about 16 times faster and with no cache files
(``tests/test_nlp.py`` checks that its cuts equal ``jieba.Tokenizer``'s on our corpus). Each caller
gets its own instance: no global dictionary, nothing written to the system temp directory.
"""

from __future__ import annotations

from collections.abc import Iterable

import rjieba

USER_WORD_FREQ = 2000


class Segmenter:
    """Precise-mode segmentation without the HMM (stable, no new-word guessing)."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._jieba = rjieba.Jieba()
        self.words = sorted({w for w in words if len(w) >= 2})
        for w in self.words:
            if not self._jieba.has_word(w):
                self._jieba.add_word(w, USER_WORD_FREQ, None)

    def cut(self, text: str) -> list[str]:
        return self._jieba.cut(text, False)


def make_tokenizer(words: Iterable[str] = ()) -> Segmenter:
    """A new segmenter (own instance) that never splits the given words."""
    return Segmenter(words)


def cut(tk: Segmenter, text: str) -> list[str]:
    """Non-blank words of ``text``."""
    return [w for w in tk.cut(text) if w.strip()]
