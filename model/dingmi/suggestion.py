"""The suggestion a drafter sees and a responsible person reviews."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class EntryRef:
    """A ranked candidate entry."""

    id: str
    regulation: str
    item: str
    level: str
    score: float


@dataclass(frozen=True)
class Evidence:
    """A sentence carrying the secret (密点), with offsets into the original text."""

    start: int
    end: int
    text: str
    entry_id: str


@dataclass(frozen=True)
class Lowering:
    """What would lower the level: generalise or remove these sentences (脱密处理)."""

    level_after: str
    remove: list[Evidence]
    advice: str


@dataclass
class Suggestion:
    """A drafted classification; a human 定密责任人 decides."""

    level: str
    period: str
    marking: str
    entries: list[EntryRef]
    evidence: list[Evidence]
    rationale: str
    confidence: float
    flags: list[str]
    header: dict[str, Any] = field(default_factory=dict)
    lowering: list[Lowering] = field(default_factory=list)
    report: dict[str, Any] | None = None  # 不明确事项 routing
    model_version: str = ""
    catalog_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the contract keys."""
        return asdict(self)
