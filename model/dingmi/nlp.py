"""Word segmentation: a private rjieba (jieba-rs) instance with the catalog's terms in its dictionary.

rjieba runs jieba's algorithm on jieba's dictionary, about 16 times faster and with no cache files
(``tests/test_nlp.py`` checks that its cuts equal ``jieba.Tokenizer``'s on our corpus). Each caller
gets its own instance: no global dictionary, nothing written to the system temp directory.

Building an instance reads jieba's whole dictionary (about 0.13 s), so it is built on the first
text to cut. A caller that cuts the same texts every run (the catalog's entries) names a memo: the
cuts are then kept in the data directory, keyed by the dictionary (rjieba build and user words), and
a later run with the same texts builds no instance at all.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dingmi import cache

USER_WORD_FREQ = 2000
MEMO_FORMAT = 1
KEEP_MEMOS = 32  # cut memos the data directory keeps (catalog combinations, most recently written)


@functools.lru_cache(maxsize=1)
def _rjieba() -> tuple[Any, str]:
    """rjieba's ``Jieba`` class and a stamp of its build (extension path, size and mtime).

    ``import rjieba`` builds a module-level default instance we never use (another 0.1 s), so the
    extension module is loaded on its own, under the name the package itself would give it.
    """
    loaded = sys.modules.get("rjieba.rjieba")
    spec = importlib.util.find_spec("rjieba")
    folders = [Path(f) for f in (spec.submodule_search_locations or [])] if spec else []
    so = next((p for f in folders for p in sorted(f.glob("rjieba.*")) if p.suffix in (".so", ".pyd")), None)
    if loaded is None and so is not None:
        sub = importlib.util.spec_from_file_location("rjieba.rjieba", so)
        if sub is not None and sub.loader is not None:
            loaded = importlib.util.module_from_spec(sub)
            sub.loader.exec_module(loaded)
            sys.modules["rjieba.rjieba"] = loaded
    if loaded is None:  # an unusual install: the ordinary import
        import rjieba

        loaded = rjieba
    return loaded.Jieba, cache.file_stamp(so) if so is not None else "rjieba"


class Segmenter:
    """Precise-mode segmentation without the HMM (stable, no new-word guessing)."""

    def __init__(self, words: Iterable[str] = (), memo: str | None = None) -> None:
        self.words = sorted({w for w in words if len(w) >= 2})
        self._jieba: Any = None
        self._memo_name = ""
        self._memo: dict[str, list[str]] = {}
        self._dirty = False
        if memo:
            _, stamp = _rjieba()
            key = hashlib.sha256("\n".join([str(MEMO_FORMAT), stamp, str(USER_WORD_FREQ), memo, *self.words]).encode())
            self._memo_name = f"cuts-{key.hexdigest()[:32]}.json"
            stored = cache.read_json(self._memo_name)
            if isinstance(stored, dict):
                self._memo = {k: v for k, v in stored.items() if isinstance(k, str) and isinstance(v, list)}

    def _instance(self) -> Any:
        if self._jieba is None:
            jieba_class, _ = _rjieba()
            tk = jieba_class()
            for w in self.words:
                if not tk.has_word(w):
                    tk.add_word(w, USER_WORD_FREQ, None)
            self._jieba = tk
        return self._jieba

    def cut(self, text: str) -> list[str]:
        if self._memo_name:
            known = self._memo.get(text)
            if known is not None:
                return list(known)
            words = self._instance().cut(text, False)
            self._memo[text] = list(words)
            self._dirty = True
            return words
        return self._instance().cut(text, False)

    def save(self) -> None:
        """Keep the memo's new cuts in the data directory (nothing to do without a memo or new cuts)."""
        if self._memo_name and self._dirty:
            cache.write_json(self._memo_name, self._memo)
            cache.prune("cuts-*.json", KEEP_MEMOS)
            self._dirty = False


def make_tokenizer(words: Iterable[str] = (), memo: str | None = None) -> Segmenter:
    """A new segmenter (own instance) that never splits the given words; ``memo`` names a cut memo
    kept in the data directory (for texts cut on every run, such as a catalog's entries)."""
    return Segmenter(words, memo)


def cut(tk: Segmenter, text: str) -> list[str]:
    """Non-blank words of ``text``."""
    return [w for w in tk.cut(text) if w.strip()]
