"""The learned layer: a pair scorer over catalog-independent features, a spaCy document classifier
and a confidence calibrator. Features describe how a document relates to an entry, never which
entry it is, so a model trained on one catalog scores another catalog's entries too."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dingmi.levels import rank
from dingmi.matcher import EntryMatch
from dingmi.qualifiers import DocState

PAIR_FEATURES = [
    "rule_score", "coverage", "window", "title", "gate", "log_weight", "n_terms_matched", "head_ok", "require_ok",
    "excluded", "n_reasons", "position", "gap_to_best", "ratio_to_best",
    "lvl_绝密", "lvl_机密", "lvl_秘密", "lvl_内部",
    "q_before", "q_after", "q_unpublished", "q_harm", "q_tiers", "q_scales", "q_precision", "q_military", "q_undecided",
    "sim_doc",
    "d_meta", "d_public_notice", "d_published", "d_not_published", "d_secret_words", "d_asked_rank", "d_harm",
    "d_source", "d_log_len", "d_p_secret", "d_p_internal",
]
TEXTCAT_LABELS = ("SECRET", "INTERNAL", "PUBLIC")
HARM_ORDER = ("", "一般", "严重", "特别严重")


@dataclass
class DocFeatures:
    """Document-level signals shared by all of its candidate entries."""

    meta: int
    secret_words: int
    asked_level: str
    has_source: bool
    length: int
    p_secret: float = 0.0
    p_internal: float = 0.0


def pair_vector(m: EntryMatch, position: int, best: float, state: DocState, doc: DocFeatures,
                sim_doc: float) -> list[float]:
    """The feature vector of one (document, entry) pair, in PAIR_FEATURES order."""
    q = m.profile.qualifiers
    level = m.profile.entry.level
    return [
        m.rule_score, m.coverage, m.window, m.title, m.gate, math.log1p(m.profile.total_weight), len(m.matched),
        float(m.head_ok), float(m.require_ok), float(m.excluded), len(m.reasons), position, best - m.rule_score,
        m.rule_score / best if best > 0 else 0.0,
        float(level == "绝密"), float(level == "机密"), float(level == "秘密"), float(level == "内部"),
        float(q.before_use), float(q.after_use), float(q.unpublished or q.not_implemented), float(bool(q.harm)),
        float(bool(q.tiers)), float(bool(q.scales)), float(q.max_precision is not None),
        float(q.military_in or q.military_out), float(q.undecided),
        sim_doc,
        min(doc.meta, 5) / 5, float(state.public_notice), float(state.published), float(state.not_published),
        min(doc.secret_words, 5) / 5, rank(doc.asked_level) / 4 if doc.asked_level else 0.0,
        HARM_ORDER.index(state.harm) / 3, float(doc.has_source), math.log1p(doc.length), doc.p_secret, doc.p_internal,
    ]


class LearnedScorer:
    """Rescores candidate entries and calibrates confidence; built by ``dingmi-train``."""

    def __init__(self, pair_model: Any, vectorizer: Any, nlp: Any, calibrator: Any,
                 learned_terms: dict[str, list[str]], threshold: float = 0.7,
                 known_entries: frozenset[str] = frozenset()) -> None:
        self.pair_model = pair_model
        self.vectorizer = vectorizer
        self.nlp = nlp
        self.calibrator = calibrator
        self.learned_terms = learned_terms
        self.threshold = threshold  # P at which the learned scorer adds a matter the rules missed
        self.known_entries = known_entries  # entries with training examples: only these may be vetoed
        self._entry_vecs: dict[str, Any] = {}

    def doc_probs(self, text: str) -> tuple[float, float]:
        """P(the document carries a state secret), P(it is an internal matter), from the spaCy textcat."""
        if self.nlp is None:
            return 0.0, 0.0
        cats = self.nlp(text[:5000]).cats
        return float(cats.get("SECRET", 0.0)), float(cats.get("INTERNAL", 0.0))

    def _entry_vec(self, m: EntryMatch) -> Any:
        e = m.profile.entry
        if e.id not in self._entry_vecs:
            self._entry_vecs[e.id] = self.vectorizer.transform([e.text + " " + " ".join(self.learned_terms.get(e.id, []))])
        return self._entry_vecs[e.id]

    def rescore(self, matches: list[EntryMatch], norm: str, state: DocState, doc: DocFeatures, limit: int = 8) -> None:
        """Set ``prob`` = P(entry is a matter of this document) on the top candidates, and rank them by
        the mean of that and the rule score. The rules' own findings are kept (see engine._matters)."""
        top = matches[:limit]
        if not top:
            return
        from sklearn import config_context  # imported on first use: the rules path never needs it

        rows = self.pair_rows(top, norm, state, doc)
        with config_context(assume_finite=True):  # features are finite by construction
            probs = self.pair_model.predict_proba(np.asarray(rows))[:, 1]
        for m, p in zip(top, probs):
            m.prob = float(p)
            m.vetoable = m.entry_id in self.known_entries
            m.score = 0.5 * (m.rule_score + m.prob)
        for m in matches[limit:]:
            m.score = 0.5 * m.rule_score
        matches.sort(key=lambda m: (-m.score, m.entry_id))

    def pair_rows(self, top: list[EntryMatch], norm: str, state: DocState, doc: DocFeatures) -> list[list[float]]:
        """Feature rows for the candidates (training uses the same function)."""
        from scipy.sparse import vstack

        vec = self.vectorizer.transform([norm[:5000]])  # rows are L2-normalised: a dot product is the cosine
        sims = (vec @ vstack([self._entry_vec(m) for m in top]).T).toarray()[0]
        best = max(m.rule_score for m in top)
        return [pair_vector(m, i, best, state, doc, float(sims[i])) for i, m in enumerate(top)]

    def calibrate(self, raw: float) -> float:
        """Calibrated probability that the suggested level is right."""
        if self.calibrator is None:
            return raw
        return float(np.clip(self.calibrator.predict([raw])[0], 0.0, 1.0))
