"""Review tasks: the hard cases of a scan (low confidence, conflicts, unclear matters) first.

The text of a task comes from the row itself (``text``), from the input of ``dingmi suggest
--jsonl`` given as ``texts`` (matched by ``id``), or, for a scan's ``results.jsonl``, from the
scanned file: row paths are resolved against the scan's root (recorded beside the results), so
the export works from any directory. Every row left out is counted with its reason.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from dingmi.errors import DingmiError, InputError
from dingmi.levels import LEVELS

HARD_FLAGS = ("needs_review", "conflict", "unclear_matter")
SKIP_ERROR = "结果为错误行（文件未能处理）"
SKIP_EASY = "不是疑难情形（无 needs_review/conflict/unclear_matter）"
SKIP_NO_TEXT = "缺少原文（dingmi suggest --jsonl 的结果请用 --texts 给出其输入文件）"
SKIP_UNREADABLE = "扫描的文件已无法读取（移动、删除或改动）"


def _jsonl(path: Path, what: str) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{what} {path} 第{i}行不是有效的JSON", code="DM150") from exc
        if not isinstance(row, dict):
            raise InputError(f"{what} {path} 第{i}行不是JSON对象", code="DM150")
        rows.append((i, row))
    return rows


def _texts(path: Path | None) -> dict[str, str]:
    """id → text from the input of ``dingmi suggest --jsonl``."""
    if path is None:
        return {}
    return {str(r["id"]): r["text"] for _, r in _jsonl(path, "原文文件") if isinstance(r.get("text"), str) and "id" in r}


class _ScanFiles:
    """Reads the documents a scan's rows name, relative to the scan's root."""

    def __init__(self, results: Path) -> None:
        from dingmi.scan.locate import scan_root

        self.root = scan_root(results)

    def text(self, row_path: str) -> str | None:
        from dingmi.reader import read_bytes
        from dingmi.scan.locate import read_row

        if self.root is None:
            return None
        try:
            data, name = read_row(self.root, row_path)
            return read_bytes(data, name)
        except DingmiError:
            return None


def collect_review(results: Path, texts: Path | None = None) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Review tasks (hardest first) and the number of rows left out per reason."""
    given = _texts(texts)
    files = _ScanFiles(results)
    tasks: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for _, row in _jsonl(results, "结果文件"):
        if "error" in row or row.get("code"):
            skipped[SKIP_ERROR] += 1
            continue
        if not set(row.get("flags", [])) & set(HARD_FLAGS):
            skipped[SKIP_EASY] += 1
            continue
        text = row.get("text") if isinstance(row.get("text"), str) else given.get(str(row.get("id")))
        if text is None and row.get("path"):
            text = files.text(str(row["path"]))
            if text is None:
                skipped[SKIP_UNREADABLE if files.root is not None else SKIP_NO_TEXT] += 1
                continue
        if not text:
            skipped[SKIP_NO_TEXT] += 1
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
    return tasks, skipped


def write_tasks(tasks: list[dict[str, Any]], out: Path) -> None:
    """One task per line (JSONL)."""
    with out.open("w", encoding="utf-8") as f:
        for t in tasks:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")


def export_review(results: Path, out: Path, limit: int | None = None, texts: Path | None = None) -> int:
    """Write review tasks (JSONL: text, suggestion, options, _input_hash, meta), hardest first; returns how many."""
    tasks, _ = collect_review(results, texts)
    tasks = tasks[:limit] if limit is not None else tasks
    write_tasks(tasks, out)
    return len(tasks)
