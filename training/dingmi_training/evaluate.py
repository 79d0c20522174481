"""Evaluation reports (metrics.json + report.md) and the held-out-domain cross-check."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from dingmi.catalog import default_catalog_path, load_catalogs
from dingmi.engine import Engine
from dingmi.evaluate import engine_predictor, evaluate, format_report, keyword_predictor
from dingmi.profiles import load_expert_profiles
from dingmi_training.train import build


def full_report(rows: list[dict[str, Any]], engine: Engine, rules: Engine, name: str) -> dict[str, Any]:
    """The engine, the rules alone and the keyword baseline on the same rows."""
    return {
        name: evaluate(rows, engine_predictor(engine)),
        "rules_only": evaluate(rows, engine_predictor(rules)),
        "keyword_baseline": evaluate(rows, keyword_predictor(rules)),
    }


def write_report(results: dict[str, Any], out: Path, title: str) -> None:
    """metrics.json and a readable report.md in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    names = list(results)
    main = results[names[0]]
    lines = [f"# {title}", ""]
    lines.append(format_report(names[0], main, results.get("keyword_baseline")))
    if "rules_only" in results:
        r = results["rules_only"]
        lines += ["", f"仅规则（无学习模型）：准确率 {r['accuracy']:.3f}，宏平均F1 {r['macro_f1']:.3f}，定低率 {r['under_rate']:.3f}，定高率 {r['over_rate']:.3f}"]
    lines += ["", "## 混淆矩阵（应为→建议）", "", "| 应为→建议 | 篇数 |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in main["confusion"].items()]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def cross_domain(domain: str, rows: list[dict[str, Any]], dev_rows: list[dict[str, Any]], progress: Any = None) -> dict[str, Any]:
    """Train without one domain's entries and examples; load that domain as an extra catalog file with
    no expert edits; score the held-out domain's documents (what a new organisation would see)."""
    lines = default_catalog_path().read_text(encoding="utf-8").splitlines()
    held_lines = [line for line in lines if line.strip() and json.loads(line)["domain"] == domain]
    if not held_lines:
        raise ValueError(domain)
    held_ids = {json.loads(line)["id"] for line in held_lines}
    with tempfile.TemporaryDirectory() as tmp:
        base_path, held_path = Path(tmp) / "reference_without.jsonl", Path(tmp) / "organisation.jsonl"
        base_path.write_text("\n".join(line for line in lines if line.strip() and line not in held_lines) + "\n", encoding="utf-8")
        held_path.write_text("\n".join(held_lines) + "\n", encoding="utf-8")
        base = load_catalogs([base_path])
        train_rows = [r for r in rows if not set(r.get("expected_entries") or []) & held_ids]
        scorer, _ = build(train_rows, base, progress or (lambda *_: None))
        expert = {k: v for k, v in load_expert_profiles().items() if k not in held_ids}
        both = load_catalogs([base_path, held_path])
        engine = Engine(both, scorer, "cross-domain", expert=expert)
        rules = Engine(both, None, expert=expert)

        def of_domain(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [r for r in rs if set(r.get("expected_entries") or []) & held_ids]

        out = {"domain": domain, "held_out_entries": sorted(held_ids), "training_examples": len(train_rows)}
        for name, subset in (("corpus_held_out", of_domain(rows)), ("dev", of_domain(dev_rows))):
            if subset:
                out[name] = {"documents": len(subset), **{k: v for k, v in full_report(subset, engine, rules, "dingmi").items()}}
        return out
