"""Roles, API tokens and the Bearer authentication dependency."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from .errors import forbidden, unauthorized
from .integrity import intact
from .models import ApiToken, User
from .workflow import SECRET_LEVELS

ROLES: dict[str, str] = {
    "drafter": "承办人",
    "responsible": "定密责任人",
    "archivist": "档案管理员",
    "admin": "系统管理员",
    "security": "安全保密管理员",
    "auditor": "安全审计员",
}
# 三员分立: these three are held by different accounts, one role per account.
SEPARATED_ROLES: frozenset[str] = frozenset({"admin", "security", "auditor"})
TOKEN_PREFIX = "dm_"
log = logging.getLogger("dingmi_service")


def new_token() -> str:
    """A fresh API token (32 random bytes)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """sha256 of the token: tokens are random and long, so a fast hash suffices."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def validate_role(role: str, authority: str | None) -> None:
    """Raise ValueError (Chinese) for an unknown role or an authority on the wrong role."""
    if role not in ROLES:
        raise ValueError(f"未知角色“{role}”；可选：{'、'.join(ROLES)}")
    if role == "responsible":
        if authority not in SECRET_LEVELS:
            raise ValueError("定密责任人必须指定定密权限（绝密、机密或秘密）")
    elif authority is not None:
        raise ValueError("只有定密责任人（responsible）可以设置定密权限")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    id: int
    name: str
    role: str
    authority: str | None


_bearer = HTTPBearer(auto_error=False, description="`dingmi users add` 打印的 API 令牌")


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Resolve the Bearer token to an active user, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise unauthorized()
    digest = hash_token(credentials.credentials)
    db = request.app.state.db
    with db.read() as session:
        found = session.execute(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
        ).first()
    user, token = found if found is not None else (None, None)
    if user is not None and not (intact(db.audit_key, user) and intact(db.audit_key, token)):
        log.error("refused a token whose user or token row fails its seal (user id %s)", user.id)
        user = None
    if user is None or not user.active:
        raise unauthorized("访问令牌无效、已撤销或账号已停用")
    principal = Principal(id=user.id, name=user.name, role=user.role, authority=user.authority)
    request.state.principal = principal
    return principal


def require(*roles: str) -> Callable[..., Principal]:
    """Dependency: the caller must hold one of ``roles`` (403 otherwise)."""
    allowed = frozenset(roles)
    names = "、".join(ROLES[r] for r in roles)

    def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            raise forbidden(f"您的角色（{ROLES[principal.role]}）无权执行此操作；需要：{names}")
        return principal

    dependency.__name__ = f"require_{'_'.join(roles)}"
    return dependency


__all__ = [
    "Principal",
    "ROLES",
    "SEPARATED_ROLES",
    "authenticate",
    "hash_token",
    "new_token",
    "require",
    "validate_role",
]
