"""The item page of the reviewer's day: the suggestion beside the decided marking, the decision form
(with the 定密依据 chosen from the candidates or any loaded catalog), 报请上级 to a named person, and
the .docx exports. Every action calls the JSON API's own function."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from .. import handlers
from ..basis import UNCLEAR, UNCLEAR_TEXT, cite, entries, split_note
from ..errors import ApiError
from ..models import Decision, Escalation, Suggestion, User
from ..routers import suggestions as api
from ..schemas import DecisionCreate, EscalationCreate
from ..security import Principal
from ..workflow import LEVELS, china_today, is_secret, is_workday, rank
from .pages import AUTHORITY_RULE, PageExit, checked_form, need, render, view_model

router = APIRouter(include_in_schema=False)
SidPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
ACTION_TEXT = {"confirm": "确认建议", "change": "变更", "reject": "确定为非密"}
READERS = ("drafter", "responsible", "archivist")
_FIELD_NAME = re.compile(r"（[A-Za-z_]+）")


@dataclass(frozen=True)
class Item:
    """A suggestion with everything its page shows."""

    row: Suggestion
    history: list[Decision]
    names: dict[int, str]
    escalation: Escalation | None
    responsible: list[User]

    @property
    def current(self) -> Decision | None:
        return next((d for d in self.history if d.id == self.row.decision_id), None)

    @property
    def open_escalation(self) -> Escalation | None:
        return self.escalation if self.escalation is not None and self.escalation.answered_at is None else None


def load_item(request: Request, user: Principal, sid: int) -> Item:
    """The item, or a Chinese 404 page (drafters see only their own)."""
    with request.app.state.db.read() as session:
        row = session.get(Suggestion, sid)
        if row is None or (user.role == "drafter" and row.submitted_by != user.id):
            raise PageExit(render(request, "error.html", 404, title="未找到", message="未找到该建议"))
        responsible = list(
            session.execute(
                select(User).where(User.role == "responsible", User.active.is_(True)).order_by(User.name)
            ).scalars()
        )
        return Item(
            row=row,
            history=api.decisions_of(session, sid),
            names=api.user_names(session),
            escalation=api.last_escalation(session, sid),
            responsible=responsible,
        )


def working_days_left(today: date, due: date | None) -> int | None:
    """Working days from today until ``due`` (negative once overdue)."""
    if due is None:
        return None
    step = 1 if due >= today else -1
    count, day = 0, today
    while day != due:
        day += timedelta(days=step)
        count += step if is_workday(day) else 0
    return count


def plain(message: str) -> str:
    """An API message as a page shows it: no field names in brackets, no request syntax."""
    if "supersedes" in message:
        return "该建议的决定已被更新，请刷新页面后重新作出变更决定"
    return _FIELD_NAME.sub("", message)


def _basis_choices(request: Request, item: Item) -> list[dict[str, str]]:
    """The suggestion's candidate entries, as radio choices."""
    engine = request.app.state.engine
    return [
        {"id": str(e.get("id", "")), "level": str(e.get("level", "")), "cite": cite(engine, str(e.get("id", "")))}
        for e in (item.row.result or {}).get("entries") or []
        if e.get("id")
    ]


def _catalog_options(request: Request) -> list[tuple[str, list[Any]]]:
    """Every loaded entry, grouped by regulation (its source notes left out of the name)."""
    groups: dict[str, list[Any]] = {}
    for entry in entries(request.app.state.engine).values():
        groups.setdefault(split_note(str(entry.regulation))[0], []).append(entry)
    return sorted(groups.items())


def _recipients(item: Item, user: Principal) -> list[dict[str, Any]]:
    """Who may be asked: other active 定密责任人, with whether their authority covers the item."""
    needed = item.row.level
    if item.current is not None and rank(item.current.level) > rank(needed):
        needed = item.current.level
    out = []
    for person in item.responsible:
        if person.id in (user.id, item.row.submitted_by):
            continue
        ok = not is_secret(needed) or (person.authority is not None and rank(person.authority) >= rank(needed))
        out.append({"name": person.name, "authority": person.authority or "无", "ok": ok})
    return out


def detail(
    request: Request,
    user: Principal,
    sid: int,
    status: int = 200,
    *,
    error: str = "",
    explain: str = "",
    form: Any = None,
    esc_error: str = "",
) -> Response:
    item = load_item(request, user, sid)
    row, current = item.row, item.current
    engine = request.app.state.engine
    today = china_today(request.app.state.clock())
    result = {
        **(row.result or {}),
        "level": row.level,
        "period": row.period,
        "marking": row.marking,
        "confidence": row.confidence,
        "flags": row.flags,
    }
    open_esc = item.open_escalation
    deciding = user.role == "responsible" and row.submitted_by != user.id
    if open_esc is not None and open_esc.to_user != user.id:
        deciding = False
    authority = user.authority
    within = not is_secret(row.level) or (authority is not None and rank(row.level) <= rank(authority))
    values = {k: _str(form, k) for k in ("action", "level", "period", "knowledge_scope", "reason", "basis")}
    values["basis_other"] = _str(form, "basis_other")
    values["to"] = _str(form, "to")
    if not values["basis"]:
        top = next((c for c in _basis_choices(request, item) if c["level"] == row.level), None)
        values["basis"] = top["id"] if top else ""
    return render(
        request,
        "suggestion.html",
        status,
        title=f"建议 {row.id}",
        row=row,
        view=view_model(request, result, row.text),
        history=item.history,
        current=current,
        current_basis=cite(engine, current.basis_entry) if current else "",
        names=item.names,
        can_decide=deciding,
        can_escalate=user.role == "responsible" and row.status in ("pending", "escalated")
        and (open_esc is None or open_esc.to_user == user.id),
        read_only=user.role != "responsible",
        own=row.submitted_by == user.id,
        within_authority=within,
        levels=[lvl for lvl in LEVELS if not is_secret(lvl) or (authority and rank(lvl) <= rank(authority))],
        basis_choices=_basis_choices(request, item),
        catalog_options=_catalog_options(request),
        unclear=UNCLEAR,
        unclear_text=UNCLEAR_TEXT,
        recipients=_recipients(item, user),
        escalation=item.escalation,
        open_escalation=open_esc,
        escalation_days_left=working_days_left(today, open_esc.due_date) if open_esc else None,
        report_days_left=working_days_left(today, row.due_date) if row.status == "reported" else None,
        error=error,
        explain=explain,
        esc_error=esc_error,
        values=values,
        action_text=ACTION_TEXT,
        submitted=request.query_params.get("submitted") == "1",
        decided=request.query_params.get("decided") == "1",
        escalated=request.query_params.get("escalated") == "1",
        exportable=current is not None and bool(row.text),
    )


def _str(form: Any, key: str) -> str:
    value = form.get(key) if form is not None else None
    return value if isinstance(value, str) else ""


@router.get("/suggestions/{sid}")
def suggestion_page(request: Request, sid: SidPath) -> Response:
    user = need(request, *READERS)
    return detail(request, user, sid)


def decision_body(form: Any) -> dict[str, Any] | str:
    """The form as the API's decision body, or what is missing (in Chinese)."""
    action = _str(form, "action")
    if action not in ACTION_TEXT:
        return "请选择决定类型：确认建议、变更密级或期限，或确定为非密"
    body: dict[str, Any] = {
        "action": action,
        "knowledge_scope": _str(form, "knowledge_scope").strip(),
        "reason": _str(form, "reason").strip(),
    }
    if action == "change":
        if not _str(form, "level"):
            return "变更决定请选择密级"
        body["level"] = _str(form, "level")
        body["period"] = _str(form, "period").strip() or None
    basis = _str(form, "basis")
    if basis == "other":
        basis = _str(form, "basis_other")
        if not basis:
            return "选择“其他条目”时，请在目录列表中选定一个条目"
    if basis and action != "reject":
        body["basis"] = basis
    supersedes = _str(form, "supersedes")
    if supersedes.isdigit():
        body["supersedes"] = int(supersedes)
    return body


async def _call(request: Request, action: Any, sid: int, body: Any, user: Principal) -> ApiError | None:
    """Run an API action (decision, 报请上级) off the loop; its refusal is audited and returned,
    a missing item is the 404 page."""
    state = request.app.state
    try:
        await run_in_threadpool(action, sid, body, user, state.db, state.engine, state.clock)
    except ApiError as exc:
        await run_in_threadpool(handlers._audit_refusal, request, exc)
        if exc.status == 404:
            raise PageExit(render(request, "error.html", 404, title="未找到", message=exc.message)) from None
        return exc
    return None


@router.post("/suggestions/{sid}/decision")
async def decision(request: Request, sid: SidPath) -> Response:
    """The same function as ``POST /v1/suggestions/{id}/decision``; its refusals are shown on the page."""
    user = need(request, "responsible")
    form = await checked_form(request)
    body = decision_body(form)
    if isinstance(body, str):
        return detail(request, user, sid, 422, error=body, form=form)
    try:
        parsed = DecisionCreate.model_validate(body)
    except ValidationError:
        return detail(request, user, sid, 422, error="请检查密级、保密期限（不超过32字）和各栏长度", form=form)
    refused = await _call(request, api.decide_suggestion, sid, parsed, user)
    if refused is not None:
        explain = AUTHORITY_RULE if refused.code == "DM431" else ""
        return detail(request, user, sid, refused.status, error=plain(refused.message), explain=explain, form=form)
    return RedirectResponse(f"/suggestions/{sid}?decided=1", status_code=303)


@router.post("/suggestions/{sid}/escalation")
async def escalation(request: Request, sid: SidPath) -> Response:
    """报请上级: the same function as ``POST /v1/suggestions/{id}/escalation``."""
    user = need(request, "responsible")
    form = await checked_form(request)
    to, reason = _str(form, "to").strip(), _str(form, "esc_reason").strip()
    if not to or not reason:
        missing = "、".join(n for n, v in (("接收人", to), ("报请理由", reason)) if not v)
        return detail(request, user, sid, 422, esc_error=f"请填写{missing}", form=form)
    try:
        body = EscalationCreate(to=to, reason=reason)
    except ValidationError:
        return detail(request, user, sid, 422, esc_error="报请理由不得超过4000字", form=form)
    refused = await _call(request, api.escalate_suggestion, sid, body, user)
    if refused is not None:
        return detail(request, user, sid, refused.status, esc_error=plain(refused.message), form=form)
    return RedirectResponse(f"/suggestions/{sid}?escalated=1", status_code=303)


def _export(request: Request, sid: int, which: str) -> Response:
    user = need(request, *READERS)
    app = request.app
    try:
        if which == "marked":
            return api.marked_docx(sid, user, app.state.db)
        if which == "pdf":
            return api.marked_pdf(sid, user, app.state.db)
        return api.approval_docx(sid, user, app.state.db, app.state.engine)
    except ApiError as exc:
        return render(request, "error.html", exc.status, title="无法导出", message=plain(exc.message))


@router.get("/suggestions/{sid}/marked.docx")
def marked_docx(request: Request, sid: SidPath) -> Response:
    return _export(request, sid, "marked")


@router.get("/suggestions/{sid}/marked.pdf")
def marked_pdf(request: Request, sid: SidPath) -> Response:
    return _export(request, sid, "pdf")


@router.get("/suggestions/{sid}/approval.docx")
def approval_docx(request: Request, sid: SidPath) -> Response:
    return _export(request, sid, "approval")
