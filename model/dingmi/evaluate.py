"""Score a suggester on a labelled set (format of the shared dev set), beside a keyword baseline."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dingmi.errors import InputError
from dingmi.levels import LEVELS, rank

NEGATIVE_KINDS = ("topic_negative", "temporal_negative")


@dataclass(frozen=True)
class Prediction:
    """What a suggester said about one document."""

    level: str
    entries: list[str]
    period: str = ""
    confidence: float | None = None
    abstained: bool = False


def read_labelled(path: str | Path) -> list[dict[str, Any]]:
    """Labelled documents; a bad line is an error naming the line."""
    rows = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if row["expected_level"] not in LEVELS or not isinstance(row["text"], str):
                raise ValueError
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"评测文件 {path} 第{i}行格式错误（需要 text 和 expected_level 字段）", code="DM120") from exc
        rows.append(row)
    return rows


def score(rows: list[dict[str, Any]], preds: list[Prediction]) -> dict[str, Any]:
    """Accuracy, macro-F1, under/over rates, FP on negatives, entry top-k, per kind, ECE."""
    n = len(rows)
    gold = [r["expected_level"] for r in rows]
    got = [p.level for p in preds]
    per_label = {}
    for label in LEVELS:
        tp = sum(g == label and p == label for g, p in zip(gold, got))
        fp = sum(g != label and p == label for g, p in zip(gold, got))
        fn = sum(g == label and p != label for g, p in zip(gold, got))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_label[label] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn}
    with_entries = [(r, p) for r, p in zip(rows, preds) if r.get("expected_entries")]
    negatives = [(r, p) for r, p in zip(rows, preds) if r.get("kind") in NEGATIVE_KINDS]
    periods = [(r, p) for r, p in zip(rows, preds) if r.get("expected_period")]
    kinds: dict[str, list[bool]] = defaultdict(list)
    for r, p in zip(rows, preds):
        kinds[r.get("kind", "")].append(p.level == r["expected_level"])
    confusion = Counter((g, p) for g, p in zip(gold, got))
    return {
        "documents": n,
        "accuracy": sum(g == p for g, p in zip(gold, got)) / n if n else 0.0,
        "macro_f1": sum(v["f1"] for v in per_label.values() if v["support"]) / max(1, sum(1 for v in per_label.values() if v["support"])),
        "under_rate": sum(rank(p) < rank(g) for g, p in zip(gold, got)) / n if n else 0.0,
        "over_rate": sum(rank(p) > rank(g) for g, p in zip(gold, got)) / n if n else 0.0,
        "fp_rate_negatives": sum(p.level != "非密" for _, p in negatives) / len(negatives) if negatives else 0.0,
        "entry_top1": sum(bool(p.entries[:1]) and p.entries[0] in r["expected_entries"] for r, p in with_entries) / len(with_entries) if with_entries else 0.0,
        "entry_top3": sum(bool(set(p.entries[:3]) & set(r["expected_entries"])) for r, p in with_entries) / len(with_entries) if with_entries else 0.0,
        "period_agreement": sum(p.period == r["expected_period"] for r, p in periods) / len(periods) if periods else 0.0,
        "abstention_rate": sum(p.abstained for p in preds) / n if n else 0.0,
        "ece": expected_calibration_error(gold, preds),
        "per_label": per_label,
        "per_kind": {k: {"n": len(v), "accuracy": sum(v) / len(v)} for k, v in sorted(kinds.items())},
        "confusion": {f"{g}→{p}": c for (g, p), c in sorted(confusion.items(), key=lambda kv: (rank(kv[0][0]), rank(kv[0][1])))},
    }


def expected_calibration_error(gold: list[str], preds: list[Prediction], bins: int = 10) -> float | None:
    """ECE of ``confidence`` against level correctness (equal-width bins)."""
    pairs = [(p.confidence, p.level == g) for g, p in zip(gold, preds) if p.confidence is not None]
    if not pairs:
        return None
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [(c, ok) for c, ok in pairs if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if members:
            conf = sum(c for c, _ in members) / len(members)
            acc = sum(ok for _, ok in members) / len(members)
            total += len(members) / len(pairs) * abs(conf - acc)
    return total


def evaluate(rows: list[dict[str, Any]], predict: Callable[[dict[str, Any]], Prediction]) -> dict[str, Any]:
    """Run a suggester over labelled rows and score it."""
    return score(rows, [predict(r) for r in rows])


def engine_predictor(engine: Any) -> Callable[[dict[str, Any]], Prediction]:
    """Adapter: the engine as a predictor."""
    def predict(row: dict[str, Any]) -> Prediction:
        s = engine.suggest(row["text"], title=row.get("title", ""))
        return Prediction(s.level, [e.id for e in s.entries], s.period, s.confidence, False)
    return predict


def keyword_predictor(engine: Any) -> Callable[[dict[str, Any]], Prediction]:
    """Baseline: an entry matches when most of its keywords occur; the level is the highest match."""
    profiles = engine.matcher.profiles

    def predict(row: dict[str, Any]) -> Prediction:
        from dingmi.text import normalize

        forms = engine.matcher.scan(normalize(row["text"]))
        hits = []
        for p in profiles:
            found = sum(any(f in forms for f in t.forms) for t in p.terms)
            need = max(1, (len(p.terms) + 1) // 2)
            if p.terms and found >= need:
                hits.append((found / len(p.terms), p.entry))
        hits.sort(key=lambda h: (-h[0], h[1].id))
        level = max((e.level for _, e in hits), key=rank, default="非密")
        return Prediction(level, [e.id for _, e in hits], "", None, False)
    return predict


def format_report(name: str, m: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    """A readable table (Markdown) of the main figures, the baseline beside them."""
    keys = [
        ("accuracy", "准确率"), ("macro_f1", "宏平均F1"), ("under_rate", "定低率"), ("over_rate", "定高率"),
        ("fp_rate_negatives", "非密误报率"), ("entry_top1", "条目Top-1"), ("entry_top3", "条目Top-3"),
        ("period_agreement", "期限一致率"), ("ece", "校准误差ECE"),
    ]
    head = f"| 指标 | {name} |" + (" 关键词基线 |" if baseline else "")
    lines = [f"评测集：{m['documents']}篇", "", head, "|---|---|" + ("---|" if baseline else "")]
    for k, label in keys:
        v = m.get(k)
        b = baseline.get(k) if baseline else None
        cell = "—" if v is None else f"{v:.3f}"
        lines.append(f"| {label} | {cell} |" + ((" —" if b is None else f" {b:.3f}") + " |" if baseline else ""))
    lines += ["", "| 类别 | 篇数 | 准确率 |", "|---|---|---|"]
    lines += [f"| {k} | {v['n']} | {v['accuracy']:.3f} |" for k, v in m["per_kind"].items()]
    lines += ["", "| 密级 | 精确率 | 召回率 | F1 | 篇数 |", "|---|---|---|---|---|"]
    lines += [f"| {k} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |" for k, v in m["per_label"].items()]
    return "\n".join(lines)


def iter_jsonl(lines: Iterable[str]) -> Iterable[tuple[int, str]]:
    """Numbered non-blank lines."""
    for i, line in enumerate(lines, start=1):
        if line.strip():
            yield i, line


# ---------------------------------------------------------------- 密点 (passages) and robustness


def read_passages(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Annotated 密点 per document id (format of the shared ``passages.jsonl``)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for _, line in iter_jsonl(Path(path).read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        out[row["id"]] = row["passages"]
    return out


def passage_scores(rows: list[dict[str, Any]], evidence: list[list[tuple[int, int]]],
                   passages: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Evidence precision (share of evidence spans overlapping an annotated passage) and passage recall
    (share of passages some evidence span overlaps), pooled over the annotated documents."""
    docs = []
    for row, spans in zip(rows, evidence):
        gold = passages.get(row["id"])
        if gold is not None:
            text = row["text"]
            docs.append((spans, [(text.index(p["text"]), text.index(p["text"]) + len(p["text"])) for p in gold]))
    spans_total, spans_hit, pass_total, pass_hit = overlap_counts(docs)
    return {
        "evidence_precision": spans_hit / spans_total if spans_total else 0.0,
        "passage_recall": pass_hit / pass_total if pass_total else 0.0,
        "evidence_spans": spans_total,
        "passages": pass_total,
    }


def overlap_counts(docs: Iterable[tuple[Iterable[tuple[int, int]], list[tuple[int, int]]]]) -> tuple[int, int, int, int]:
    """Over (listed spans, annotated spans) per document: spans listed, listed spans overlapping an
    annotated one, annotated spans, annotated spans some listed span overlaps."""
    listed_total = listed_hit = gold_total = gold_hit = 0
    for listed, gold in docs:
        listed = list(listed)
        listed_total += len(listed)
        listed_hit += sum(any(a < d and c < b for c, d in gold) for a, b in listed)
        gold_total += len(gold)
        gold_hit += sum(any(a < d and c < b for a, b in listed) for c, d in gold)
    return listed_total, listed_hit, gold_total, gold_hit


def insert_invisible(text: str, char: str = "\u200b") -> str:
    """A zero-width character after every character (text pasted from web pages)."""
    return "".join(c + char for c in text)


def reflow(text: str, width: int = 23) -> str:
    """A PDF paste: every line hard-wrapped at ``width`` characters (paragraph ends kept, as PDF text
    extraction keeps them) and a page-number line every 30 lines."""
    lines = []
    for line in text.split("\n"):
        lines += [line[i : i + width] for i in range(0, len(line), width)] or [""]
    out = []
    for i, line in enumerate(lines, start=1):
        out.append(line)
        if i % 30 == 0:
            out.append(f"- {i // 30} -")
    return "\n".join(out)


def robustness(suggest: Callable[[str], Any], rows: list[dict[str, Any]], public: list[str]) -> dict[str, Any]:
    """The metamorphic properties over every secret document: appending two public documents never
    lowers the level, and neither does placing them before it (``position``); zero-width characters and
    PDF reflow change nothing; deleting the spans that ``lowering`` names gives the promised level."""
    counts: dict[str, list[bool]] = defaultdict(list)
    secret = [r for r in rows if rank(r["expected_level"]) >= rank("秘密")]
    for i, row in enumerate(secret):
        text = row["text"]
        base = suggest(text)
        if public:
            extra = "\n\n".join(public[(i + k) % len(public)] for k in (0, 1))
            counts["dilution"].append(rank(suggest(text + "\n\n" + extra).level) >= rank(base.level))
            counts["position"].append(rank(suggest(extra + "\n\n" + text).level) >= rank(base.level))
        counts["invisible"].append(suggest(insert_invisible(text)).level == base.level)
        counts["reflow"].append(suggest(reflow(text)).level == base.level)
        if base.lowering:
            low = base.lowering[0]
            cut = text
            for e in sorted(low.remove, key=lambda e: -e.start):
                cut = cut[: e.start] + cut[e.end :]
            counts["lowering"].append(suggest(cut).level == low.level_after)
    return {k: {"n": len(v), "kept": sum(v) / len(v) if v else 0.0} for k, v in counts.items()}
