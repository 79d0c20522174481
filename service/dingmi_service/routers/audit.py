"""The audit log, for the 安全审计员 only."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from .. import audit
from ..deps import DbDep
from ..models import AuditEvent
from ..schemas import ERROR_RESPONSES, AuditEventPublic, AuditPage, AuditVerify
from ..security import Principal, require

router = APIRouter(prefix="/v1/audit", tags=["审计"], responses=ERROR_RESPONSES)
Auditor = Annotated[Principal, Depends(require("auditor"))]


@router.get("/verify", response_model=AuditVerify, summary="校验审计日志哈希链")
def verify_chain(principal: Auditor, db: DbDep) -> AuditVerify:
    """Recompute every hash; ``first_broken`` names the first event edited, removed or reordered."""
    return AuditVerify(**audit.verify(db).as_dict())


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
