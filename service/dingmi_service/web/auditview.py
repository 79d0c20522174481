"""The audit log in plain Chinese: who did what to which item ("王五 将 建议 #3 变更为 机密★20年")."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from ..models import AuditEvent, User
from ..routers.register import _cell
from ..workflow import is_secret

router = APIRouter(include_in_schema=False)

_STATUS_NOTE = {"escalated": "（超出定密权限，已报请上级）", "reported": "（不明确事项，已报送确定）"}


def _detail(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _name(names: dict[int, str], value: Any) -> str:
    try:
        return names.get(int(value), f"用户 {value}")
    except (TypeError, ValueError):
        return str(value)


def describe(event: Any, names: dict[int, str], event_text: dict[str, str]) -> str:
    """One plain sentence for an audit event (ids and levels only: the log holds no text)."""
    actor = names.get(event.actor_id, f"用户 {event.actor_id}") if event.actor_id else "系统"
    d = _detail(event.detail)
    item = f"建议 #{event.object_id}"  # as in "王五 将 建议 #3 变更为 机密★20年"
    action = event.action
    if action == "suggestion.created":
        return f"{actor} 提交文件，生成 {item}（系统建议：{d.get('level', '')}）"
    if action == "suggestion.decided":
        level, period = str(d.get("level", "")), str(d.get("period", "") or "")
        shown = f"{level}★{period}" if is_secret(level) and period else level
        note = _STATUS_NOTE.get(str(d.get("status", "")), "")
        if d.get("action") == "confirm":
            return f"{actor} 确认 {item}：{shown}{note}"
        if d.get("action") == "reject":
            return f"{actor} 将 {item} 确定为非密"
        return f"{actor} 将 {item} 变更为 {shown}{note}"
    if action == "suggestion.escalated":
        due = f"，{d['due_date']} 前答复" if d.get("due_date") else ""
        return f"{actor} 将 {item} 报请 {_name(names, d.get('to'))} 确定{due}"
    if action in ("user.created", "user.updated", "password.set", "token.issued"):
        return f"{actor}：{event_text.get(action, action)}（{_name(names, event.object_id)}）"
    if action == "request.refused":
        return f"{actor} 的请求被拒绝（{d.get('code', '')}）"
    what = event_text.get(action, action)
    target = _object(event, names)
    return f"{actor}：{what}" + (f"（{target}）" if target else "")


def _object(event: Any, names: dict[int, str]) -> str:
    """The object of an event in words (users by name; nothing for the person's own sign-in)."""
    kind, ident = event.object_type, event.object_id
    if not ident or kind in ("request", "org") or event.action.startswith("auth."):
        return ""
    if kind == "user":
        return _name(names, ident)
    if kind == "suggestion":
        return f"建议 #{ident}"
    if kind == "schema":
        return f"版本 {ident}"
    return f"{kind} {ident}"


@router.get("/audit.csv")
def audit_csv(request: Request) -> Response:
    """Every event, newest first, with Beijing time, the plain sentence, the code and the hashes."""
    from .pages import EVENT_TEXT, beijing, need

    need(request, "auditor")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["编号", "时间（北京时间）", "说明", "事件", "事件代码", "详情", "前一哈希", "哈希"])
    with request.app.state.db.read() as session:
        names = dict(session.execute(select(User.id, User.name)).all())  # type: ignore[arg-type]
        for e in session.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars():
            cells = [e.id, beijing(e.at, "%Y-%m-%d %H:%M:%S"), describe(e, names, EVENT_TEXT)]
            cells += [EVENT_TEXT.get(e.action, ""), e.action, e.detail, e.prev_hash, e.hash]
            writer.writerow([_cell(c) for c in cells])
    return Response(
        content=("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dingmi-audit.csv"', "Cache-Control": "no-store"},
    )
