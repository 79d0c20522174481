"""The bundle's spaCy document classifier, run without importing spaCy (about 0.5 s of start-up).

The pipeline dingmi trains is a jieba tokenizer and one ``spacy.TextCatBOW.v3`` text classifier:
a bag of unigram and bigram hashes (MurmurHash64A of the token text, as spaCy's ``ORTH``), a sparse
linear layer indexed by MurmurHash3 of each key (thinc's ``SparseLinear.v2``) and a softmax. This
module does the same arithmetic in NumPy — float32, keys in the same order, additions in the same
sequence — so its ``cats`` equal spaCy's to the last bit (``tests/training/test_fast_load.py``
compares them on the training corpus). ``export`` reads the weights off a loaded pipeline, and
answers None for any pipeline of another shape (the caller then keeps spaCy).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from dingmi.nlp import Segmenter, make_tokenizer

ARCHITECTURE = "spacy.TextCatBOW.v3"
TOKENIZER = "dingmi.jieba_tokenizer.v1"
_M64 = 0xC6A4A7935BD1E995
_MASK64 = (1 << 64) - 1


def hash64(data: bytes, seed: int) -> int:
    """MurmurHash64A (what spaCy's ``hash64`` computes), for one byte string."""
    n = len(data)
    h = (seed ^ (n * _M64)) & _MASK64
    end = n - n % 8
    for i in range(0, end, 8):
        k = (int.from_bytes(data[i : i + 8], "little") * _M64) & _MASK64
        k = ((k ^ (k >> 47)) * _M64) & _MASK64
        h = ((h ^ k) * _M64) & _MASK64
    if n % 8:
        h = ((h ^ int.from_bytes(data[end:], "little")) * _M64) & _MASK64
    h = ((h ^ (h >> 47)) * _M64) & _MASK64
    return h ^ (h >> 47)


@lru_cache(maxsize=1 << 17)
def _word_hash(word: str) -> int:
    """``hash64`` of a token text, seed 1 (kept: the same words recur from document to document)."""
    return hash64(word.encode("utf-8"), 1)


def _pair_hash64(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """MurmurHash64A (seed 0) of each pair of uint64 keys as 16 bytes: thinc's ``ops.ngrams(2, …)``."""
    m = np.uint64(_M64)
    h = np.full(left.shape, (16 * _M64) & _MASK64, dtype=np.uint64)
    for block in (left, right):
        k = block * m
        k = (k ^ (k >> np.uint64(47))) * m
        h = (h ^ k) * m
    h = (h ^ (h >> np.uint64(47))) * m
    return h ^ (h >> np.uint64(47))


def _murmur3_uint64(keys: np.ndarray, seed: int) -> np.ndarray:
    """thinc's ``MurmurHash3_x86_32_uint64``: MurmurHash3 (x86, 32 bit) of each uint64 key."""
    c1, c2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)
    h = np.full(keys.shape, seed, dtype=np.uint32)
    for part in ((keys & np.uint64(0xFFFFFFFF)).astype(np.uint32), (keys >> np.uint64(32)).astype(np.uint32)):
        k = part * c1
        k = (k << np.uint32(15)) | (k >> np.uint32(17))
        h ^= k * c2
        h = (h << np.uint32(13)) | (h >> np.uint32(19))
        h = h * np.uint32(5) + np.uint32(0xE6546B64)
    h ^= np.uint32(8)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def words_and_spaces(words: Iterable[str], text: str) -> list[str]:
    """The tokens spaCy's ``get_words_and_spaces`` makes of ``words`` over ``text`` (their texts only)."""
    words = list(words)
    if "".join(words) == text and not any(w != w.strip() for w in words if not w.isspace()):
        return _tiled(words)
    return _walked(words, text)


def _walked(words: list[str], text: str) -> list[str]:
    """``words_and_spaces`` for any words: each found in the text after the previous one."""
    tokens: list[str] = []
    pos = 0
    for word in (w for w in words if not w.isspace()):
        start = text.index(word, pos) - pos
        if start > 0:
            tokens.append(text[pos : pos + start])
            pos += start
        tokens.append(word)
        pos += len(word)
        if pos < len(text) and text[pos] == " ":
            pos += 1
    if pos < len(text):
        tokens.append(text[pos:])
    return tokens


def _tiled(words: list[str]) -> list[str]:
    """``words_and_spaces`` where the words tile the text (a segmenter's cut): each run of white space
    between two words is a token, less the one space that trails the word before it."""
    tokens: list[str] = []
    append = tokens.append
    gap = ""  # white space since the last word
    after_word = False
    for w in words:
        if w.isspace():
            gap += w
            continue
        if gap:
            if after_word and gap[0] == " ":
                gap = gap[1:]
            if gap:
                append(gap)
            gap = ""
        append(w)
        after_word = True
    if gap:
        if after_word and gap[0] == " ":
            gap = gap[1:]
        if gap:
            append(gap)
    return tokens


@dataclass
class Cats:
    """What ``doc_probs`` reads off a processed text: ``cats``, label → probability."""

    cats: dict[str, float]


@dataclass
class BowTextcat:
    """A callable with spaCy's ``nlp(text).cats`` for the bundle's pipeline; weights load on first use."""

    labels: list[str]
    words: list[str]
    symbols: dict[str, int]
    length: int
    load_weights: Any  # () -> (W float32 of nO * length, b float32 of nO)
    max_length: int = 1_000_000
    _weights: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _tk: Segmenter | None = field(default=None, repr=False)

    def orth(self, word: str) -> int:
        """spaCy's ``ORTH`` id of a token text (a symbol's own id, else MurmurHash64A seed 1)."""
        if not word:
            return 0
        symbol = self.symbols.get(word)
        return symbol if symbol is not None else _word_hash(word)

    def keys(self, text: str) -> np.ndarray:
        """The document's unigram and bigram keys (with repeats), as ``extract_ngrams`` builds them."""
        if self._tk is None:
            self._tk = make_tokenizer(self.words)
        tokens = words_and_spaces([w for w in self._tk.cut(text) if w], text)
        ids = {t: self.orth(t) for t in dict.fromkeys(tokens)}
        unigrams = np.fromiter(map(ids.__getitem__, tokens), dtype=np.uint64, count=len(tokens))
        return np.concatenate([unigrams, _pair_hash64(unigrams[:-1], unigrams[1:])])

    def scores(self, text: str) -> np.ndarray:
        """Softmax over the labels (float32), or zeros for a text without tokens, as spaCy's textcat."""
        if len(text) > self.max_length:
            raise ValueError(f"text of {len(text)} characters is longer than {self.max_length}")
        keys = self.keys(text)
        n_out = len(self.labels)
        if not len(keys):
            return np.zeros((1, n_out))
        if self._weights is None:
            self._weights = self.load_weights()
        W, b = self._weights
        keys, counts = np.unique(keys, return_counts=True)
        values = counts.astype(np.float32)
        idx1 = (_murmur3_uint64(keys, 0) % np.uint32(self.length)).astype(np.int64)
        idx2 = (_murmur3_uint64(keys, 1) % np.uint32(self.length)).astype(np.int64)
        out = np.zeros((1, n_out), dtype=np.float32)
        for c in range(n_out):
            # thinc adds b, then for each key (ascending) its two hashed weights × count, one by one in float32
            seq = np.empty(2 * len(keys) + 1, dtype=np.float32)
            seq[0] = out[0, c] + b[c]
            seq[1::2] = W[c * self.length + idx1] * values
            seq[2::2] = W[c * self.length + idx2] * values
            out[0, c] = np.add.accumulate(seq)[-1]
        maxes = np.max(out, axis=-1, keepdims=True)
        new = np.exp(out - maxes)
        new /= new.sum(axis=-1, keepdims=True)
        return new

    def __call__(self, text: str) -> Cats:
        row = self.scores(text)
        return Cats({label: float(row[0, j]) for j, label in enumerate(self.labels)})


def export(nlp: Any) -> tuple[dict[str, Any], np.ndarray, np.ndarray] | None:
    """(info, W, b) of a loaded pipeline dingmi's trainer builds, or None for any other pipeline."""
    try:
        if nlp.pipe_names != ["textcat"] or nlp.config["nlp"]["tokenizer"].get("@tokenizers") != TOKENIZER:
            return None
        model_cfg = nlp.config["components"]["textcat"]["model"]
        if (model_cfg.get("@architectures") != ARCHITECTURE or model_cfg.get("exclusive_classes") is not True
                or model_cfg.get("no_output_layer") is not False or model_cfg.get("ngram_size") != 2):
            return None
        textcat = nlp.get_pipe("textcat")
        linear = textcat.model.get_ref("output_layer")
        if linear.attrs.get("v1_indexing") is not False:
            return None
        length = int(linear.get_dim("length"))
        W = np.ascontiguousarray(linear.get_param("W"), dtype=np.float32)
        b = np.ascontiguousarray(linear.get_param("b"), dtype=np.float32)
        labels = list(textcat.labels)
        if W.shape != (len(labels) * length,) or b.shape != (len(labels),):
            return None
        from spacy.symbols import IDS

        info = {"labels": labels, "words": list(nlp.tokenizer.words), "symbols": dict(IDS), "length": length,
                "max_length": int(nlp.max_length)}
        return info, W, b
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
