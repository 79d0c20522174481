"""Segmentation with a private jieba instance: catalog terms in its dictionary, no global state."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)  # jieba logs every dictionary build to stderr otherwise


def cache_dir() -> Path:
    """Where jieba keeps its prefix-dictionary cache: ``DINGMI_CACHE_DIR`` or ~/.cache/dingmi."""
    base = os.environ.get("DINGMI_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dingmi"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


@lru_cache(maxsize=1)
def _base_dictionary() -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary, read once per process (from our own cache directory)."""
    tk = jieba.Tokenizer()
    tk.tmp_dir = str(cache_dir())
    tk.initialize()
    return tk.FREQ, tk.total


def make_tokenizer(words: Iterable[str] = ()) -> jieba.Tokenizer:
    """A new jieba tokenizer (own instance and own dictionary copy) that never splits the given words."""
    freq, total = _base_dictionary()
    tk = jieba.Tokenizer()
    tk.FREQ, tk.total = dict(freq), total
    tk.initialized = True
    for w in sorted(set(words)):
        if len(w) >= 2:
            tk.add_word(w, freq=max(tk.FREQ.get(w, 0), 2000))
    return tk


def cut(tk: jieba.Tokenizer, text: str) -> list[str]:
    """Precise-mode segmentation without the HMM (stable across runs, no new-word guessing)."""
    return [w for w in tk.lcut(text, HMM=False) if w.strip()]
