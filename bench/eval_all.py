"""Every development set side by side: level, entries, periods, calibration, 密点 and robustness.

    python bench/eval_all.py [--eval-dir DIR] [--configs rules,plain,bundle] [--robust] [--out FILE]

Configurations: ``rules`` (rules with the optional expert edits and lexicon), ``plain`` (rules with
no expert edits and no lexicon: what any organisation's catalog gets), ``bundle`` (the default
learned bundle on top of the rules), ``bundle_plain`` (the bundle with no expert edits or lexicon). ``dev_unseen`` is read with its own catalog loaded beside the
reference one (measurement only). Nothing here trains on these sets.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from dingmi.evaluate import (
    Prediction, passage_scores, read_labelled, read_passages, robustness, score,
)

ROOT = Path(__file__).resolve().parents[1]
BUNDLE: Path | None = None
SETS = (("dev", ()), ("dev_realistic", ()), ("dev_unseen", ("unseen_catalog.jsonl",)))
SHOWN = [
    ("macro_f1", "macro-F1"), ("accuracy", "accuracy"), ("under_rate", "under"), ("over_rate", "over"),
    ("fp_rate_negatives", "FP topic/temporal"), ("fp_meta", "FP meta"), ("entry_top1", "entry top-1"),
    ("entry_top3", "entry top-3"), ("period_agreement", "period"), ("ece", "ECE"),
    ("wrong_unflagged", "wrong w/o review"), ("evidence_precision", "密点 precision"),
    ("passage_recall", "密点 recall"), ("dilution", "dilution kept"), ("position", "public before kept"), ("invisible", "U+200B kept"),
    ("reflow", "reflow kept"), ("lowering", "lowering promise"), ("seconds", "seconds"),
]


def default_eval_dir() -> Path:
    for d in (ROOT / "corpus" / "eval", ROOT.parent / "shared" / "eval"):
        if (d / "dev.jsonl").exists():
            return d
    sys.exit("找不到评测集目录（corpus/eval 或 ../shared/eval）")


def make_engine(config: str, catalogs: tuple[str, ...], eval_dir: Path) -> Any:
    from dingmi.engine import load_engine

    paths = [eval_dir / c for c in catalogs]
    if config in ("bundle", "bundle_plain"):
        from dingmi.bundle import default_bundle_dir, ensure_default_bundle

        if BUNDLE is None:
            ensure_default_bundle(default_bundle_dir())
        return load_engine(paths, BUNDLE or default_bundle_dir(), expert_edits=(config == "bundle"))
    return load_engine(paths, expert_edits=(config != "plain"))


def run_set(engine: Any, rows: list[dict[str, Any]], passages: dict[str, Any], robust: bool) -> dict[str, Any]:
    t = time.perf_counter()
    sugg = [engine.suggest(r["text"], title=r.get("title", "")) for r in rows]
    preds = [Prediction(s.level, [e.id for e in s.entries], s.period, s.confidence) for s in sugg]
    m = score(rows, preds)
    meta = [p for r, p in zip(rows, preds) if r.get("kind") == "meta_negative"]
    m["fp_meta"] = sum(p.level != "非密" for p in meta) / len(meta) if meta else None
    wrong = [s for r, s in zip(rows, sugg) if s.level != r["expected_level"]]
    m["wrong_unflagged"] = f"{sum('needs_review' not in s.flags for s in wrong)}/{len(wrong)}"
    spans = [[(e.start, e.end) for e in s.evidence] for s in sugg]
    m.update(passage_scores(rows, spans, passages))
    if robust:
        public = [r["text"] for r in rows if r["expected_level"] == "非密" and r.get("kind") != "meta_negative"]
        for k, v in robustness(lambda text: engine.suggest(text), rows, public).items():
            m[k] = v["kept"]
    m["seconds"] = time.perf_counter() - t
    m["_per_doc"] = [
        {"id": r["id"], "expected": r["expected_level"], "got": s.level, "entries": [e.id for e in s.entries[:3]],
         "expected_entries": r.get("expected_entries", []), "confidence": s.confidence, "flags": s.flags}
        for r, s in zip(rows, sugg)
    ]
    return m


def fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=None)
    ap.add_argument("--configs", default="rules,plain")
    ap.add_argument("--sets", default=",".join(s for s, _ in SETS))
    ap.add_argument("--robust", action="store_true", help="also the four metamorphic properties (slower)")
    ap.add_argument("--bundle", type=Path, default=None, help="model bundle for the bundle configuration")
    ap.add_argument("--out", type=Path, default=None, help="all figures and per-document results as JSON")
    args = ap.parse_args()
    global BUNDLE
    BUNDLE = args.bundle
    eval_dir = args.eval_dir or default_eval_dir()
    passages = read_passages(eval_dir / "passages.jsonl")
    results: dict[str, dict[str, Any]] = {}
    wanted = args.sets.split(",")
    for config in args.configs.split(","):
        for name, catalogs in SETS:
            if name not in wanted:
                continue
            engine = make_engine(config, catalogs, eval_dir)
            rows = read_labelled(eval_dir / f"{name}.jsonl")
            results[f"{name}/{config}"] = run_set(engine, rows, passages, args.robust)
    cols = list(results)
    print("| metric | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for key, label in SHOWN:
        if any(key in results[c] for c in cols):
            print(f"| {label} | " + " | ".join(fmt(results[c].get(key)) for c in cols) + " |")
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
