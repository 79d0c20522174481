"""定密依据: catalog entries as a responsible person cites them, and 不明确事项."""

from __future__ import annotations

import re
from typing import Any

UNCLEAR = "unclear"
UNCLEAR_TEXT = "不明确事项，已报请保密行政管理部门确定"
# Source notes some catalogs put at the end of a regulation's name: they are notes, not the name.
_SOURCE_NOTE = re.compile(r"（([^（）]*(?:目录概括|二手|新闻转引|待核实|转引)[^（）]*)）$")


def entries(engine: Any) -> dict[str, Any]:
    """Every loaded catalog entry by id."""
    catalog = getattr(engine, "catalog", None)
    return {str(e.id): e for e in getattr(catalog, "entries", ()) or ()}


def split_note(regulation: str) -> tuple[str, str]:
    """``"测绘…规定（目录概括，二手）"`` → ``("测绘…规定", "目录概括，二手")``."""
    match = _SOURCE_NOTE.search(regulation)
    if not match:
        return regulation, ""
    return regulation[: match.start()], match.group(1)


def cite(engine: Any, basis: str) -> str:
    """How the basis reads in the register: 《规定》第三条（二）5.; 不明确事项; the bare id if unknown."""
    if not basis:
        return ""
    if basis == UNCLEAR:
        return UNCLEAR_TEXT
    entry = entries(engine).get(basis)
    if entry is None:
        return basis
    name, _note = split_note(str(entry.regulation))
    return f"《{name}》{entry.item}"
