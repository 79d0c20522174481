"""The learned layer: an entry scorer over its best passage over catalog-independent features, a spaCy document
classifier and a confidence calibrator.

Features describe how a passage relates to an entry (its terms in the passage and its scope, the
head noun, the qualifiers of the passage's section) and what the passage does (the concrete content
it carries, whether it names a topic, states a requirement or speaks about secrecy) — never which
entry or catalog it is, so a model trained on one catalog scores another catalog's entries too.
It is trained on annotated 密点 (``passages`` in the training corpus): the entry scorer learns which
entries a document's passages disclose, the evidence model which passages of a matter found are its 密点.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from dingmi.matcher import SECTION_CONCRETE, DocContext, EntryMatch, PassagePair

_KINDS = ("answer", "score", "question", "formula", "coordinate", "measure", "scale", "time", "route", "code", "quote", "name", "figure")
PAIR_FEATURES = [
    "local", "in_passage", "in_section", "head", "pair_rule", "coverage", "title", "log_weight", "require_ok", "excluded",
    "n_matched", "concrete", *(f"c_{k}" for k in _KINDS), "digits", "log_len", "mention", "requirement", "harm",
    "rule", "report", "handling", "heading", "about_share",
    "n_disclosing", "max_disclosure", "window",
    "lvl_绝密", "lvl_机密", "lvl_秘密", "lvl_内部",
    "q_before", "q_after", "q_unpublished", "q_harm", "q_tiers", "q_scales", "q_precision", "q_military", "q_undecided",
]
TEXTCAT_LABELS = ("SECRET", "INTERNAL", "PUBLIC")
_SUBJECT = [PAIR_FEATURES.index(k) for k in ("local", "in_passage", "in_section", "head", "coverage")]
_DOES = [PAIR_FEATURES.index(k) for k in ("concrete", "mention", "requirement", "harm", "rule", "report", "heading", "about_share")]


def interactions(X: np.ndarray) -> np.ndarray:
    """The pair features plus subject × disclosure products: a passage is a 密点 of an entry when it is
    about that entry *and* carries concrete content (used inside the pair model's pipeline)."""
    X = np.asarray(X, dtype=np.float64)
    prods = [X[:, i] * X[:, j] for i in _SUBJECT for j in _DOES]
    return np.column_stack([X, *prods])


@dataclass
class DocFeatures:
    """Document-level signals the decision reads (secrecy-work wording, secret-like handling)."""

    meta: int
    secret_words: int
    asked_level: str


def pair_vector(ctx: DocContext, m: EntryMatch, pair: PassagePair, cache: dict[Any, Any] | None = None) -> list[float]:
    """The feature vector of one (passage, entry) pair, in PAIR_FEATURES order (``cache``: the entry's
    figures kept between calls, for callers that describe many pairs of one entry)."""
    cache = {} if cache is None else cache
    part = ctx.passages[pair.index].part
    stats = cache.get(part)
    if stats is None:
        stats = cache[part] = _part_stats(ctx, m, part)
    entry = cache.get("entry")
    if entry is None:
        entry = cache["entry"] = _entry_features(m)
    scores, n_matched, max_disclose = stats
    n_disclosing = len(scores) - bisect.bisect_left(scores, 0.5 * pair.score) if pair.score > 0 else 0
    return [
        pair.local, pair.in_passage, pair.in_section, float(pair.head), pair.score / pair.gate if pair.gate else 0.0, m.coverage, m.title,
        math.log1p(m.profile.total_weight), float(m.require_ok), float(m.excluded), math.log1p(n_matched),
        *passage_features(ctx, pair.index), math.log1p(n_disclosing), max_disclose, m.window, *entry,
    ]


def passage_features(ctx: DocContext, i: int) -> list[float]:
    """What passage ``i`` does, whatever the entry (PAIR_FEATURES from ``concrete`` to ``about_share``);
    computed once per passage and document."""
    out = ctx.features.get(i)
    if out is None:
        p, sig = ctx.passages[i], ctx.signals[i]
        out = ctx.features[i] = [
            sig.concrete, *(min(3, sig.content[k]) / 3 for k in _KINDS), _digit_share(p.text), math.log1p(len(p.text)),
            float(sig.mention), float(sig.requirement), float(sig.harm), float(sig.rule), float(sig.report),
            float(sig.handling), float(p.heading), ctx.about_share.get(p.section, 0.0),
        ]
    return out


def _entry_features(m: EntryMatch) -> list[float]:
    """The entry's level and the kinds of qualifier it carries (PAIR_FEATURES from ``lvl_绝密`` on)."""
    q = m.profile.qualifiers
    level = m.profile.entry.level
    return [
        float(level == "绝密"), float(level == "机密"), float(level == "秘密"), float(level == "内部"),
        float(q.before_use), float(q.after_use), float(q.unpublished or q.not_implemented), float(bool(q.harm)),
        float(bool(q.tiers)), float(bool(q.scales)), float(q.max_precision is not None),
        float(q.military_in or q.military_out), float(q.undecided),
    ]


def _part_stats(ctx: DocContext, m: EntryMatch, part: int) -> tuple[list[float], int, float]:
    """The entry's figures read in one document of the text (what is pasted after its 落款 never changes
    a feature): its pairs' scores (sorted), its matched terms there, and the most disclosing passage naming it."""
    single = ctx.passages[-1].part == 0  # one document: all of it is its own
    own = m.pairs if single else [x for x in m.pairs if ctx.passages[x.index].part == part]
    n_matched = len(m.matched) if single else _matched_in_part(ctx, m, part)
    return sorted(x.score for x in own), n_matched, max((ctx.disclose[x.index] for x in own if x.local > 0), default=0.0)


# the evidence model reads each passage beside the entry's other candidate passages
EVIDENCE_FEATURES = [
    *PAIR_FEATURES, "rel_score", "is_best", "disclose", "section_concrete", "best_section", "tabular",
    "concrete_rank", "concrete_rel",
]
_TABULAR = re.compile(r"\t|\u3000|\s{2,}")  # cells of a table row or a column list, as pasted


def evidence_rows(ctx: DocContext, m: EntryMatch) -> tuple[list[PassagePair], list[list[float]]]:
    """The entry's candidate passages that could be 密点 (rule score above 0: not ruled out by the gate)
    and their feature vectors (EVIDENCE_FEATURES order): the pair's own features, and how the passage
    stands among the entry's candidates — its score and concrete content against theirs, its section."""
    pairs = [x for x in m.pairs if x.score > 0]
    if not pairs:
        return [], []
    top = max(x.score for x in pairs)
    concrete = sorted(ctx.signals[x.index].concrete for x in m.pairs)
    most, n = concrete[-1], len(concrete)
    best_section = ctx.passages[m.best].section
    cache: dict[Any, Any] = {}
    shares: dict[int, float] = {}
    rows = []
    for x in pairs:
        p, c = ctx.passages[x.index], ctx.signals[x.index].concrete
        share = shares.get(p.section)
        if share is None:
            body = ctx.by_section.get(p.section, [])
            share = shares[p.section] = (sum(ctx.signals[i].concrete >= SECTION_CONCRETE for i in body) / len(body)
                                         if body else 0.0)
        rows.append([
            *pair_vector(ctx, m, x, cache), x.score / top, float(x.index == m.best), ctx.disclose[x.index], share,
            float(p.section == best_section), float(_TABULAR.search(p.text) is not None),
            (n - bisect.bisect_right(concrete, c)) / n, c / most if most else 0.0,
        ])
    return pairs, rows


def chosen_evidence(probs: list[float], threshold: float) -> list[int]:
    """Which candidates are 密点: those at or above the threshold, else the likeliest one."""
    chosen = [k for k, pr in enumerate(probs) if pr >= threshold]
    return chosen or ([max(range(len(probs)), key=probs.__getitem__)] if probs else [])


def _matched_in_part(ctx: DocContext, m: EntryMatch, part: int) -> int:
    """How many of the entry's matched terms occur in one document of the text (the first also counts
    its title's): a document pasted after it never changes the count."""
    spans = [(p.start, p.end) for p in ctx.passages if p.part == part]
    text = ctx.norm[spans[0][0] : spans[-1][1]] if spans else ""
    title = ctx.title_spans.get(part)
    if title:
        text = ctx.norm[title[0] : title[1]] + "\n" + text
    keys = set(m.matched)
    return sum(1 for t in m.profile.terms if t.key in keys and any(f in text for f in t.forms))


@lru_cache(maxsize=1 << 14)
def _digit_share(text: str) -> float:
    """Digits per character of a passage (at least 20 characters counted); one count per passage."""
    return sum(map(str.isdigit, text)) / max(20, len(text))


def best_pair(m: EntryMatch) -> PassagePair:
    """The pair of an entry's best passage."""
    if m.best_pair is not None and m.best_pair.index == m.best:
        return m.best_pair
    return next(x for x in m.pairs if x.index == m.best)


def _part_views(ctx: DocContext, m: EntryMatch) -> list[tuple[EntryMatch, PassagePair]]:
    """The entry read at its best passage, then (several documents pasted together) at the best passage of
    each other document, with that document's coverage: (the entry as seen there, the pair)."""
    best = best_pair(m)
    out = [(m, best)]
    if ctx.passages[-1].part == 0:
        return out
    top: dict[int, PassagePair] = {}
    for x in m.pairs:
        part = ctx.passages[x.index].part
        if x.score > 0 and (part not in top or x.score > top[part].score):
            top[part] = x
    home = ctx.passages[best.index].part
    for part, x in sorted(top.items()):
        if part != home:
            view = replace(m, best=x.index, best_pair=x, coverage=m.part_cov.get(part, m.doc_coverage), window=x.local,
                           title=m.part_title.get(part, 0.0))
            out.append((view, x))
    return out


class LearnedScorer:
    """Scores every candidate passage of every candidate entry; built by ``dingmi-train``."""

    def __init__(self, pair_model: Any, nlp: Any, calibrator: Any, learned_terms: dict[str, list[str]],
                 known_entries: frozenset[str] = frozenset(), veto_below: float = 0.05, add_from: float = 0.7,
                 evidence_model: Any = None, evidence_from: float = 0.5) -> None:
        self.pair_model = pair_model
        self.nlp = nlp
        self.calibrator = calibrator
        self.learned_terms = learned_terms
        self.known_entries = known_entries  # entries with training examples
        self.veto_below = veto_below  # a rule finding of a known entry under this P is dropped
        self.add_from = add_from  # an entry at or above this P is a matter even if the rules missed it
        self.evidence_model = evidence_model  # P(a candidate passage is a 密点 of a matter found); None: the rules choose
        self.evidence_from = evidence_from  # the P from which a passage is listed (chosen on held-out domains)

    def doc_probs(self, text: str) -> tuple[float, float]:
        """P(the document carries a state secret), P(it is an internal matter), from the spaCy textcat."""
        if self.nlp is None:
            return 0.0, 0.0
        cats = self.nlp(text[:5000]).cats
        return float(cats.get("SECRET", 0.0)), float(cats.get("INTERNAL", 0.0))

    def rows(self, matches: list[EntryMatch], ctx: DocContext) -> list[list[float]]:
        """One feature row per candidate entry: its best passage (by the rules) and how it relates."""
        return [pair_vector(ctx, m, best_pair(m)) for m in matches]

    def rescore(self, matches: list[EntryMatch], ctx: DocContext) -> None:
        """Set ``prob`` = P(the entry is a matter of this document, disclosed in its best passage) and
        rank entries by it (one batched prediction per document). The entry's qualifiers checked in
        that passage's section multiply P: a matter not in its secret state (已公布, 考试已结束, outside
        the entry's scale…) is not one, however concretely it is described. In several documents pasted
        together, the best passage of each document is read and the likeliest one counts: a document
        pasted after another never lowers what the scorer reads in it."""
        if not matches:
            return
        views = [_part_views(ctx, m) for m in matches]
        rows = [pair_vector(ctx, v, x) for vs in views for v, x in vs]
        probs = self.pair_model.predict_proba(np.asarray(rows, dtype=np.float64))[:, 1]
        k = 0
        for m, vs in zip(matches, views):
            scored = [(float(probs[k + j]) * x.gate, j) for j, (_, x) in enumerate(vs)]
            k += len(vs)
            m.prob, j = max(scored, key=lambda s: (s[0], -s[1]))  # the first of equals: the best passage
            if j:
                view, x = vs[j]
                m.best, m.best_pair, m.coverage, m.window, m.title = x.index, x, view.coverage, view.window, view.title
            m.vetoable = m.entry_id in self.known_entries
            m.score = 0.5 * (m.rule_score + m.prob)
        matches.sort(key=lambda m: (-m.score, m.entry_id))

    def select_evidence(self, matters: list[EntryMatch], ctx: DocContext) -> None:
        """Set each matter's ``evidence`` to the passages the evidence model reads as its 密点 (one
        batched prediction per document); without an evidence model the rules' choice stays."""
        if self.evidence_model is None or not matters:
            return
        per = [evidence_rows(ctx, m) for m in matters]
        X = [row for _, rows in per for row in rows]
        if not X:
            return
        probs = self.evidence_model.predict_proba(np.asarray(X, dtype=np.float64))[:, 1].tolist()
        k = 0
        for m, (pairs, rows) in zip(matters, per):
            mine = probs[k : k + len(rows)]
            k += len(rows)
            if pairs:
                m.evidence = sorted((ctx.passages[pairs[j].index] for j in chosen_evidence(mine, self.evidence_from)),
                                    key=lambda p: p.start)

    def calibrate(self, raw: float) -> float:
        """Calibrated probability that the suggested level is right."""
        if self.calibrator is None:
            return raw
        return float(np.clip(self.calibrator.predict([raw])[0], 0.0, 1.0))
