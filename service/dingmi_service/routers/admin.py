"""Accounts, organisation profile and system status (三员: security manages, admin operates)."""

from __future__ import annotations

from typing import Annotated

import dingmi
from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import func, select

from .. import accounts
from ..accounts import AccountError, SeparationError
from ..deps import ClockDep, DbDep, SettingsDep
from ..errors import conflict, forbidden, not_found, unprocessable
from ..models import AuditEvent, Suggestion, User
from ..schemas import (
    ERROR_RESPONSES,
    ErrorBody,
    Me,
    OrgPublic,
    OrgUpdate,
    SystemStatus,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from ..security import Principal, authenticate, require
from ..workflow import STATUSES, china_today, org_ceiling

router = APIRouter(prefix="/v1", tags=["账号与机关"], responses=ERROR_RESPONSES)
Security = Annotated[Principal, Depends(require("security"))]
Admin = Annotated[Principal, Depends(require("admin"))]
OrgReader = Annotated[Principal, Depends(require("drafter", "responsible", "archivist", "admin", "security"))]
Anyone = Annotated[Principal, Depends(authenticate)]


def _user(u: User) -> UserPublic:
    return UserPublic(
        id=u.id,
        name=u.name,
        role=u.role,  # type: ignore[arg-type]
        authority=u.authority,  # type: ignore[arg-type]
        active=u.active,
        created_at=u.created_at,
    )


@router.get("/me", response_model=Me, summary="当前用户")
def me(principal: Anyone) -> Me:
    """The caller's own account."""
    return Me(id=principal.id, name=principal.name, role=principal.role, authority=principal.authority)  # type: ignore[arg-type]


@router.get("/users", response_model=list[UserPublic], summary="用户列表")
def list_users(principal: Security, db: DbDep) -> list[UserPublic]:
    """All accounts (安全保密管理员)."""
    return [_user(u) for u in accounts.list_users(db)]


@router.post(
    "/users",
    status_code=201,
    response_model=UserPublic,
    summary="创建用户（不签发令牌）",
    responses={409: {"model": ErrorBody}},
)
def create_user(body: UserCreate, principal: Security, db: DbDep) -> UserPublic:
    """One role per account. No credentials are returned: the person receives a token from
    `dingmi users token NAME` (and a password from `dingmi users password NAME`) on the server, so
    the creator never holds the new account's powers. The 三员 roles (admin, security, auditor)
    can only be created with `dingmi users add` on the server (403 DM434)."""
    try:
        created = accounts.create_user(db, body.name, body.role, body.authority, actor_id=principal.id, via="api")
    except SeparationError as exc:
        raise forbidden(str(exc), code="DM434") from None
    except AccountError as exc:
        raise (conflict(exc.message) if exc.conflict else unprocessable(exc.message)) from None
    return _user(created.user)


@router.patch(
    "/users/{user_id}",
    response_model=UserPublic,
    summary="修改用户角色、权限或状态",
    responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
)
def update_user(
    user_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: UserUpdate, principal: Security, db: DbDep
) -> UserPublic:
    """Nobody changes their own account (403 DM433); moving an account into or out of a 三员 role
    takes the CLI on the server (403 DM434); the last active 三员 account of a role stays (409).
    Any change ends the user's web sessions; deactivation also revokes their API tokens."""
    try:
        user = accounts.update_user(
            db, user_id, actor_id=principal.id, role=body.role, authority=body.authority, active=body.active, via="api"
        )
    except SeparationError as exc:
        raise forbidden(str(exc), code="DM434") from None
    except PermissionError as exc:
        raise forbidden(str(exc), code="DM433") from None
    except AccountError as exc:
        raise (conflict(exc.message) if exc.conflict else unprocessable(exc.message)) from None
    if user is None:
        raise not_found("未找到该用户")
    return _user(user)


@router.get("/org", response_model=OrgPublic, summary="机关定密权限信息")
def get_org(principal: OrgReader, db: DbDep, clock: ClockDep) -> OrgPublic:
    """Organ level, written 定密授权 and the ceiling they give today."""
    with db.read() as session:
        org = accounts.get_org(session)
    if org is None:
        return OrgPublic(
            set=False, level=None, authorized_level=None, authorized_matters=None, authorized_until=None, ceiling=None
        )
    return OrgPublic(
        set=True,
        level=org.level,  # type: ignore[arg-type]
        authorized_level=org.authorized_level,  # type: ignore[arg-type]
        authorized_matters=org.authorized_matters,
        authorized_until=org.authorized_until,
        ceiling=org_ceiling(org.level, org.authorized_level, org.authorized_until, china_today(clock())),  # type: ignore[arg-type]
    )


@router.put("/org", response_model=OrgPublic, summary="设置机关层级和定密授权")
def put_org(body: OrgUpdate, principal: Security, db: DbDep, clock: ClockDep, request: Request) -> OrgPublic:
    """Recorded by the 安全保密管理员; audited."""
    try:
        accounts.set_org(
            db,
            body.level,
            authorized_level=body.authorized_level,
            authorized_matters=body.authorized_matters,
            authorized_until=body.authorized_until,
            actor_id=principal.id,
            via="api",
        )
    except AccountError as exc:
        raise unprocessable(exc.message) from None
    return get_org(principal, db, clock)


@router.get("/system", response_model=SystemStatus, summary="系统状态")
def system_status(principal: Admin, db: DbDep, settings: SettingsDep, request: Request) -> SystemStatus:
    """Versions and counts for the 系统管理员; no document content."""
    with db.read() as session:
        by_status = dict(session.execute(select(Suggestion.status, func.count()).group_by(Suggestion.status)).all())
        users = session.execute(select(func.count()).select_from(User)).scalar_one()
        events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return SystemStatus(
        version=dingmi.__version__,
        model_version=request.app.state.model_version,
        catalog_version=request.app.state.catalog_version,
        database=db.dialect,
        schema_revision=db.current_revision(),
        store_full_text=settings.store_full_text,
        max_upload_bytes=settings.max_upload_bytes,
        suggestions_by_status={s: int(by_status.get(s, 0)) for s in STATUSES},
        users=users,
        audit_events=events,
    )
