"""Training examples from corpus/labeled: loading, validation, deterministic folds, dev-overlap check."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dingmi.catalog import corpus_dir
from dingmi.errors import InputError
from dingmi.levels import LEVELS

FIELDS = ("id", "text", "expected_level", "expected_entries")


def labeled_dir() -> Path:
    return corpus_dir() / "labeled"


def scorer_only_dir() -> Path:
    """Documents that teach the entry scorer and the veto/add choice, not the 内部 document classifier."""
    return corpus_dir() / "scorer_only"


def load_examples(folder: Path | None = None) -> list[dict[str, Any]]:
    """All examples of ``corpus/labeled/*.jsonl``, in file then line order; bad lines are errors."""
    folder = folder or labeled_dir()
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for f in sorted(folder.glob("*.jsonl")):
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"训练文件 {f} 第{i}行不是有效的JSON", code="DM130") from exc
            missing = [k for k in FIELDS if k not in row]
            if missing or row["expected_level"] not in LEVELS:
                raise InputError(f"训练文件 {f} 第{i}行缺少字段或密级无效：{missing or row.get('expected_level')}", code="DM131")
            if row["id"] in seen:
                raise InputError(f"训练文件 {f} 第{i}行编号重复：{row['id']}", code="DM132")
            seen.add(row["id"])
            rows.append(row)
    return rows


def dataset_sha256(rows: Iterable[dict[str, Any]]) -> str:
    """Digest of the examples as used (order-independent)."""
    h = hashlib.sha256()
    for line in sorted(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows):
        h.update(line.encode("utf-8"))
    return h.hexdigest()


def fold_of(example_id: str, folds: int = 5) -> int:
    """Deterministic fold from the id (stable across runs and machines)."""
    return int(hashlib.sha256(example_id.encode("utf-8")).hexdigest(), 16) % folds


def overlap_passages(rows: list[dict[str, Any]], dev_rows: list[dict[str, Any]], width: int = 60) -> list[tuple[str, str]]:
    """(train id, dev id) pairs that share a ``width``-character passage: training must not copy dev text."""
    index: dict[str, str] = {}
    for d in dev_rows:
        t = d["text"]
        for i in range(0, max(1, len(t) - width), 20):
            index[t[i : i + width]] = d["id"]
    hits = []
    for r in rows:
        t = r["text"]
        for i in range(0, max(1, len(t) - width + 1)):
            dev_id = index.get(t[i : i + width])
            if dev_id:
                hits.append((r["id"], dev_id))
                break
    return hits
