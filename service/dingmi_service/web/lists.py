"""Lists at scale: the home page's counts, the 审核队列 and the 定密台账 (search, sorting, paging, CSV)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from dingmi.explain import FLAG_TEXT
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import String, case, cast, func, or_, select

from ..models import Decision, Escalation, Suggestion, User
from ..routers import register as register_api
from ..security import Principal
from ..workflow import LEVELS, china_today, is_secret, rank
from .pages import EXPIRING_DAYS, STATUS_TEXT, need, render

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
MAX_PAGE = 100_000
_HEX = re.compile(r"^[0-9a-fA-F]{6,64}$")
QUEUE_SORTS = {"oldest": "最早提交在前", "newest": "最新提交在前", "level": "密级高的在前", "confidence": "置信度低的在前"}
REGISTER_SORTS = {"newest": "最新决定在前", "oldest": "最早决定在前", "expires": "届满日近的在前"}
_LEVEL_RANK = case({lvl: n for n, lvl in enumerate(LEVELS)}, value=Suggestion.level, else_=0)


def _page_number(raw: str) -> int:
    return min(max(int(raw), 1), MAX_PAGE) if raw.isdigit() and len(raw) < 7 else 1


def _json_text(value: str) -> str:
    """How ``value`` appears inside a stored JSON column (SQLAlchemy writes ASCII-escaped JSON)."""
    return json.dumps(value)[1:-1]


def search_clause(q: str) -> Any:
    """标题, 发文字号 (anywhere in the stored header and evidence) or the start of the file's SHA-256."""
    clauses = [
        Suggestion.title.contains(q, autoescape=True),
        cast(Suggestion.result, String).contains(_json_text(q), autoescape=True),
    ]
    if _HEX.match(q):
        clauses.append(Suggestion.sha256.startswith(q.lower(), autoescape=True))
    return or_(*clauses)


def counts(request: Request, user: Principal) -> dict[str, int]:
    """待审、已报请（及报请本人）、即将到期 and 不明确事项 waiting for an answer."""
    today = china_today(request.app.state.clock())
    soon = today + timedelta(days=EXPIRING_DAYS)
    with request.app.state.db.read() as session:

        def n(query: Any) -> int:
            return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())

        mine = Suggestion.submitted_by == user.id
        base = select(Suggestion.id)
        if user.role == "drafter":
            base = base.where(mine)
        current = select(Decision.id).join(Suggestion, Suggestion.decision_id == Decision.id)
        if user.role == "drafter":
            current = current.where(mine)
        return {
            "pending": n(base.where(Suggestion.status == "pending")),
            "escalated": n(base.where(Suggestion.status == "escalated")),
            "to_me": n(select(Escalation.id).where(Escalation.to_user == user.id, Escalation.answered_at.is_(None))),
            "reported": n(base.where(Suggestion.status == "reported")),
            "expiring": n(current.where(Decision.expires_on.is_not(None), Decision.expires_on <= soon)),
            "decided": n(current),
        }


@router.get("/")
def home(request: Request) -> Response:
    user = need(request)
    shown = user.role in ("drafter", "responsible", "archivist")
    return render(request, "home.html", title="首页", counts=counts(request, user) if shown else {})


# --- 审核队列 ---------------------------------------------------------------------------


def _open_escalations(session: Any, ids: list[int]) -> dict[int, Escalation]:
    if not ids:
        return {}
    rows = session.execute(
        select(Escalation).where(Escalation.suggestion_id.in_(ids), Escalation.answered_at.is_(None))
    ).scalars()
    return {e.suggestion_id: e for e in rows}


@router.get("/queue")
def queue(
    request: Request,
    level: str = "",
    flag: str = "",
    age: str = "",
    q: str = "",
    sort: str = "oldest",
    scope: str = "",
    page: str = "1",
) -> Response:
    user = need(request, "responsible")
    db = request.app.state.db
    now = request.app.state.clock()
    q = q.strip()[:100]
    query = select(Suggestion).where(Suggestion.status.in_(("pending", "escalated")))
    if scope == "mine":
        query = query.where(
            Suggestion.id.in_(
                select(Escalation.suggestion_id).where(Escalation.to_user == user.id, Escalation.answered_at.is_(None))
            )
        )
    elif scope in ("pending", "escalated"):
        query = query.where(Suggestion.status == scope)
    if level in LEVELS:
        query = query.where(Suggestion.level == level)
    if flag in FLAG_TEXT:
        query = query.where(cast(Suggestion.flags, String).contains(f'"{flag}"', autoescape=True))
    days = int(age) if age.isdigit() and len(age) < 5 else 0
    if days:
        query = query.where(Suggestion.created_at <= now - timedelta(days=days))
    if q:
        query = query.where(search_clause(q))
    order = {
        "newest": (Suggestion.id.desc(),),
        "level": (_LEVEL_RANK.desc(), Suggestion.id),
        "confidence": (Suggestion.confidence, Suggestion.id),
    }.get(sort, (Suggestion.id,))
    number = _page_number(page)
    with db.read() as session:
        total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
        pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
        number = min(number, pages)
        rows = list(session.execute(query.order_by(*order).limit(PER_PAGE).offset((number - 1) * PER_PAGE)).scalars())
        names = dict(session.execute(select(User.id, User.name)).all())
        escalations = _open_escalations(session, [r.id for r in rows])
    above = {
        r.id for r in rows if is_secret(r.level) and (user.authority is None or rank(r.level) > rank(user.authority))
    }
    params = {"level": level, "flag": flag, "age": age, "q": q, "sort": sort, "scope": scope}
    return render(
        request,
        "queue.html",
        title="审核队列",
        rows=rows,
        total=total,
        page=number,
        pages=pages,
        params=params,
        names=names,
        levels=LEVELS,
        level=level,
        flag=flag,
        age=age,
        q=q,
        sort=sort,
        scope=scope,
        sorts=QUEUE_SORTS,
        above=above,
        escalations=escalations,
        counts=counts(request, user),
        now=now,
        me=user,
    )


# --- 定密台账 ---------------------------------------------------------------------------


def register_query(request: Request, status: str, level: str, expiring: bool, q: str, sort: str) -> Any:
    query = register_api._query(status if status in STATUS_TEXT else None)
    if level in LEVELS:
        query = query.where(Decision.level == level)
    if expiring:
        soon = china_today(request.app.state.clock()) + timedelta(days=EXPIRING_DAYS)
        query = query.where(Decision.expires_on.is_not(None), Decision.expires_on <= soon)
    if q:
        query = query.where(search_clause(q))
    order = {
        "oldest": (Decision.id,),
        "expires": (Decision.expires_on.is_(None), Decision.expires_on, Decision.id.desc()),
    }.get(sort, (Decision.id.desc(),))
    return query.order_by(*order)


@router.get("/register")
def register_page(
    request: Request,
    status: str = "",
    level: str = "",
    expiring: str = "",
    q: str = "",
    sort: str = "newest",
    page: str = "1",
) -> Response:
    user = need(request, "responsible", "archivist")
    q = q.strip()[:100]
    query = register_query(request, status, level, expiring == "1", q, sort)
    number = _page_number(page)
    engine = request.app.state.engine
    with request.app.state.db.read() as session:
        total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
        pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
        number = min(number, pages)
        found = session.execute(query.limit(PER_PAGE).offset((number - 1) * PER_PAGE)).all()
        rows = [(row, row.basis_text) for row in (register_api._row(s, d, n, engine) for s, d, n in found)]
    today = china_today(request.app.state.clock())
    params = {"status": status, "level": level, "expiring": expiring, "q": q, "sort": sort}
    return render(
        request,
        "register.html",
        title="定密台账",
        rows=rows,
        total=total,
        page=number,
        pages=pages,
        params=params,
        levels=LEVELS,
        status=status,
        level=level,
        expiring=expiring == "1",
        q=q,
        sort=sort,
        sorts=REGISTER_SORTS,
        today=today,
        soon=today + timedelta(days=EXPIRING_DAYS),
        statuses={k: v for k, v in STATUS_TEXT.items() if k != "pending"},
        expiring_days=EXPIRING_DAYS,
        counts=counts(request, user),
    )


@router.get("/register.csv")
def register_csv(request: Request, status: str = "", level: str = "", expiring: str = "", q: str = "") -> Response:
    """Every matching row, in the same CSV as ``GET /v1/register?format=csv``."""
    need(request, "responsible", "archivist")
    query = register_query(request, status, level, expiring == "1", q.strip()[:100], "newest")
    with request.app.state.db.read() as session:
        return register_api.csv_response(session.execute(query).all(), request.app.state.engine)
