"""Server-rendered pages. Each page calls the same functions as the JSON API, so the rules,
checks and audit events are the API's own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from dingmi.explain import FLAG_TEXT
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from .. import audit as audit_log
from .. import handlers, suggester
from ..accounts import sign_in, sign_out
from ..basis import split_note
from ..errors import forbidden
from ..exports import STATUS_TEXT
from ..models import AuditEvent, Decision, Suggestion, User, utcnow
from ..security import ROLES, Principal
from ..throttle import Refused
from ..workflow import CHINA_TZ, LEVELS, SECRET_LEVELS
from . import session as web_session
from .auditview import describe

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def beijing(moment: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (aware UTC, or an ISO string) as Beijing time, without "T"."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str(moment.astimezone(CHINA_TZ).strftime(fmt))


templates.env.filters["beijing"] = beijing
templates.env.globals["describe"] = describe

STATUS_EXPLAIN = {
    "escalated": "拟定密级超出本机关、单位的定密权限：已先行采取保密措施，须报请有相应定密权限的上级机关、单位确定。",
    "reported": "不明确事项：已先行拟定密级并采取保密措施，须在报送期限内报保密行政管理部门确定。",
}
AUTHORITY_RULE = (
    "定密责任人只能在本人的定密权限内确定密级（保守国家秘密法及其实施条例、《国家秘密定密管理暂行规定》）。"
    "拟定密级超出您的权限时，请先对文件采取相应的保密措施，并报请上级机关、单位或有相应权限的定密责任人确定；"
    "也可以在权限内变更（需填写理由），或交由有权限的定密责任人审核。"
)
EVENT_TEXT = {
    "schema.upgraded": "数据库升级",
    "user.created": "创建用户",
    "user.updated": "修改用户",
    "password.set": "设置登录密码",
    "token.issued": "签发令牌",
    "org.updated": "修改机关层级或定密授权",
    "auth.signed_in": "网页登录",
    "auth.signed_out": "退出登录",
    "auth.signin_failed": "网页登录失败",
    "auth.signin_throttled": "登录尝试过于频繁",
    "auth.failed_summary": "认证失败汇总（每来源每分钟）",
    "audit.keyed": "审计链启用密钥",
    "audit.guards_restored": "恢复数据库保护触发器",
    "auth.failed": "令牌认证失败",
    "request.refused": "请求被拒绝",
    "suggestion.created": "提交定密建议",
    "suggestion.decided": "作出定密决定",
    "suggestion.escalated": "报请上级",
}
EXPIRING_DAYS = 90
MAX_ID = 2**31 - 1
PageNumber = Annotated[int, Query(ge=0, le=MAX_ID)]
HOME = {
    "drafter": "/check",
    "responsible": "/queue",
    "archivist": "/register",
    "auditor": "/audit",
    "admin": "/catalog",
    "security": "/catalog",
}
NAV = [
    ("/", "首页", tuple(ROLES)),
    ("/check", "起草检查", ("drafter", "responsible")),
    ("/queue", "审核队列", ("responsible",)),
    ("/register", "定密台账", ("responsible", "archivist")),
    ("/catalog", "目录", tuple(ROLES)),
    ("/audit", "审计", ("auditor",)),
]
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class PageExit(Exception):
    """Stop handling a page and answer with ``response`` (redirect to sign-in, refusal page)."""

    def __init__(self, response: Response) -> None:
        super().__init__("page exit")
        self.response = response


def page_exit(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageExit)
    return exc.response


def render(request: Request, template: str, http_status: int = 200, **context: Any) -> Response:
    """Render a template with the common context, CSRF cookie and security headers."""
    user: Principal | None = getattr(request.state, "principal", None)
    ctx = {
        "request": request,
        "user": user,
        "role_name": ROLES.get(user.role, "") if user else "",
        "nav": [(href, label) for href, label, roles in NAV if user and user.role in roles],
        "path": request.url.path,
        "csrf": web_session.csrf_token(request),
        "flag_text": FLAG_TEXT,
        "status_text": STATUS_TEXT,
        "status_explain": STATUS_EXPLAIN,
        "event_text": EVENT_TEXT,
        **context,
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=http_status)
    web_session.set_csrf_cookie(request, response)
    response.headers.update(SECURITY_HEADERS)
    return response


def need(request: Request, *roles: str) -> Principal:
    """The signed-in user holding one of ``roles``; else a redirect to sign-in or a refusal page."""
    user = web_session.current_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise PageExit(RedirectResponse(f"/login?next={_safe_next(target)}", status_code=303))
    if roles and user.role not in roles:
        names = "、".join(ROLES[r] for r in roles)
        raise PageExit(
            render(
                request,
                "error.html",
                403,
                title="无权访问",
                message=f"您的角色（{ROLES[user.role]}）无权使用此页面；需要：{names}",
            )
        )
    return user


async def checked_form(request: Request) -> Any:
    """The POSTed form, after the CSRF check (403 page and an audit event when it fails)."""
    form = await request.form()
    if not web_session.csrf_ok(request, form.get("csrf")):
        await run_in_threadpool(handlers._audit_refusal, request, forbidden("CSRF 校验失败", code="DM419"))
        raise PageExit(
            render(
                request,
                "error.html",
                403,
                title="表单已失效",
                message="表单已过期或来源无法确认（CSRF 校验失败）。请返回并刷新页面后重试。",
            )
        )
    return form


def _safe_next(target: str | None) -> str:
    """Only local paths may be redirected to after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _str(form: Any, key: str) -> str:
    value = form.get(key)
    return value if isinstance(value, str) else ""


# --- sign-in ----------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    if web_session.current_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", title="登录", next=_safe_next(next), error="", name="")


@router.post("/login")
async def login(request: Request) -> Response:
    """Password check off the event loop, on the sign-in gate's own threads, after the per-client
    and per-name rate limits; a throttled attempt is answered at once (429) without a check."""
    form = await checked_form(request)
    name, password = _str(form, "username"), _str(form, "password")
    target = _safe_next(_str(form, "next"))
    state = request.app.state
    client = request.client.host if request.client else None
    now = state.clock()
    outcome = state.signin_gate.admit(client, name)
    if outcome is None:
        outcome = await state.signin_gate.run(
            lambda: sign_in(state.db, name, password, now=now, client=client, tally=state.auth_tally)
        )
    if isinstance(outcome, Refused):
        if state.auth_tally.add(f"signin_{outcome.reason}", client, utcnow()):
            await run_in_threadpool(_record_throttled, request, outcome, client)
        message = f"登录尝试过于频繁，请 {outcome.retry_after} 秒后再试"
        page = render(request, "login.html", 429, title="登录", next=target, error=message, name=name[:64])
        page.headers["Retry-After"] = str(outcome.retry_after)
        return page
    result = outcome
    if result.user is None:
        return render(request, "login.html", 401, title="登录", next=target, error=result.message, name=name[:64])
    response = RedirectResponse(target if target != "/" else HOME.get(result.user.role, "/catalog"), status_code=303)
    web_session.set_session(request, response, result.user)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    user = await run_in_threadpool(web_session.current_user, request)
    await checked_form(request)
    if user is not None:
        await run_in_threadpool(sign_out, request.app.state.db, user.id)
    response = RedirectResponse("/login", status_code=303)
    web_session.clear_session(response)
    return response


def _record_throttled(request: Request, refused: Refused, client: str | None) -> None:
    """The first throttled sign-in of a client in a minute (the rest are counted)."""
    db = request.app.state.db
    with db.write() as session:
        audit_log.record(
            db,
            session,
            "auth.signin_throttled",
            object_type="request",
            detail={"reason": refused.reason, "client": client, "retry_after": refused.retry_after},
        )


# --- evidence view ----------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    text: str
    mark: int = 0  # evidence number (1-based) or 0 for plain text
    entry_id: str = ""


def segments(text: str, evidence: list[dict[str, Any]]) -> list[Segment]:
    """Split ``text`` at the evidence offsets (overlapping or out-of-range evidence is skipped)."""
    out: list[Segment] = []
    pos = 0
    ordered = sorted(
        (e for e in evidence if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)),
        key=lambda e: (e["start"], e["end"]),
    )
    for n, ev in enumerate(ordered, 1):
        start, end = ev["start"], ev["end"]
        if start < pos or end > len(text) or start >= end:
            continue
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], n, str(ev.get("entry_id", ""))))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


def _catalog(request: Request) -> dict[str, Any]:
    catalog = getattr(request.app.state.engine, "catalog", None)
    return {str(e.id): e for e in getattr(catalog, "entries", ()) or ()}


def view_model(request: Request, result: dict[str, Any], text: str | None) -> dict[str, Any]:
    """What the evidence view needs from a suggestion (engine dict or stored row)."""
    entries_by_id = _catalog(request)
    entries = []
    for e in result.get("entries") or []:
        entry = entries_by_id.get(str(e.get("id", "")))
        name, note = split_note(str(e.get("regulation", "")))
        entries.append(
            {**e, "regulation": name, "note": note, "text": getattr(entry, "text", ""), "period": getattr(entry, "period", "")}
        )
    evidence = list(result.get("evidence") or [])
    return {
        "level": result.get("level", ""),
        "period": result.get("period", ""),
        "marking": result.get("marking", ""),
        "confidence": float(result.get("confidence") or 0.0),
        "flags": [str(f) for f in result.get("flags") or []],
        "entries": entries,
        "evidence": evidence,
        "rationale": result.get("rationale", ""),
        "lowering": list(result.get("lowering") or []),
        "header": result.get("header") or {},
        "segments": segments(text, evidence) if text else [],
        "has_text": bool(text),
    }


# --- 目录 -------------------------------------------------------------------------------


@router.get("/catalog")
def catalog_page(request: Request, q: str = "", level: str = "", page: int = 1) -> Response:
    need(request)
    entries = list(_catalog(request).values())
    q = q.strip()[:100]
    if q:
        entries = [
            e for e in entries if q in e.text or q in e.regulation or q in e.item or q.lower() == str(e.id).lower()
        ]
    if level in LEVELS:
        entries = [e for e in entries if e.level == level]
    per_page = 50
    pages = max(1, (len(entries) + per_page - 1) // per_page)
    page = min(max(page, 1), pages)
    return render(
        request,
        "catalog.html",
        title="保密事项目录",
        entries=entries[(page - 1) * per_page : page * per_page],
        total=len(entries),
        q=q,
        level=level,
        levels=SECRET_LEVELS,
        page=page,
        pages=pages,
        version=suggester.catalog_version(request.app.state.engine),
        split_note=split_note,
    )


@router.get("/catalog/{entry_id}")
def entry_page(request: Request, entry_id: str) -> Response:
    user = need(request)
    entry = _catalog(request).get(entry_id)
    if entry is None:
        return render(request, "error.html", 404, title="未找到", message="目录中没有该条目")
    citing: list[Any] = []
    may_see = user.role in ("responsible", "archivist")
    if may_see:
        with request.app.state.db.read() as session:
            citing = list(
                session.execute(
                    select(Decision, Suggestion.title, User.name)
                    .join(Suggestion, Suggestion.id == Decision.suggestion_id)
                    .join(User, User.id == Decision.decided_by)
                    .where(Decision.basis_entry == entry_id)
                    .order_by(Decision.id.desc())
                    .limit(200)
                ).all()
            )
    name, note = split_note(str(entry.regulation))
    return render(
        request, "entry.html", title=f"条目 {entry.id}", entry=entry, citing=citing, may_see=may_see, name=name, note=note
    )


# --- 审计 -------------------------------------------------------------------------------


@router.get("/audit")
def audit_page(request: Request, after: PageNumber = 0, action: str = "", full: str = "") -> Response:
    """Events and the chain's state: incremental check since the last good point (fast), or the
    full check (``?full=1``: every hash, checkpoints, row seals, guards)."""
    need(request, "auditor")
    db = request.app.state.db
    state = request.app.state
    if full == "1":
        report = audit_log.verify(db, state.checkpoints)
    else:
        report = state.live_verifier.check(db, state.checkpoints)
    query = select(AuditEvent).where(AuditEvent.id > after)
    before = request.query_params.get("before", "")
    if before.isdigit() and len(before) < 11:  # newest first: an earlier page is "before" an id
        query = query.where(AuditEvent.id < int(before))
    if action:
        query = query.where(AuditEvent.action == action[:48])
    with db.read() as session:
        events = list(session.execute(query.order_by(AuditEvent.id.desc()).limit(200)).scalars())
        actions = [a for (a,) in session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action))]
        total = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        names = dict(session.execute(select(User.id, User.name)).all())
    return render(
        request,
        "audit.html",
        title="审计",
        report=report,
        events=events,
        actions=actions,
        action=action,
        total=total,
        names=names,
        next_after=events[-1].id if len(events) == 200 else None,
        details={e.id: _pretty(e.detail) for e in events},
    )


def _pretty(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False, sort_keys=True)
    except ValueError:
        return raw
