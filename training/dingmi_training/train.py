"""Build a model bundle from corpus/labeled: spaCy textcat, pair scorer, calibrator (fixed seeds)."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import spacy
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from spacy.training import Example

from dingmi.bundle import write_meta
from dingmi.catalog import Catalog, load_default
from dingmi.engine import Engine, raw_confidence, wants_learned
from dingmi.learned import LearnedScorer
from dingmi.profiles import load_lexicon
from dingmi.spacy_jieba import blank_pipeline
from dingmi_training.data import dataset_sha256, fold_of

SEED = 20261127
FOLDS = 5
CANDIDATES = 8
Progress = Callable[[str, int, int], None]


def _quiet(_: str, __: int, ___: int) -> None:
    return None


def doc_label(level: str) -> str:
    return "PUBLIC" if level == "非密" else "INTERNAL" if level == "内部" else "SECRET"


def train_textcat(rows: list[dict[str, Any]], words: list[str], epochs: int = 8, seed: int = SEED) -> Any:
    """spaCy pipeline: jieba tokenizer + exclusive textcat (SECRET / INTERNAL / PUBLIC)."""
    spacy.util.fix_random_seed(seed)
    nlp = blank_pipeline(words)
    textcat = nlp.add_pipe("textcat", config={"model": {"@architectures": "spacy.TextCatBOW.v3",
                                                        "exclusive_classes": True, "ngram_size": 2,
                                                        "no_output_layer": False}})
    for label in ("SECRET", "INTERNAL", "PUBLIC"):
        textcat.add_label(label)
    docs = [nlp.make_doc(r["text"][:5000]) for r in rows]
    examples = [
        Example.from_dict(d, {"cats": {k: float(k == doc_label(r["expected_level"])) for k in ("SECRET", "INTERNAL", "PUBLIC")}})
        for d, r in zip(docs, rows)
    ]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in spacy.util.minibatch(examples, size=16):
            nlp.update(batch, sgd=optimizer, drop=0.1)
    return nlp


@dataclass
class PairData:
    X: list[list[float]]
    y: list[int]
    doc_index: list[int]


def pair_data(engine: Engine, scorer: LearnedScorer, rows: list[dict[str, Any]], probs: list[tuple[float, float]]) -> PairData:
    """Feature rows of the top candidates of every document; label = entry listed for it."""
    X, y, idx = [], [], []
    for i, (r, (p_secret, p_internal)) in enumerate(zip(rows, probs)):
        a = engine.analyse(r["text"], r.get("title", ""))
        a.doc.p_secret, a.doc.p_internal = p_secret, p_internal
        top = a.matches[:CANDIDATES]
        if not top:
            continue
        gold = set(r.get("expected_entries") or [])
        X += scorer.pair_rows(top, a.norm, a.state, a.doc)
        y += [int(m.entry_id in gold) for m in top]
        idx += [i] * len(top)
    return PairData(X, y, idx)


def fit_pair_model(data: PairData, seed: int = SEED) -> Any:
    """Logistic regression over standardised features: fast to apply per document (a dot product)."""
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, random_state=seed))
    model.fit(np.asarray(data.X), np.asarray(data.y))
    return model


def build(rows: list[dict[str, Any]], catalog: Catalog, progress: Progress = _quiet,
          learned_terms: dict[str, list[str]] | None = None, seed: int = SEED,
          n_folds: int = FOLDS) -> tuple[LearnedScorer, dict[str, Any]]:
    """Train every learned part; out-of-fold predictions feed the pair model and the calibrator."""
    learned_terms = learned_terms or {}
    words = sorted(load_lexicon())
    steps = n_folds * 2 + 3
    step = 0
    texts = [r["text"] for r in rows]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=1, dtype=np.float32)
    vectorizer.fit(texts + [e.text for e in catalog.entries])
    folds = [fold_of(r["id"], n_folds) for r in rows]

    # 1. out-of-fold document probabilities from the textcat
    probs: list[tuple[float, float]] = [(0.0, 0.0)] * len(rows)
    for k in range(n_folds):
        progress("文档分类器（交叉）", step := step + 1, steps)
        nlp_k = train_textcat([r for r, f in zip(rows, folds) if f != k], words, seed=seed)
        for i, (r, f) in enumerate(zip(rows, folds)):
            if f == k:
                cats = nlp_k(r["text"][:5000]).cats
                probs[i] = (cats["SECRET"], cats["INTERNAL"])
    progress("文档分类器", step := step + 1, steps)
    nlp = train_textcat(rows, words, seed=seed)

    known = frozenset(e for r in rows for e in r.get("expected_entries") or [])
    engine = Engine(catalog, LearnedScorer(None, vectorizer, None, None, learned_terms, known_entries=known))
    scorer = engine.scorer
    assert scorer is not None
    progress("候选条目特征", step := step + 1, steps)
    data = pair_data(engine, scorer, rows, probs)

    # 2. out-of-fold pair predictions → level decisions → calibration of confidence
    raw_conf = np.zeros(len(rows))
    correct = np.zeros(len(rows))
    for k in range(n_folds):
        progress("条目评分模型（交叉）", step := step + 1, steps)
        keep = [j for j, i in enumerate(data.doc_index) if folds[i] != k]
        model_k = fit_pair_model(PairData([data.X[j] for j in keep], [data.y[j] for j in keep], []), seed)
        fold_known = frozenset(e for r, f in zip(rows, folds) if f != k for e in r.get("expected_entries") or [])
        fold_scorer = LearnedScorer(model_k, vectorizer, None, None, learned_terms, known_entries=fold_known)
        fold_engine = Engine(catalog, fold_scorer)
        for i, r in enumerate(rows):
            if folds[i] != k:
                continue
            a = fold_engine.analyse(r["text"], r.get("title", ""))
            a.doc.p_secret, a.doc.p_internal = probs[i]
            if wants_learned(a.matches):
                fold_scorer.rescore(a.matches, a.norm, a.state, a.doc)
            d = fold_engine._decide(a)
            raw_conf[i] = raw_confidence(d)
            correct[i] = float(d.level == r["expected_level"])
    calibrator = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw_conf, correct)
    progress("条目评分模型", step := step + 1, steps)
    pair_model = fit_pair_model(data, seed)
    cv = {"oof_level_accuracy": float(correct.mean()), "pairs": len(data.y), "positive_pairs": int(sum(data.y))}
    return LearnedScorer(pair_model, vectorizer, nlp, calibrator, learned_terms, known_entries=known), cv


def save(scorer: LearnedScorer, out: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write the bundle directory (replacing ``out``) and its meta.json."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    joblib.dump({"pair_model": scorer.pair_model, "vectorizer": scorer.vectorizer, "calibrator": scorer.calibrator,
                 "learned_terms": scorer.learned_terms, "threshold": scorer.threshold,
                 "known_entries": sorted(scorer.known_entries)}, tmp / "pair_model.joblib")
    scorer.nlp.to_disk(tmp / "nlp")
    written = write_meta(tmp, meta)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return written


def train(rows: list[dict[str, Any]], out: Path, catalog_paths: Sequence[Path] = (), name: str = "dingmi",
          progress: Progress = _quiet, learned_terms: dict[str, list[str]] | None = None,
          catalog: Catalog | None = None, n_folds: int = FOLDS) -> dict[str, Any]:
    """Train and save a bundle; returns its meta."""
    catalog = catalog or load_default(catalog_paths)
    scorer, cv = build(rows, catalog, progress, learned_terms, n_folds=n_folds)
    meta = {
        "name": name,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "catalog": {"version": catalog.version, "sha256": catalog.sha256, "entries": len(catalog)},
        "training_data": {"examples": len(rows), "sha256": dataset_sha256(rows)},
        "metrics": {"cross_validation": cv},
        "seed": SEED,
    }
    return save(scorer, out, meta)
