"""Review tasks: the hard cases of a scan (low confidence, conflicts, unclear matters) first."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from dingmi.errors import DingmiError, InputError
from dingmi.levels import LEVELS
from dingmi.reader import read_path

HARD_FLAGS = ("needs_review", "conflict", "unclear_matter")


def export_review(results: Path, out: Path, limit: int | None = None) -> int:
    """Write review tasks (JSONL: text, suggestion, options, _input_hash, meta), hardest first."""
    tasks: list[dict[str, Any]] = []
    for i, line in enumerate(results.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"结果文件 {results} 第{i}行不是有效的JSON", code="DM150") from exc
        if "error" in row or not set(row.get("flags", [])) & set(HARD_FLAGS):
            continue
        text = row.get("text")
        if text is None and row.get("path"):
            try:
                text = read_path(row["path"])
            except DingmiError:
                continue
        if not text:
            continue
        suggestion = {k: row[k] for k in ("level", "period", "marking", "entries", "evidence", "rationale",
                                          "confidence", "flags", "model_version", "catalog_version") if k in row}
        tasks.append({
            "text": text,
            "suggestion": suggestion,
            "options": [{"id": level, "text": level} for level in reversed(LEVELS)],
            "accept": [suggestion.get("level")],
            "_input_hash": int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16),
            "meta": {k: row[k] for k in ("id", "path", "sha256") if k in row},
        })
    tasks.sort(key=lambda t: (t["suggestion"].get("confidence", 0.0), "conflict" not in t["suggestion"].get("flags", [])))
    if limit is not None:
        tasks = tasks[:limit]
    with out.open("w", encoding="utf-8") as f:
        for t in tasks:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    return len(tasks)
