"""The audit log, for the 安全审计员 only."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from .. import audit
from ..deps import DbDep
from ..models import AuditEvent
from ..schemas import ERROR_RESPONSES, AuditEventPublic, AuditPage, AuditVerify
from ..security import Principal, require

router = APIRouter(prefix="/v1/audit", tags=["审计"], responses=ERROR_RESPONSES)
Auditor = Annotated[Principal, Depends(require("auditor"))]


class AuditCheck(AuditVerify):
    """The full check: keyed chain, signed checkpoints, row seals and the database's guards."""

    reason: str = Field(description="发现的问题（中文）；完整时为空")
    checkpoint: dict[str, Any] | None = Field(description="最近的签名检查点（事件数、最后编号、时间）")
    rows: list[dict[str, Any]] = Field(description="签名或审计事件不符的记录（表名、编号），最多 20 条")
    guards_missing: list[str] = Field(description="缺失的只追加保护触发器")


class SignedCheckpoint(BaseModel):
    """A checkpoint as exported: keep it outside the server, give it back to verify."""

    events: int
    last_id: int
    head: str
    at: str
    legacy_upto: int
    mac: str


@router.get("/verify", response_model=AuditCheck, summary="校验审计日志（哈希链、检查点、记录签名）")
def verify_chain(principal: Auditor, db: DbDep, request: Request) -> AuditCheck:
    """Recompute every keyed hash and compare with every signed checkpoint; ``first_broken`` names the
    first event edited, forged, removed or reordered (or the first one cut off the end). Also checks
    the seals of users, tokens and suggestions, decisions against their events, and the guards."""
    return AuditCheck(**audit.verify(db, request.app.state.checkpoints).as_dict())


@router.post("/checkpoint", response_model=SignedCheckpoint, summary="写入并导出签名检查点")
def export_checkpoint(principal: Auditor, db: DbDep, request: Request) -> SignedCheckpoint:
    """Checkpoint the chain now and return it signed; `dingmi audit verify --checkpoint FILE` checks
    the chain against an exported checkpoint kept elsewhere."""
    store = request.app.state.checkpoints
    return SignedCheckpoint(**audit.checkpoint(db, store).signed(store.key))


def _detail(raw: str) -> dict[str, object]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {"_invalid": True}
    return value if isinstance(value, dict) else {"_invalid": True}


@router.get("/events", response_model=AuditPage, summary="审计事件（按时间顺序）")
def list_events(
    principal: Auditor,
    db: DbDep,
    after: Annotated[int, Query(ge=0, le=2**31 - 1, description="只返回编号大于此值的事件")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> AuditPage:
    """Events in id order (ids, codes and hashes only)."""
    with db.read() as session:
        total = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        rows = list(
            session.execute(
                select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(limit)
            ).scalars()
        )
    return AuditPage(
        items=[
            AuditEventPublic(
                id=e.id,
                at=e.at,
                actor_id=e.actor_id,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                detail=_detail(e.detail),
                prev_hash=e.prev_hash,
                hash=e.hash,
            )
            for e in rows
        ],
        total=total,
    )
