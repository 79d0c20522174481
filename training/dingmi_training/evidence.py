"""The evidence model: which passages of a matter found are its 密点, learned from the corpus's annotated
passages; the threshold from which a passage is listed is chosen on leave-one-domain-out predictions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dingmi.engine import Engine, wants_learned
from dingmi.evaluate import overlap_counts
from dingmi.learned import LearnedScorer, chosen_evidence, evidence_rows

THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
# F1 gain a higher threshold (fewer passages listed) must show to be chosen: a 密点 left unlisted costs
# more than a passage listed in excess, and the held-out objective is flat around its best
MARGIN = 0.005


@dataclass
class EvidenceData:
    """Candidate passages of the matters found in annotated documents: features, labels (the passage
    overlaps an annotated 密点), original spans, and the document and matter each comes from."""

    X: list[list[float]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    doc: list[int] = field(default_factory=list)
    matter: list[int] = field(default_factory=list)
    gold: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


def gold_spans(row: dict[str, Any]) -> list[tuple[int, int]]:
    """Annotated 密点 of a training row as (start, end) in its text."""
    out = []
    for p in row.get("passages") or []:
        i = row["text"].find(p["text"])
        if i >= 0:
            out.append((i, i + len(p["text"])))
    return out


def evidence_data(analyses: list[Any], rows: list[dict[str, Any]], engine_of: Callable[[dict[str, Any]], Engine],
                  scorer: LearnedScorer) -> EvidenceData:
    """The matters the engine finds with ``scorer`` in every annotated document, and their candidates."""
    data = EvidenceData()
    n_matter = 0
    for i, (a, r) in enumerate(zip(analyses, rows)):
        gold = gold_spans(r)
        if not gold:
            continue
        data.gold[i] = gold
        for m in a.matches:
            m.prob, m.score = None, m.rule_score
        if wants_learned(a.matches):
            scorer.rescore(a.matches, a.ctx)
        engine = engine_of(r)
        engine.scorer = scorer
        for m in engine._decide(a).found:
            pairs, X = evidence_rows(a.ctx, m)
            for x, row in zip(pairs, X):
                p = a.passages[x.index]
                s, t = a.view.to_original(p.start, p.end)
                data.X.append(row)
                data.y.append(int(any(s < e and b < t for b, e in gold)))
                data.spans.append((s, t))
                data.doc.append(i)
                data.matter.append(n_matter)
            n_matter += 1
    return data


def span_scores(data: EvidenceData, probs: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """Evidence precision, passage recall and their F1 when each matter lists ``chosen_evidence``."""
    by_matter: dict[int, list[int]] = {}
    for j, mt in enumerate(data.matter):
        by_matter.setdefault(mt, []).append(j)
    listed: dict[int, set[tuple[int, int]]] = {}
    for js in by_matter.values():
        chosen = chosen_evidence([float(probs[j]) for j in js], threshold)
        listed.setdefault(data.doc[js[0]], set()).update(data.spans[js[k]] for k in chosen)
    n, hit, n_gold, found = overlap_counts((spans, data.gold[doc]) for doc, spans in listed.items())
    precision, recall = hit / n if n else 0.0, found / n_gold if n_gold else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def fit_evidence(data: EvidenceData, groups: list[str], fit: Callable[[list[list[float]], list[int]], Any]) -> tuple[Any, float, dict[str, Any]]:
    """The evidence model on all pairs, and the threshold that does best on held-out domains (every
    annotated document's pairs scored by a model fitted without its domain)."""
    X, y = np.asarray(data.X, dtype=np.float64), np.asarray(data.y)
    group = np.asarray([groups[i] for i in data.doc])
    probs = np.zeros(len(y))
    for g in sorted(set(group)):
        held = group == g
        if len(set(y[~held])) < 2:
            continue
        probs[held] = fit(X[~held].tolist(), y[~held].tolist()).predict_proba(X[held])[:, 1]
    best, threshold = -1.0, THRESHOLDS[0]
    for t in THRESHOLDS:  # from the most passages listed: fewer only for a clear gain
        f1 = span_scores(data, probs, t)[2]
        if f1 > best + MARGIN:
            best, threshold = f1, t
    precision, recall, f1 = span_scores(data, probs, threshold)
    figures = {"evidence_from": threshold, "lodo_evidence_precision": precision, "lodo_evidence_recall": recall,
               "lodo_evidence_f1": f1, "evidence_pairs": len(y), "evidence_positive": int(y.sum())}
    return fit(data.X, data.y), threshold, figures
