"""Users, tokens and the organisation profile: shared by the CLI and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit, integrity
from .authlog import FailureTally
from .db import Database
from .models import ApiToken, OrgProfile, User, utcnow
from .security import ROLES, SEPARATED_ROLES, hash_token, new_token, validate_role
from .workflow import ORGAN_LEVELS, SECRET_LEVELS


class SeparationError(PermissionError):
    """A change that would let one account hold, obtain or hand out separated powers (三员分立)."""


class AccountError(ValueError):
    """Invalid user or organisation data; ``conflict`` marks a clash with stored data."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.conflict = conflict


@dataclass(frozen=True)
class CreatedUser:
    """A new user and its token (shown once, never stored; None when none was issued)."""

    user: User
    token: str | None


def create_user(
    db: Database,
    name: str,
    role: str,
    authority: str | None,
    *,
    actor_id: int | None,
    via: str,
    with_token: bool = True,
) -> CreatedUser:
    """Create a user with one role and, unless ``with_token`` is false, issue its first API token.

    Through the API (``via="api"``) no token is issued: the creator must never hold the new
    account's credentials (the person receives them from ``dingmi users token`` on the server),
    and no account of the three separated roles can be created.
    """
    if via == "api":
        if role in SEPARATED_ROLES:
            raise SeparationError(
                f"{ROLES[role]}属于三员，只能在服务器上用 dingmi users add 创建，不能通过接口创建"
            )
        with_token = False
    name = name.strip()
    if not name or len(name) > 64:
        raise AccountError("用户名不能为空，且不超过 64 个字符")
    try:
        validate_role(role, authority)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    token = new_token() if with_token else None
    try:
        with db.write() as session:
            if session.execute(select(User.id).where(User.name == name)).first():
                raise AccountError(f"用户“{name}”已存在", conflict=True)
            user = User(name=name, role=role, authority=authority, active=True, created_at=utcnow())
            session.add(user)
            session.flush()
            if token is not None:
                session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=utcnow()))
            audit.record(
                db,
                session,
                "user.created",
                actor_id=actor_id,
                object_type="user",
                object_id=user.id,
                detail={"role": role, "authority": authority, "via": via, "token_issued": token is not None},
            )
    except IntegrityError:
        raise AccountError(f"用户“{name}”已存在", conflict=True) from None
    return CreatedUser(user=user, token=token)


def update_user(
    db: Database,
    user_id: int,
    *,
    actor_id: int | None,
    role: str | None = None,
    authority: str | None = None,
    active: bool | None = None,
    via: str = "api",
) -> User | None:
    """Change a user's role, authority or active flag. None when the user does not exist.

    Nobody may change their own account, and through the API nobody may move an account into or
    out of one of the three separated roles (that takes the CLI on the server): this is what keeps
    the 三员 from granting themselves or each other powers. The last active account of a separated
    role stays. Any change ends the user's web sessions; deactivation also revokes their tokens.
    """
    if user_id == actor_id:
        raise PermissionError("不得修改自己的角色、权限或状态")
    with db.write() as session:
        user = _locked_row(db, session, user_id)
        if user is None:
            return None
        new_role = role or user.role
        new_authority = (authority or user.authority) if new_role == "responsible" else authority
        try:
            validate_role(new_role, new_authority)
        except ValueError as exc:
            raise AccountError(str(exc)) from None
        if via != "cli" and new_role != user.role and SEPARATED_ROLES & {new_role, user.role}:
            raise SeparationError(
                "系统管理员、安全保密管理员、安全审计员（三员）之间及与其他角色之间的变更，"
                "须由服务器上的 dingmi users role 命令完成，不能通过接口进行"
            )
        leaving = user.active and (new_role != user.role or active is False)
        if leaving and user.role in SEPARATED_ROLES and _active_count(session, user.role) <= 1:
            raise AccountError(f"不能停用或变更最后一名{ROLES[user.role]}（三员须始终各有其人）", conflict=True)
        changes: dict[str, list[object]] = {}
        if new_role != user.role:
            changes["role"] = [user.role, new_role]
        if new_authority != user.authority:
            changes["authority"] = [user.authority, new_authority]
        if active is not None and active != user.active:
            changes["active"] = [user.active, active]
        user.role, user.authority = new_role, new_authority
        if active is not None:
            user.active = active
        if changes:
            user.session_version = (user.session_version or 0) + 1  # web sessions end with any change
            if active is False:
                changes["tokens_revoked"] = [0, _revoke_tokens(session, user.id)]
            audit.record(
                db,
                session,
                "user.updated",
                actor_id=actor_id,
                object_type="user",
                object_id=user.id,
                detail={**changes, "via": via},
            )
        return user


def _active_count(session: Session, role: str) -> int:
    return int(
        session.execute(select(func.count()).select_from(User).where(User.role == role, User.active.is_(True))).scalar_one()
    )


def _revoke_tokens(session: Session, user_id: int) -> int:
    """Revoke every live token of a user; returns how many."""
    revoked = 0
    for old in session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    ).scalars():
        old.revoked_at = utcnow()
        revoked += 1
    return revoked


def list_users(db: Database) -> list[User]:
    """All users, oldest first."""
    with db.read() as session:
        return list(session.execute(select(User).order_by(User.id)).scalars())


def issue_token(db: Database, user_name: str, *, actor_id: int | None, via: str) -> str:
    """Revoke a user's tokens and issue a new one."""
    token = new_token()
    with db.write() as session:
        user = session.execute(select(User).where(User.name == user_name)).scalar()
        if user is None:
            raise AccountError(f"用户“{user_name}”不存在")
        _revoke_tokens(session, user.id)
        session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=utcnow()))
        audit.record(
            db, session, "token.issued", actor_id=actor_id, object_type="user", object_id=user.id, detail={"via": via}
        )
    return token


def get_org(session: Session) -> OrgProfile | None:
    """The organisation profile, if set."""
    return session.get(OrgProfile, 1)


def set_org(
    db: Database,
    level: str,
    *,
    authorized_level: str | None = None,
    authorized_matters: str | None = None,
    authorized_until: date | None = None,
    actor_id: int | None,
    via: str,
) -> OrgProfile:
    """Record the organ level and any written 定密授权."""
    if level not in ORGAN_LEVELS:
        raise AccountError(f"机关层级应为：{'、'.join(ORGAN_LEVELS)}")
    if authorized_level is not None and authorized_level not in SECRET_LEVELS:
        raise AccountError("定密授权的密级应为：绝密、机密或秘密")
    if authorized_level is None and (authorized_matters or authorized_until):
        raise AccountError("未给出授权密级时不能填写授权事项或授权期限")
    with db.write() as session:
        org = session.get(OrgProfile, 1)
        if org is None:
            org = OrgProfile(id=1)
            session.add(org)
        org.level = level
        org.authorized_level = authorized_level
        org.authorized_matters = authorized_matters
        org.authorized_until = authorized_until
        org.updated_at = utcnow()
        org.updated_by = actor_id
        session.flush()
        audit.record(
            db,
            session,
            "org.updated",
            actor_id=actor_id,
            object_type="org",
            object_id=1,
            detail={
                "level": level,
                "authorized_level": authorized_level,
                "authorized_until": authorized_until.isoformat() if authorized_until else None,
                "matters_sha256": audit.text_hash(authorized_matters) if authorized_matters else None,
                "via": via,
            },
        )
    return org


# --- web sign-in -------------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_FAILED_SIGNINS = 5
LOCKOUT = timedelta(minutes=15)


@lru_cache(maxsize=1)
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's current recommended parameters


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user is unknown, so both cases take as long."""
    return str(_hasher().hash("dingmi-no-such-user"))


def check_password(password: str) -> None:
    """Raise AccountError (Chinese) for a password that may not be set."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountError(f"密码长度应为 {MIN_PASSWORD_LENGTH}–{MAX_PASSWORD_LENGTH} 个字符")
    if password.strip() != password or "\n" in password or "\x00" in password:
        raise AccountError("密码不得以空白开头或结尾，不得含有换行或 NUL 字符")


def set_password(db: Database, name: str, password: str, *, actor_id: int | None, via: str) -> User:
    """Store an argon2id hash of ``password``; ends the user's web sessions and any lock-out."""
    check_password(password)
    digest = _hasher().hash(password)
    with db.write() as session:
        user = session.execute(select(User).where(User.name == name)).scalar()
        if user is None:
            raise AccountError(f"用户“{name}”不存在")
        user.password_hash = digest
        user.failed_logins = 0
        user.locked_until = None
        user.session_version = (user.session_version or 0) + 1
        audit.record(
            db, session, "password.set", actor_id=actor_id, object_type="user", object_id=user.id, detail={"via": via}
        )
        return user


@dataclass(frozen=True)
class SignIn:
    """Outcome of a sign-in attempt: ``user`` on success, else a Chinese ``message``."""

    user: User | None
    message: str = ""


# One answer for an unknown name, a wrong password and a locked account, so that the answer
# never tells whether an account exists (the time taken is alike too: one argon2 check each).
BAD_CREDENTIALS = (
    f"用户名或密码错误，或账号已锁定（连续 {MAX_FAILED_SIGNINS} 次登录失败将锁定 {int(LOCKOUT.total_seconds() // 60)} 分钟；"
    "如需提前解锁，请联系安全保密管理员重设密码）"
)


def sign_in(
    db: Database, name: str, password: str, *, now: datetime, client: str | None, tally: FailureTally | None = None
) -> SignIn:
    """Check a password; lock the account for :data:`LOCKOUT` after :data:`MAX_FAILED_SIGNINS`
    consecutive failures. Every failure is audited (ids and reasons only, never the password);
    failures for unknown or locked names are counted per client per minute through ``tally``.

    Slow (argon2): call it off the event loop. The database write lock is never held during the
    password check.
    """
    name = name.strip()[:64]
    with db.read() as session:
        user = session.execute(select(User).where(User.name == name)).scalar() if name else None
    if user is not None and not integrity.intact(db.audit_key, user):  # edited in the database: refuse
        user = None
    digest = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    password_ok = _verify(digest, password) and user is not None and bool(user.password_hash)
    if user is None or (user.locked_until is not None and user.locked_until > now):
        detail: dict[str, Any] = {"reason": "unknown_user" if user is None else "locked", "client": client}
        if user is None:
            detail["name_sha256"] = audit.text_hash(name)
        marker = detail.get("name_sha256") or f"user:{user.id if user else ''}"
        if tally is None or tally.add(f"signin_{detail['reason']}", client, now, marker):
            with db.write() as session:
                audit.record(
                    db,
                    session,
                    "auth.signin_failed",
                    actor_id=user.id if user else None,
                    object_type="user",
                    object_id=user.id if user else "",
                    detail=detail,
                )
        return SignIn(None, BAD_CREDENTIALS)
    with db.write() as session:
        row = _locked_row(db, session, user.id)
        if row is None:  # removed meanwhile
            return SignIn(None, BAD_CREDENTIALS)
        if not password_ok:
            row.failed_logins = (row.failed_logins or 0) + 1
            detail = {"reason": "bad_password", "client": client, "failures": row.failed_logins}
            if row.failed_logins >= MAX_FAILED_SIGNINS:
                row.locked_until = now + LOCKOUT
                row.failed_logins = 0
                detail.update(reason="locked_now", locked_until=row.locked_until.isoformat())
            audit.record(
                db, session, "auth.signin_failed", actor_id=row.id, object_type="user", object_id=row.id, detail=detail
            )
            return SignIn(None, BAD_CREDENTIALS)
        if not row.active:
            audit.record(
                db,
                session,
                "auth.signin_failed",
                actor_id=row.id,
                object_type="user",
                object_id=row.id,
                detail={"reason": "inactive", "client": client},
            )
            return SignIn(None, "账号已停用，请联系安全保密管理员")
        row.failed_logins = 0
        row.locked_until = None
        if _hasher().check_needs_rehash(digest):
            row.password_hash = _hasher().hash(password)
        audit.record(
            db, session, "auth.signed_in", actor_id=row.id, object_type="user", object_id=row.id, detail={"client": client}
        )
        return SignIn(row)


def _locked_row(db: Database, session: Session, user_id: int) -> User | None:
    """The user's row, locked for this write transaction (SQLite writers are already serial)."""
    query = select(User).where(User.id == user_id)
    if db.dialect == "postgresql":
        query = query.with_for_update()
    return session.execute(query).scalar()


def _verify(digest: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(digest, password))
    except (VerificationError, InvalidHashError):
        return False


def sign_out(db: Database, user_id: int) -> None:
    """End every web session of the user (the session version changes)."""
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None:
            return
        user.session_version = (user.session_version or 0) + 1
        audit.record(db, session, "auth.signed_out", actor_id=user.id, object_type="user", object_id=user.id)
