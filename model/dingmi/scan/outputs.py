"""results.jsonl, results.csv and report.html, regenerated from the state DB on every run.

Written to temporary files and renamed into place, so a reader never sees a half-written
file and an interrupted run leaves the previous outputs intact. Rows come from the state DB
ordered by path, one per file, so the outputs can never hold duplicates.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dingmi.catalog import Catalog
from dingmi.scan.report_html import ReportBuilder
from dingmi.scan.state import StateDB

__all__ = ["DECLASS_COLUMNS", "SCAN_COLUMNS", "OutputSummary", "csv_cells", "write_outputs"]

SCAN_COLUMNS = [
    "path", "status", "level", "period", "marking", "existing_marking", "issue_date", "marking_check",
    "confidence", "needs_review", "flags", "entries", "basis", "rationale", "evidence", "code", "error",
    "size", "sha256",
]
DECLASS_COLUMNS = [
    "path", "declass_status", "expiry_date", "existing_marking", "marking_source", "issue_date", "declass_reason",
    "declass_also", "catalog_change", "level", "marking", "entries", "confidence", "flags", "status", "code",
    "error", "size", "sha256",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class OutputSummary:
    """Counts of the written rows."""

    rows: int
    errors: int
    by_status: dict[str, int]


def _safe(value: str) -> str:
    """Keep spreadsheet software from running a cell as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_cells(row: dict[str, Any], columns: list[str]) -> list[object]:
    """One CSV line for a result row."""
    flags = row.get("flags") or []
    entries = row.get("entries") or []
    derived: dict[str, object] = {
        "status": "error" if row.get("code") else "ok",
        "marking_check": next((f.removeprefix("marking_") for f in flags if f.startswith("marking_")), ""),
        "needs_review": "yes" if "needs_review" in flags else "",
        "flags": ";".join(flags),
        "entries": ";".join(e["id"] for e in entries),
        "basis": f"{entries[0]['regulation']}{entries[0]['item']}" if entries and row.get("level") != "非密" else "",
        "evidence": " ｜ ".join(e["text"] for e in row.get("evidence") or []),
        "declass_also": ";".join(row.get("declass_also") or []),
        "catalog_change": ";".join(
            f"{c['entry_id']}:{c['change']}:{c['previous_level']}->{c['current_level']}"
            f" ({c['previous_catalog']} -> {c['current_catalog']})"
            for c in row.get("catalog_change") or []
        ),
    }
    cells: list[object] = []
    for column in columns:
        value = derived[column] if column in derived else row.get(column, "")
        if value is None:
            value = ""
        cells.append(_safe(value) if isinstance(value, str) else value)
    return cells


def _replace(tmp: Path, final: Path) -> None:
    os.replace(tmp, final)


def write_outputs(db: StateDB, out_dir: Path, *, kind: str, catalog: Catalog | None, root: str,
                  augment: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                  report_info: dict[str, Any] | None = None, params: dict[str, Any] | None = None) -> OutputSummary:
    """Regenerate the three output files from the state DB; ``augment`` adds the review fields.

    Skipped when nothing changed since the last write with the same parameters (``params``
    names whatever else ``augment`` depends on).
    """
    names = ("results.jsonl", "results.csv", "report.html")
    digest = hashlib.sha256(json.dumps([kind, root, catalog.version if catalog else "", report_info or {},
                                        params or {}], sort_keys=True, default=str).encode()).hexdigest()
    if db.outputs_current(digest) and all((out_dir / n).exists() for n in names):
        meta = db.meta()
        return OutputSummary(int(meta.get("out_rows", "0")), int(meta.get("out_errors", "0")),
                             json.loads(meta.get("out_status", "{}")))
    columns = DECLASS_COLUMNS if kind == "declass" else SCAN_COLUMNS
    builder = ReportBuilder(kind, catalog)
    tmp_jsonl, tmp_csv, tmp_html = (out_dir / f".{n}.tmp" for n in ("results.jsonl", "results.csv", "report.html"))
    errors = 0
    with open(tmp_jsonl, "w", encoding="utf-8", newline="\n") as fj, \
            open(tmp_csv, "w", encoding="utf-8-sig", newline="") as fc:
        writer = csv.writer(fc)
        writer.writerow(columns)
        for text in db.rows():
            row = json.loads(text)
            if augment is not None:
                row = augment(row)
                text = json.dumps(row, ensure_ascii=False)
            fj.write(text + "\n")
            writer.writerow(csv_cells(row, columns))
            builder.add(row)
            errors += bool(row.get("code"))
    title = "解密审查报告" if kind == "declass" else "定密扫描报告"
    page = builder.render(
        title=title, root=root, catalog_version=catalog.version if catalog else "",
        generated=dt.datetime.now().isoformat(timespec="seconds"), **(report_info or {}),
    )
    tmp_html.write_text(page, encoding="utf-8")
    for tmp, name in zip((tmp_jsonl, tmp_csv, tmp_html), names):
        _replace(tmp, out_dir / name)
    summary = OutputSummary(builder.total, errors, dict(builder.by_status))
    db.set_meta(outputs=digest, out_rows=str(summary.rows), out_errors=str(summary.errors),
                out_status=json.dumps(summary.by_status))
    return summary
