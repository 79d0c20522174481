"""The 定密台账 (register of decided items), as JSON or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import func, select

from ..basis import cite
from ..deps import DbDep, EngineDep
from ..models import Decision, Suggestion, User
from ..schemas import ERROR_RESPONSES, ErrorBody, RegisterPage, RegisterRow, Status
from ..security import Principal, require
from ..submissions import neutralise
from ..workflow import CHINA_TZ

router = APIRouter(prefix="/v1/register", tags=["定密台账"], responses=ERROR_RESPONSES)
Keeper = Annotated[Principal, Depends(require("responsible", "archivist"))]

CSV_COLUMNS = [
    ("suggestion_id", "建议编号"),
    ("decision_id", "决定编号"),
    ("title", "标题"),
    ("sha256", "文件SHA256"),
    ("level", "密级"),
    ("period", "保密期限"),
    ("marking", "国家秘密标志"),
    ("basis_entry", "定密依据"),
    ("knowledge_scope", "知悉范围"),
    ("status", "状态"),
    ("decided_by", "定密责任人"),
    ("decided_on", "定密日期"),
    ("expires_on", "保密期限届满日"),
    ("due_date", "报送期限"),
    ("supersedes", "变更的原决定"),
    ("basis_text", "定密依据（规定及条款）"),
]
SUGGESTED_LABEL = "系统建议标志"
STATUS_NAMES = {
    "confirmed": "已确定",
    "rejected": "非密",
    "escalated": "已报请上级",
    "reported": "已报送保密行政管理部门",
}


def _query(status: str | None) -> Any:
    query = (
        select(Suggestion, Decision, User.name)
        .join(Decision, Decision.id == Suggestion.decision_id)
        .join(User, User.id == Decision.decided_by)
    )
    if status is not None:
        query = query.where(Suggestion.status == status)
    return query


def _row(s: Suggestion, d: Decision, name: str, engine: Any = None) -> RegisterRow:
    """One register line; ``engine`` (the loaded catalogs) gives the basis its regulation and article."""
    return RegisterRow(
        suggestion_id=s.id,
        decision_id=d.id,
        title=s.title,
        sha256=s.sha256,
        level=d.level,  # type: ignore[arg-type]
        period=d.period,
        marking=d.marking,
        basis_entry=d.basis_entry,
        basis_text=cite(engine, d.basis_entry),
        knowledge_scope=d.knowledge_scope,
        status=d.status,  # type: ignore[arg-type]
        decided_by=name,
        decided_on=d.decided_at.astimezone(CHINA_TZ).date(),
        expires_on=d.expires_on,
        due_date=d.due_date,
        supersedes=d.supersedes_id,
    )


def _cell(value: object) -> str:
    """CSV cell; a leading = + - @ is neutralised so spreadsheets do not run it as a formula, and
    bidirectional controls are shown as ``[U+202E]``."""
    text = neutralise("" if value is None else str(value))  # no bidi controls reordering a title
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_response(found: Iterable[Any], engine: Any) -> Response:
    """The register as a UTF-8 (BOM) CSV download: the API's columns, the basis with its regulation
    and article, and the system's suggestion beside the decision. ``found``: (suggestion, decision,
    decider's name) rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in CSV_COLUMNS] + [SUGGESTED_LABEL])
    for s, d, name in found:
        data = _row(s, d, name, engine).model_dump()
        data["status"] = STATUS_NAMES.get(d.status, d.status)
        writer.writerow([_cell(data[key]) for key, _ in CSV_COLUMNS] + [_cell(s.marking or s.level)])
    return Response(
        content=("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dingmi-register.csv"', "Cache-Control": "no-store"},
    )


@router.get(
    "",
    response_model=RegisterPage,
    summary="定密台账（JSON 或 CSV）",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "format=csv 时为 UTF-8（带 BOM）CSV",
        },
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
    },
)
def get_register(
    principal: Keeper,
    db: DbDep,
    engine: EngineDep,
    format: Annotated[Literal["json", "csv"], Query(description="csv 导出全部记录")] = "json",
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> RegisterPage | Response:
    """Decided items with level, period, marking, basis (entry and 《规定》条款), decider, date and
    expiry, newest first."""
    query = _query(status).order_by(Decision.id.desc())
    with db.read() as session:
        if format == "csv":
            return csv_response(session.execute(query).all(), engine)
        total = session.execute(select(func.count()).select_from(_query(status).subquery())).scalar_one()
        found = session.execute(query.limit(limit).offset(offset)).all()
        rows = [_row(s, d, name, engine) for s, d, name in found]
    return RegisterPage(items=rows, total=total, limit=limit, offset=offset)
