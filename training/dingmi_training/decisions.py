"""Reviewers' decisions become training examples; confirmed examples teach entries new terms."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from dingmi.errors import InputError
from dingmi.levels import LEVELS
from dingmi.nlp import cut, make_tokenizer
from dingmi.profiles import STOPWORDS, load_lexicon
from dingmi.text import normalize

DECISIONS_FILE = "decisions.jsonl"


def _example(d: dict[str, Any], lineno: int, path: Path) -> dict[str, Any]:
    text = d.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"决定文件 {path} 第{lineno}行缺少原文 text（未保存全文的决定不能用于训练）", code="DM140")
    action = d.get("action")
    suggestion = d.get("suggestion") or {}
    if action == "reject":
        level, entries = "非密", []
    elif action in ("confirm", "change"):
        level = d.get("level") or suggestion.get("level")
        entries = d.get("entries") or d.get("basis") or [e["id"] for e in suggestion.get("entries", [])[:1]]
    else:
        raise InputError(f"决定文件 {path} 第{lineno}行：action 应为 confirm、change 或 reject", code="DM141")
    if level not in LEVELS:
        raise InputError(f"决定文件 {path} 第{lineno}行：密级“{level}”无效", code="DM142")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return {
        "id": f"decision-{digest[:16]}",
        "title": d.get("title", ""),
        "text": text,
        "expected_level": level,
        "expected_entries": list(entries) if level != "非密" else [],
        "expected_period": d.get("period") or "",
        "kind": "decision",
        "existing_marking": "",
        "notes": d.get("reason", ""),
        "source": "decision",
        "provenance": {k: d.get(k) for k in ("action", "decided_by", "decided_at", "reason", "suggestion_id") if d.get(k)},
    }


def import_decisions(path: Path, labeled: Path) -> tuple[int, int]:
    """Append decisions to ``labeled/decisions.jsonl``; returns (added, already present)."""
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(_example(json.loads(line), i, path))
        except json.JSONDecodeError as exc:
            raise InputError(f"决定文件 {path} 第{i}行不是有效的JSON", code="DM143") from exc
    target = labeled / DECISIONS_FILE
    existing = set()
    if target.exists():
        existing = {json.loads(line)["id"] for line in target.read_text(encoding="utf-8").splitlines() if line.strip()}
    new = [r for r in rows if r["id"] not in existing]
    with target.open("a", encoding="utf-8") as f:
        for r in new:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(new), len(rows) - len(new)


def learned_terms(rows: list[dict[str, Any]], per_entry: int = 8) -> dict[str, list[str]]:
    """Distinctive words of decision examples per confirmed entry (frequent there, rare elsewhere)."""
    decided = [r for r in rows if r.get("source") == "decision" and r.get("expected_entries")]
    if not decided:
        return {}
    tk = make_tokenizer(load_lexicon())
    doc_words = {r["id"]: set(w for w in cut(tk, normalize(r["text"])) if _useful(w)) for r in rows}
    df = Counter(w for words in doc_words.values() for w in words)
    n = len(rows)
    out: dict[str, list[str]] = {}
    for entry_id in sorted({e for r in decided for e in r["expected_entries"]}):
        mine = [r for r in decided if entry_id in r["expected_entries"]]
        tf = Counter(w for r in mine for w in doc_words[r["id"]])
        ranked = sorted(tf, key=lambda w: (-(tf[w] / len(mine)) * (n / df[w]), w))
        out[entry_id] = [w for w in ranked if tf[w] >= max(2, len(mine) // 2)][:per_entry]
    return {k: v for k, v in out.items() if v}


def _useful(word: str) -> bool:
    return len(word) >= 2 and word not in STOPWORDS and not any(c.isdigit() for c in word) and not word.isascii()
