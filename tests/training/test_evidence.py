"""The evidence model: which passages of a matter found are listed as its 密点, and how its threshold is chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dingmi.engine import Engine, load_engine
from dingmi.learned import EVIDENCE_FEATURES, chosen_evidence, evidence_rows
from dingmi_training.evidence import EvidenceData, fit_evidence, span_scores

ANSWERS = """某省教育考试院

关于2026年高中学业水平考试数学科参考答案和评分细则的通知

各市考试机构：
　　2026年6月全省高中学业水平考试数学科参考答案和评分细则已审定，现印发给你们，请严格控制知悉范围。
　　一、选择题（第1—12题）参考答案依次为B、D、A、C、C、B、A、D、B、C、A、D。
　　二、第18题满分12分，求出通项公式得4分，证明不等式得5分，结论正确得3分。
　　三、阅卷点报到时间为6月22日，住宿安排在考试院招待所。

某省教育考试院
2026年6月10日
"""


def _listed(engine: Engine, text: str) -> list[tuple[int, int]]:
    return [(e.start, e.end) for e in engine.suggest(text).evidence]


def test_listed_passages_are_those_the_model_reads_as_secret_points(tiny_bundle: Path) -> None:
    engine = load_engine(bundle=tiny_bundle)
    scorer = engine.scorer
    assert scorer.evidence_model is not None and 0 < scorer.evidence_from < 1

    def expected(threshold: float) -> list[tuple[int, int]]:
        a, decision = engine._run(ANSWERS, "")
        assert decision.found
        spans = set()
        for m in decision.found:
            pairs, rows = evidence_rows(a.ctx, m)
            assert rows and all(len(r) == len(EVIDENCE_FEATURES) for r in rows)
            probs = scorer.evidence_model.predict_proba(np.asarray(rows))[:, 1].tolist()
            spans |= {a.view.to_original(a.passages[pairs[k].index].start, a.passages[pairs[k].index].end)
                      for k in chosen_evidence(probs, threshold)}
        return sorted(spans)

    assert _listed(engine, ANSWERS) == expected(scorer.evidence_from)
    # the threshold decides: from 0 every candidate is listed, above 1 only each matter's likeliest
    saved = scorer.evidence_from
    try:
        for threshold in (0.0, 1.01):
            scorer.evidence_from = threshold
            assert _listed(engine, ANSWERS) == expected(threshold)
        assert len(_listed(engine, ANSWERS)) < len(expected(0.0))
    finally:
        scorer.evidence_from = saved
    listed = [e.text for e in engine.suggest(ANSWERS).evidence]
    assert any("依次为B、D、A" in t for t in listed)
    assert not any("住宿" in t for t in listed)  # logistics name the topic, they disclose nothing


MANY_POINTS = "某省教育考试院\n\n关于2026年高中学业水平考试数学科参考答案和评分细则的通知\n\n各市考试机构：\n　　2026年6月全省高中学业水平考试数学科参考答案和评分细则已审定，现印发给你们，请严格控制知悉范围。\n" + "".join(
    f"　　{k}、第{10 + k}题满分{6 + k}分，求出{w}得{2 + k % 3}分，结论正确得{1 + k % 2}分，答案为{a}。\n"
    for k, (w, a) in enumerate([("通项公式", "C"), ("切线方程", "B"), ("概率分布", "D"), ("二面角", "A"),
                                ("离心率", "B"), ("极值点", "C"), ("余弦值", "D"), ("期望值", "A")], start=1)
) + "\n某省教育考试院\n2026年6月10日\n"


def test_lowering_widens_by_every_passage_the_rules_hold_for_a_secret_point(tiny_bundle: Path) -> None:
    """Eight scoring passages, the model made to list one: the re-check still reaches a lower level
    (widening one listed passage per round would stop after four re-checks with the level unchanged)."""
    engine = load_engine(bundle=tiny_bundle)
    saved, engine.scorer.evidence_from = engine.scorer.evidence_from, 1.01  # the scorer may be shared: restored below
    try:
        s = engine.suggest(MANY_POINTS)
    finally:
        engine.scorer.evidence_from = saved
    assert s.level in ("绝密", "机密") and len(s.evidence) == 1
    low = s.lowering[0]
    assert low.level_after == "非密" and len(low.remove) > 4
    cut = MANY_POINTS
    for e in sorted(low.remove, key=lambda e: -e.start):
        cut = cut[: e.start] + cut[e.end :]
    assert engine.suggest(cut).level == low.level_after


def test_without_an_evidence_model_the_rules_choose() -> None:
    rules = load_engine()
    assert rules.scorer is None
    a, decision = rules._run(ANSWERS, "")
    assert decision.found and all(m.evidence for m in decision.found)


def test_the_likeliest_candidate_is_listed_when_none_reaches_the_threshold() -> None:
    assert chosen_evidence([0.1, 0.3, 0.2], 0.5) == [1]
    assert chosen_evidence([0.6, 0.3, 0.7], 0.5) == [0, 2]
    assert chosen_evidence([], 0.5) == []


def _data(probs_by_doc: list[list[tuple[float, int]]]) -> tuple[EvidenceData, np.ndarray]:
    """One matter per document; each candidate a (P, gold) pair with a span of its own."""
    data, probs = EvidenceData(), []
    for doc, cands in enumerate(probs_by_doc):
        gold = []
        for k, (p, is_gold) in enumerate(cands):
            span = (10 * k, 10 * k + 5)
            data.X.append([p])
            data.y.append(is_gold)
            data.spans.append(span)
            data.doc.append(doc)
            data.matter.append(doc)
            probs.append(p)
            if is_gold:
                gold.append(span)
        data.gold[doc] = gold or [(1000, 1001)]
    return data, np.asarray(probs)


def test_span_scores_pool_precision_and_recall_over_documents() -> None:
    data, probs = _data([[(0.9, 1), (0.45, 1), (0.42, 0)], [(0.3, 0), (0.1, 1)]])
    # at 0.4: doc 0 lists all three (2 right), doc 1 lists its likeliest (wrong); 2 of 3 gold passages found
    precision, recall, f1 = span_scores(data, probs, 0.4)
    assert (precision, recall) == (2 / 4, 2 / 3)
    assert abs(f1 - 2 * precision * recall / (precision + recall)) < 1e-12
    assert span_scores(data, probs, 0.5)[:2] == (1 / 2, 1 / 3)


class _Fixed:
    """A 'model' that returns each row's first feature as its P (what a fit would learn, made plain)."""

    def predict_proba(self, X: Any) -> np.ndarray:
        p = np.asarray(X, dtype=np.float64)[:, 0]
        return np.stack([1 - p, p], axis=1)


def test_a_higher_threshold_is_chosen_only_for_a_clear_gain() -> None:
    # held-out F1 is flat from 0.2 to 0.6 on these documents: the lowest threshold (most listed) stays
    data, _ = _data([[(0.9, 1), (0.1, 0)], [(0.8, 1), (0.05, 0)]])
    model, threshold, figures = fit_evidence(data, ["a", "b"], lambda X, y: _Fixed())
    assert threshold == 0.2 and figures["lodo_evidence_f1"] == 1.0
    # a decoy at 0.3 in every document: listing from 0.35 on is clearly better
    data, _ = _data([[(0.9, 1), (0.3, 0)], [(0.8, 1), (0.3, 0)]])
    _, threshold, figures = fit_evidence(data, ["a", "b"], lambda X, y: _Fixed())
    assert threshold == 0.35 and figures["lodo_evidence_precision"] == 1.0


class _ByLocal:
    """A pair model whose P is the pair's ``local`` feature (the first): which passage it prefers is plain."""

    def predict_proba(self, X: Any) -> np.ndarray:
        p = np.clip(np.asarray(X, dtype=np.float64)[:, 0], 0.0, 1.0)
        return np.stack([1 - p, p], axis=1)


def test_in_documents_pasted_together_the_likeliest_document_counts() -> None:
    """Each document's best passage is read and the likeliest counts, so a document pasted after another
    never lowers what the scorer reads in the first."""
    from documents import EXAM_BEFORE

    from dingmi.learned import LearnedScorer

    engine = load_engine()
    scorer = LearnedScorer(_ByLocal(), None, None, {})
    text = EXAM_BEFORE + "\n" + EXAM_BEFORE.replace("18号", "19号").replace("试卷及参考答案", "试卷、参考答案和评分标准")
    a = engine.analyse(text)
    assert max(p.part for p in a.passages) == 1
    matches = [m for m in a.matches if {a.passages[x.index].part for x in m.pairs if x.score > 0} == {0, 1}]
    assert matches
    for m in matches:
        expected = max(x.local * x.gate for part in (0, 1)
                       for x in [max((y for y in m.pairs if a.passages[y.index].part == part and y.score > 0),
                                     key=lambda y: y.score)])
        scorer.rescore([m], a.ctx)
        assert abs(m.prob - expected) < 1e-12
        assert m.best_pair is not None and m.best_pair.index == m.best
        assert abs(m.best_pair.local * m.best_pair.gate - m.prob) < 1e-12
