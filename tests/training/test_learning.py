"""Held-out domain, learning from decisions, review export, first-use bundle, no dev text in corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dingmi.catalog import corpus_dir, default_catalog_path, load_catalogs
from dingmi.engine import Engine
from dingmi_training.data import load_examples, overlap_passages, scorer_only_dir
from dingmi_training.decisions import import_decisions, learned_terms
from dingmi_training.evaluate import cross_domain
from dingmi_training.review import export_review
from dingmi_training.train import build

EVAL = Path(__file__).resolve().parents[2] / "corpus" / "eval"


def test_held_out_domain_is_matched_from_its_catalog_file_alone(tiny_rows: list[dict[str, Any]]) -> None:
    result = cross_domain("水利", tiny_rows + [r for r in load_examples() if "water-01" in r["expected_entries"]], [])
    held = result["corpus_held_out"]
    assert result["held_out_entries"] == ["water-01"]
    assert held["documents"] >= 3
    # water-01 was never trained on and has no expert edits, yet the catalog file alone finds it
    assert held["dingmi"]["entry_top3"] >= 0.6
    assert held["dingmi"]["accuracy"] >= 0.5


ORG_ENTRY = {"id": "grain-01", "regulation": "粮食储备工作国家秘密范围的规定（示例）", "domain": "粮食", "item": "第三条（一）",
             "text": "中央储备粮动用方案及其实施安排", "level": "机密", "period": ""}

# Drafters describe the matter in their own words: none says 中央储备粮 or 动用方案.
ORG_DOCS = [
    ("某省粮食和物资储备局", "关于国家粮食应急投放调度安排的请示", "根据国家统一部署，拟于{m}月{d}日起从{a}直属库调出小麦{n}万吨投放市场，调度批次、出库顺序和承运车队安排见附表，投放计划尚未对外公布。"),
    ("某市粮食和物资储备局", "关于落实国家粮食应急投放任务的报告", "按照国家下达的投放计划，{a}直属库将分{n}批出库，首批于{m}月{d}日装车，调度路线经{a}至城区，投放数量严格保密。"),
    ("某省粮食和物资储备局", "关于国家粮食应急投放出库演练的通知", "定于{m}月{d}日组织{a}直属库出库演练，模拟投放小麦{n}万吨，调度指令按国家投放计划执行，演练方案不得扩散。"),
]


def _org_docs(count: int, start: int) -> list[str]:
    docs = []
    for i in range(start, start + count):
        organ, title, body = ORG_DOCS[i % len(ORG_DOCS)]
        text = body.format(m=i % 12 + 1, d=i % 27 + 1, a=["城北", "河西", "江南", "东港"][i % 4], n=i % 9 + 2)
        docs.append(f"{organ}\n\n{title}\n\n　　{text}\n　　特此报告。\n\n{organ}\n2026年{i % 12 + 1}月{i % 27 + 1}日\n")
    return docs


def test_a_handful_of_decisions_improves_recall_of_a_new_entry(tmp_path: Path, tiny_rows: list[dict[str, Any]]) -> None:
    org = tmp_path / "grain.jsonl"
    org.write_text(json.dumps(ORG_ENTRY, ensure_ascii=False) + "\n", encoding="utf-8")
    catalog = load_catalogs([default_catalog_path(), org])
    test_docs = _org_docs(9, 100)

    def recall(engine: Engine) -> float:
        hits = 0
        for t in test_docs:
            s = engine.suggest(t)
            hits += bool(s.entries) and s.entries[0].id == "grain-01" and s.level == "机密"
        return hits / len(test_docs)

    before = recall(Engine(catalog))
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text("\n".join(json.dumps(
        {"text": t, "action": "change", "level": "机密", "entries": ["grain-01"], "reason": "属于储备粮动用",
         "decided_by": "zhang", "decided_at": "2026-11-20"}, ensure_ascii=False) for t in _org_docs(6, 0)) + "\n", encoding="utf-8")
    labeled = tmp_path / "labeled"
    labeled.mkdir()
    assert import_decisions(decisions, labeled) == (6, 0)
    assert import_decisions(decisions, labeled) == (0, 6)  # importing twice adds nothing
    imported = [json.loads(line) for line in (labeled / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(r["source"] == "decision" and r["provenance"]["decided_by"] == "zhang" for r in imported)
    rows = tiny_rows + imported
    terms = learned_terms(rows)
    assert terms.get("grain-01")
    scorer, _ = build(rows, catalog, learned_terms=terms)
    after = recall(Engine(catalog, scorer))
    assert before <= 0.35
    assert after >= before + 0.5


def test_export_review_puts_hard_cases_first(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    rows = [
        {"id": "a", "text": "甲", "level": "机密", "confidence": 0.9, "flags": []},
        {"id": "b", "text": "乙", "level": "秘密", "confidence": 0.55, "flags": ["needs_review"]},
        {"id": "c", "text": "丙", "level": "秘密", "confidence": 0.3, "flags": ["unclear_matter", "needs_review"]},
        {"id": "d", "error": "无法读取"},
    ]
    results.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "tasks.jsonl"
    assert export_review(results, out) == 2
    tasks = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [t["meta"]["id"] for t in tasks] == ["c", "b"]
    assert {"text", "suggestion", "options", "_input_hash"} <= tasks[0].keys()


def test_first_use_builds_the_default_bundle_with_a_message(tmp_path: Path, tiny_corpus: Path) -> None:
    env = {**os.environ, "DINGMI_CORPUS_DIR": str(tiny_corpus), "DINGMI_DATA_DIR": str(tmp_path / "data")}
    env.pop("DINGMI_BUNDLE", None)
    f = tmp_path / "doc.txt"
    f.write_text("某省教育考试院\n\n关于试卷印制的通知\n\n　　全省统一考试定于6月20日举行，试卷和参考答案定于6月5日交印。\n\n2026年5月28日\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "dingmi", "suggest", str(f), "--json"], env=env, capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr.decode()
    assert "首次使用" in r.stderr.decode()
    d = json.loads(r.stdout)
    assert d["model_version"].startswith("dingmi@")
    assert (tmp_path / "data" / "bundles" / "default" / "meta.json").is_file()


@pytest.mark.parametrize("name", ["dev", "dev_realistic", "dev_unseen"])
def test_no_training_text_copies_an_evaluation_set(name: str) -> None:
    dev = [json.loads(line) for line in (EVAL / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert overlap_passages(load_examples(), dev) == []
    assert overlap_passages(load_examples(scorer_only_dir()), dev) == []
    assert overlap_passages(load_examples(corpus_dir() / "extra"), dev) == []  # kept for later models
