"""Segmentation with a private jieba instance: catalog terms in its dictionary, no global state."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
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


def make_tokenizer(words: Iterable[str] = ()) -> jieba.Tokenizer:
    """A new jieba tokenizer (own instance) that never splits the given words."""
    tk = jieba.Tokenizer()
    tk.tmp_dir = str(cache_dir())
    tk.initialize()
    for w in sorted(set(words)):
        if len(w) >= 2:
            tk.add_word(w, freq=max(tk.FREQ.get(w, 0), 2000))
    return tk


def cut(tk: jieba.Tokenizer, text: str) -> list[str]:
    """Precise-mode segmentation without the HMM (stable across runs, no new-word guessing)."""
    return [w for w in tk.lcut(text, HMM=False) if w.strip()]
