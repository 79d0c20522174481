"""Server-rendered pages. Each page calls the same functions as the JSON API, so the rules,
checks and audit events are the API's own."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from dingmi.explain import FLAG_TEXT
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .. import audit as audit_log
from .. import handlers, suggester
from ..accounts import get_org, sign_in, sign_out
from ..errors import ApiError, forbidden
from ..models import AuditEvent, Decision, Suggestion, User
from ..routers import register as register_api
from ..routers import suggestions as suggestions_api
from ..schemas import DecisionCreate
from ..security import ROLES, Principal
from ..workflow import LEVELS, SECRET_LEVELS, china_today
from . import session as web_session

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

STATUS_TEXT = {
    "pending": "待审核",
    "confirmed": "已确定",
    "rejected": "非密",
    "escalated": "已报请上级",
    "reported": "已报送保密行政管理部门",
}
STATUS_EXPLAIN = {
    "escalated": "拟定密级超出本机关、单位的定密权限：已先行采取保密措施，须报请有相应定密权限的上级机关、单位确定。",
    "reported": "不明确事项：已先行拟定密级并采取保密措施，须在报送期限内报保密行政管理部门确定。",
}
ACTION_TEXT = {"confirm": "确认建议", "change": "变更", "reject": "确定为非密"}
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
    "auth.failed": "令牌认证失败",
    "request.refused": "请求被拒绝",
    "suggestion.created": "提交定密建议",
    "suggestion.decided": "作出定密决定",
}
EXPIRING_DAYS = 90
HOME = {
    "drafter": "/check",
    "responsible": "/queue",
    "archivist": "/register",
    "auditor": "/audit",
    "admin": "/catalog",
    "security": "/catalog",
}
NAV = [
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
        handlers._audit_refusal(request, forbidden("CSRF 校验失败", code="DM419"))
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


@router.get("/")
def home(request: Request) -> Response:
    user = need(request)
    return RedirectResponse(HOME.get(user.role, "/catalog"), status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    if web_session.current_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", title="登录", next=_safe_next(next), error="", name="")


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    name, password = _str(form, "username"), _str(form, "password")
    target = _safe_next(_str(form, "next"))
    db = request.app.state.db
    client = request.client.host if request.client else None
    result = sign_in(db, name, password, now=request.app.state.clock(), client=client)
    if result.user is None:
        return render(request, "login.html", 401, title="登录", next=target, error=result.message, name=name[:64])
    response = RedirectResponse(target if target != "/" else HOME.get(result.user.role, "/catalog"), status_code=303)
    web_session.set_session(request, response, result.user)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    user = web_session.current_user(request)
    await checked_form(request)
    if user is not None:
        sign_out(request.app.state.db, user.id)
    response = RedirectResponse("/login", status_code=303)
    web_session.clear_session(response)
    return response


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
        entries.append({**e, "text": getattr(entry, "text", ""), "period": getattr(entry, "period", "")})
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


# --- 起草检查 ---------------------------------------------------------------------------


@router.get("/check")
def check_page(request: Request) -> Response:
    user = need(request, "drafter", "responsible")
    with request.app.state.db.read() as session:
        mine = list(
            session.execute(
                select(Suggestion).where(Suggestion.submitted_by == user.id).order_by(Suggestion.id.desc()).limit(20)
            ).scalars()
        )
    return render(request, "check.html", title="起草检查", view=None, text="", doc_title="", error="", mine=mine)


class _Uploads:
    """Uploaded files between 起草检查 and 提交审核 (this process only, a few, for 30 minutes), so that
    a submitted upload keeps its own bytes, SHA-256 and file name."""

    MAX_BYTES = 64 * 1024 * 1024
    TTL = 1800.0

    def __init__(self) -> None:
        self.items: OrderedDict[str, tuple[int, float, bytes, str, str]] = OrderedDict()
        self.lock = threading.Lock()

    def put(self, user_id: int, data: bytes, filename: str, text: str) -> str:
        key = secrets.token_urlsafe(18)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self.lock:
            self.items[key] = (user_id, time.monotonic(), data, filename, digest)
            while self.items and (
                sum(len(v[2]) for v in self.items.values()) > self.MAX_BYTES
                or next(iter(self.items.values()))[1] < time.monotonic() - self.TTL
            ):
                self.items.popitem(last=False)
        return key

    def take(self, key: str, user_id: int, text: str) -> tuple[bytes, str] | None:
        """The upload, if it is this user's and the text was not edited since the check."""
        with self.lock:
            item = self.items.pop(key, None)
        if item is None or item[0] != user_id or item[1] < time.monotonic() - self.TTL:
            return None
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != item[4]:
            return None
        return item[2], item[3]


def _uploads(request: Request) -> _Uploads:
    state = request.app.state
    if getattr(state, "web_uploads", None) is None:
        state.web_uploads = _Uploads()
    return state.web_uploads  # type: ignore[no-any-return]


def _check_error(request: Request, status: int, message: str, text: str, title: str) -> Response:
    return render(request, "check.html", status, title="起草检查", view=None, text=text, doc_title=title, error=message)


@router.post("/check")
async def check(request: Request) -> Response:
    """Suggestion preview (nothing is stored): the API's own reading and engine call."""
    user = need(request, "drafter", "responsible")
    form = await checked_form(request)
    title = _str(form, "title").strip()
    upload = form.get("file")
    text = _str(form, "text").replace("\r\n", "\n")  # browsers send a textarea's lines as CRLF
    if isinstance(upload, UploadFile) and upload.filename:
        sub = suggestions_api.Submission(title=title, data=await upload.read(), filename=upload.filename)
    else:
        sub = suggestions_api.Submission(json_body=json.dumps({"text": text, "title": title}).encode("utf-8"))
    app = request.app
    try:
        text, _digest, filename, title = await run_in_threadpool(
            suggestions_api._document_text, sub, app.state.settings.max_upload_bytes
        )
    except ApiError as exc:
        return _check_error(request, exc.status, exc.message, text, title)
    except (ValidationError, RequestValidationError):
        return _check_error(request, 422, "标题过长或内容不符合要求（标题不超过 500 个字符）", text, title[:500])

    def run() -> dict[str, Any]:
        with app.state.db.read() as session:
            authority = suggestions_api._engine_authority(get_org(session), china_today(app.state.clock()))
        return suggester.suggest(app.state.engine, text, authority=authority, title=title)

    result = await run_in_threadpool(run)
    upload_key = _uploads(request).put(user.id, sub.data, filename, text) if sub.data is not None and filename else ""
    return render(
        request,
        "check.html",
        title="起草检查",
        view=view_model(request, result, text),
        text=text,
        doc_title=title,
        filename=filename or "",
        upload_key=upload_key,
        error="",
    )


@router.post("/check/submit")
async def check_submit(request: Request) -> Response:
    """Submit for review: the same function as ``POST /v1/suggestions``; an unedited upload is
    submitted as the file itself, anything else as text."""
    user = need(request, "drafter", "responsible")
    form = await checked_form(request)
    text, title = _str(form, "text").replace("\r\n", "\n"), _str(form, "title")
    app = request.app
    kept = _uploads(request).take(_str(form, "upload"), user.id, text) if _str(form, "upload") else None
    if kept is not None:
        sub = suggestions_api.Submission(title=title, data=kept[0], filename=kept[1])
    else:
        sub = suggestions_api.Submission(json_body=json.dumps({"text": text, "title": title}).encode("utf-8"))
    try:
        created = await run_in_threadpool(
            suggestions_api.create_suggestion,
            user,
            sub,
            app.state.db,
            app.state.engine,
            app.state.settings,
            app.state.clock,
        )
    except ApiError as exc:
        return _check_error(request, exc.status, exc.message, text, title)
    except (ValidationError, RequestValidationError):
        return _check_error(
            request, 422, "提交内容不符合要求（正文不能为空，标题不超过 500 个字符）", text, title[:500]
        )
    return RedirectResponse(f"/suggestions/{created.id}?submitted=1", status_code=303)


# --- suggestion detail and decision -----------------------------------------------------


def _load(request: Request, user: Principal, sid: int) -> tuple[Any, list[Decision], dict[int, str]]:
    db = request.app.state.db
    with db.read() as session:
        row = session.get(Suggestion, sid)
        if row is None or (user.role == "drafter" and row.submitted_by != user.id):
            raise PageExit(render(request, "error.html", 404, title="未找到", message="未找到该建议"))
        history = list(
            session.execute(select(Decision).where(Decision.suggestion_id == sid).order_by(Decision.id)).scalars()
        )
        names = dict(session.execute(select(User.id, User.name)).all())
    return row, history, names


def _detail(
    request: Request, user: Principal, sid: int, status: int = 200, error: str = "", explain: str = "", form: Any = None
) -> Response:
    row, history, names = _load(request, user, sid)
    result = {
        **(row.result or {}),
        "level": row.level,
        "period": row.period,
        "marking": row.marking,
        "confidence": row.confidence,
        "flags": row.flags,
    }
    current = next((d for d in history if d.id == row.decision_id), None)
    values = {k: _str(form, k) for k in ("action", "level", "period", "knowledge_scope", "reason")} if form else {}
    return render(
        request,
        "suggestion.html",
        status,
        title=f"建议 {row.id}",
        row=row,
        view=view_model(request, result, row.text),
        history=history,
        current=current,
        names=names,
        can_decide=user.role == "responsible" and row.submitted_by != user.id,
        own=row.submitted_by == user.id,
        levels=LEVELS,
        error=error,
        explain=explain,
        values=values,
        action_text=ACTION_TEXT,
        submitted=request.query_params.get("submitted") == "1",
        decided=request.query_params.get("decided") == "1",
    )


@router.get("/suggestions/{sid}")
def suggestion_page(request: Request, sid: int) -> Response:
    user = need(request, "drafter", "responsible")
    return _detail(request, user, sid)


@router.post("/suggestions/{sid}/decision")
async def decision(request: Request, sid: int) -> Response:
    """The same function as ``POST /v1/suggestions/{id}/decision``; its refusals are shown on the page."""
    user = need(request, "responsible")
    form = await checked_form(request)
    action = _str(form, "action")
    body: dict[str, Any] = {
        "action": action,
        "knowledge_scope": _str(form, "knowledge_scope").strip(),
        "reason": _str(form, "reason").strip(),
    }
    if action == "change":
        body["level"] = _str(form, "level") or None
        body["period"] = _str(form, "period").strip() or None
    supersedes = _str(form, "supersedes")
    if supersedes.isdigit():
        body["supersedes"] = int(supersedes)
    try:
        parsed = DecisionCreate.model_validate(body)
    except ValidationError:
        return _detail(request, user, sid, 422, error="请选择决定类型，并检查密级、期限和各栏长度", form=form)
    app = request.app
    try:
        await run_in_threadpool(
            suggestions_api.decide_suggestion, sid, parsed, user, app.state.db, app.state.engine, app.state.clock
        )
    except ApiError as exc:
        await run_in_threadpool(handlers._audit_refusal, request, exc)
        explain = AUTHORITY_RULE if exc.code == "DM431" else ""
        if exc.status == 404:
            raise PageExit(render(request, "error.html", 404, title="未找到", message=exc.message)) from None
        return _detail(request, user, sid, exc.status, error=exc.message, explain=explain, form=form)
    return RedirectResponse(f"/suggestions/{sid}?decided=1", status_code=303)


# --- 审核队列 ---------------------------------------------------------------------------


@router.get("/queue")
def queue(request: Request, level: str = "", flag: str = "", age: str = "") -> Response:
    user = need(request, "responsible")
    db = request.app.state.db
    query = select(Suggestion).where(Suggestion.status == "pending")
    if level in LEVELS:
        query = query.where(Suggestion.level == level)
    days = int(age) if age.isdigit() else 0
    if days:
        query = query.where(Suggestion.created_at <= request.app.state.clock() - timedelta(days=days))
    with db.read() as session:
        rows = list(session.execute(query.order_by(Suggestion.id).limit(1000)).scalars())
        names = dict(session.execute(select(User.id, User.name)).all())
    if flag in FLAG_TEXT:
        rows = [r for r in rows if flag in (r.flags or [])]
    now = request.app.state.clock()
    return render(
        request,
        "queue.html",
        title="审核队列",
        rows=rows,
        names=names,
        levels=LEVELS,
        level=level,
        flag=flag,
        age=age,
        now=now,
        me=user,
    )


# --- 定密台账 ---------------------------------------------------------------------------


def _register_rows(request: Request, status: str, level: str, expiring: bool) -> list[Any]:
    query = register_api._query(status if status in STATUS_TEXT else None)
    if level in LEVELS:
        query = query.where(Decision.level == level)
    today = china_today(request.app.state.clock())
    if expiring:
        query = query.where(
            Decision.expires_on.is_not(None), Decision.expires_on <= today + timedelta(days=EXPIRING_DAYS)
        )
    with request.app.state.db.read() as session:
        return [
            register_api._row(s, d, n) for s, d, n in session.execute(query.order_by(Decision.id.desc()).limit(500))
        ]


@router.get("/register")
def register_page(request: Request, status: str = "", level: str = "", expiring: str = "") -> Response:
    need(request, "responsible", "archivist")
    rows = _register_rows(request, status, level, expiring == "1")
    today = china_today(request.app.state.clock())
    soon = today + timedelta(days=EXPIRING_DAYS)
    return render(
        request,
        "register.html",
        title="定密台账",
        rows=rows,
        levels=LEVELS,
        status=status,
        level=level,
        expiring=expiring == "1",
        today=today,
        soon=soon,
        statuses={k: v for k, v in STATUS_TEXT.items() if k != "pending"},
        expiring_days=EXPIRING_DAYS,
    )


@router.get("/register.csv")
def register_csv(request: Request, status: str = "") -> Response:
    """The API's own CSV export (all rows, optionally one status)."""
    user = need(request, "responsible", "archivist")
    chosen: Any = status if status in STATUS_TEXT else None
    response = register_api.get_register(user, request.app.state.db, format="csv", status=chosen)
    assert isinstance(response, Response)
    response.headers["Cache-Control"] = "no-store"
    return response


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
    return render(request, "entry.html", title=f"条目 {entry.id}", entry=entry, citing=citing, may_see=may_see)


# --- 审计 -------------------------------------------------------------------------------


@router.get("/audit")
def audit_page(request: Request, after: int = 0, action: str = "") -> Response:
    need(request, "auditor")
    db = request.app.state.db
    report = audit_log.verify(db)
    query = select(AuditEvent).where(AuditEvent.id > max(after, 0))
    if action:
        query = query.where(AuditEvent.action == action[:48])
    with db.read() as session:
        events = list(session.execute(query.order_by(AuditEvent.id).limit(200)).scalars())
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
