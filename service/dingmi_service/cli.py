"""``dingmi`` sub-commands of the service: serve, users, org, db, audit.

Options are checked here rather than by click so that bad usage always ends with exit code 2
and one Chinese line on stderr.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, NoReturn

import typer
from dingmi.errors import DingmiError
from typer.core import TyperCommand, TyperGroup

from .workflow import ORGAN_LEVELS, SECRET_LEVELS

ROLE_NAMES = "drafter、responsible、archivist、admin、security、auditor"


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one Chinese line to stderr and exit."""
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


def _is_usage_error(exc: BaseException) -> bool:
    """A click usage error (typer may vendor its own copy of click, so match by class name)."""
    return any(cls.__name__ == "UsageError" for cls in type(exc).__mro__)


class ChineseUsageCommand(TyperCommand):
    """A command whose click usage errors become one Chinese line on stderr (exit 2)."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except Exception as exc:
            if not _is_usage_error(exc):
                raise
            path = f"{parent.command_path} {info_name}" if parent else str(info_name)
            kind = {
                "MissingParameter": "缺少必需的参数",
                "NoSuchOption": "未知的选项",
                "BadParameter": "参数值无效",
                "BadOptionUsage": "选项用法错误",
                "BadArgumentUsage": "参数用法错误",
            }.get(type(exc).__name__, "用法错误")
            hint = getattr(exc, "option_name", None) or getattr(getattr(exc, "param", None), "name", None) or ""
            typer.echo(f"错误：{kind}{f'（{hint}）' if hint else ''}；请运行 `{path} --help` 查看用法", err=True)
            raise typer.Exit(2) from None


class ChineseUsageGroup(TyperGroup):
    """A command group answering an unknown sub-command with one Chinese line (exit 2)."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except Exception as exc:
            if not _is_usage_error(exc):
                raise
            typer.echo(
                f"错误：未知的子命令“{args[0] if args else ''}”；请运行 `{ctx.command_path} --help` 查看用法", err=True
            )
            raise typer.Exit(2) from None


def _sub(name: str, help_text: str) -> typer.Typer:
    return typer.Typer(name=name, help=help_text, no_args_is_help=True, add_completion=False, cls=ChineseUsageGroup)


users_app = _sub("users", "用户与令牌（安全保密管理员）")
org_app = _sub("org", "机关层级与定密授权")
db_app = _sub("db", "数据库")
audit_app = _sub("audit", "审计日志")


def _database() -> Any:
    """Prepared settings → migrated database (exit 2 on unsafe settings)."""
    from .db import Database
    from .settings import load_settings

    try:
        settings = load_settings()
    except DingmiError as exc:
        fail(f"[{exc.code}] {exc.message}")
    except Exception as exc:  # pydantic validation of DINGMI_* variables
        fail(f"设置无效：{str(exc).splitlines()[0]}")
    db = Database(settings.effective_database_url, audit_key=settings.audit_key_bytes)
    db.upgrade()
    return db


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址"),
    port: int = typer.Option(8000, "--port", help="端口"),
    workers: int = typer.Option(1, "--workers", help="工作进程数（每个进程各自加载模型）"),
) -> None:
    """启动定密辅助服务（uvicorn）。"""
    from .main import create_app
    from .server import run
    from .settings import load_settings

    if not 0 < port < 65536:
        fail("端口应在 1–65535 之间")
    if workers < 1:
        fail("工作进程数至少为 1")
    try:
        settings = load_settings()
        app = create_app(settings) if workers == 1 else None
    except DingmiError as exc:
        fail(f"[{exc.code}] {exc.message}")
    except Exception as exc:
        fail(f"设置无效：{str(exc).splitlines()[0]}")
    run(app, host=host, port=port, workers=workers)


@users_app.command("add", cls=ChineseUsageCommand)
def users_add(
    name: str = typer.Argument(None, help="用户名"),
    role: str = typer.Option(None, "--role", help=f"角色：{ROLE_NAMES}"),
    authority: str = typer.Option(None, "--authority", help="定密权限（仅 responsible）：绝密、机密、秘密"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="从标准输入读取网页登录密码（第一行；不回显、不进入命令历史）"
    ),
) -> None:
    """创建用户；最后一行单独打印 API 令牌（只显示这一次）。"""
    from . import accounts

    if not name:
        fail("缺少用户名：dingmi users add 用户名 --role 角色")
    if not role:
        fail(f"缺少 --role；可选：{ROLE_NAMES}")
    password = _read_password() if password_stdin else None
    db = _database()
    try:
        created = accounts.create_user(db, name, role, authority, actor_id=None, via="cli")
        if password is not None:
            accounts.set_password(db, created.user.name, password, actor_id=None, via="cli")
    except accounts.AccountError as exc:
        fail(exc.message)
    finally:
        db.dispose()
    user = created.user
    extra = f"，定密权限 {user.authority}" if user.authority else ""
    typer.echo(f"已创建用户 {user.name}（编号 {user.id}，角色 {user.role}{extra}）。令牌只显示这一次，请妥善保管：")
    typer.echo(created.token)


def _read_password() -> str:
    """First line of stdin, checked before anything is stored."""
    import sys

    from .accounts import AccountError, check_password

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        check_password(password)
    except AccountError as exc:
        fail(exc.message)
    return password


@users_app.command("password", cls=ChineseUsageCommand)
def users_password(
    name: str = typer.Argument(None, help="用户名"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取新密码（第一行）"),
) -> None:
    """设置或重设网页登录密码（同时解除锁定并结束该用户的网页会话）。"""
    from . import accounts

    if not name:
        fail("缺少用户名：dingmi users password 用户名 --password-stdin")
    if not password_stdin:
        fail("请使用 --password-stdin 从标准输入提供密码")
    password = _read_password()
    db = _database()
    try:
        accounts.set_password(db, name, password, actor_id=None, via="cli")
    except accounts.AccountError as exc:
        fail(exc.message)
    finally:
        db.dispose()
    typer.echo(f"已为 {name} 设置网页登录密码")


@users_app.command("role", cls=ChineseUsageCommand)
def users_role(
    name: str = typer.Argument(None, help="用户名"),
    role: str = typer.Option(None, "--role", help=f"新角色：{ROLE_NAMES}"),
    authority: str = typer.Option(None, "--authority", help="定密权限（仅 responsible）：绝密、机密、秘密"),
    active: bool = typer.Option(None, "--active/--inactive", help="启用或停用账号"),
) -> None:
    """变更角色、定密权限或状态（含三员之间的变更，只能在服务器上进行）。"""
    from sqlalchemy import select

    from . import accounts
    from .models import User

    if not name:
        fail("缺少用户名：dingmi users role 用户名 --role 角色")
    if role is None and authority is None and active is None:
        fail("请至少给出 --role、--authority 或 --active/--inactive 之一")
    db = _database()
    try:
        with db.read() as session:
            user_id = session.execute(select(User.id).where(User.name == name)).scalar()
        if user_id is None:
            fail(f"用户“{name}”不存在")
        user = accounts.update_user(db, user_id, actor_id=None, role=role, authority=authority, active=active, via="cli")
    except accounts.AccountError as exc:
        fail(exc.message)
    finally:
        db.dispose()
    assert user is not None
    state = "" if user.active else "（已停用）"
    typer.echo(f"已更新 {user.name}：角色 {user.role}{f'，定密权限 {user.authority}' if user.authority else ''}{state}")


@users_app.command("list", cls=ChineseUsageCommand)
def users_list() -> None:
    """列出用户。"""
    from . import accounts

    db = _database()
    try:
        for u in accounts.list_users(db):
            state = "" if u.active else "（已停用）"
            typer.echo(f"{u.id}\t{u.name}\t{u.role}\t{u.authority or '-'}{state}")
    finally:
        db.dispose()


@users_app.command("token", cls=ChineseUsageCommand)
def users_token(name: str = typer.Argument(None, help="用户名")) -> None:
    """撤销用户的旧令牌并签发新令牌（最后一行）。"""
    from . import accounts

    if not name:
        fail("缺少用户名：dingmi users token 用户名")
    db = _database()
    try:
        token = accounts.issue_token(db, name, actor_id=None, via="cli")
    except accounts.AccountError as exc:
        fail(exc.message)
    finally:
        db.dispose()
    typer.echo(f"已为 {name} 签发新令牌，旧令牌已撤销：")
    typer.echo(token)


@org_app.command("set", cls=ChineseUsageCommand)
def org_set(
    level: str = typer.Option(None, "--level", help="机关层级：中央、省级、设区的市、县级"),
    authorized: str = typer.Option(None, "--authorized", help="书面定密授权的最高密级：绝密、机密、秘密"),
    matters: str = typer.Option(None, "--matters", help="授权事项"),
    until: str = typer.Option(None, "--until", help="授权期限（YYYY-MM-DD）"),
) -> None:
    """记录机关层级与定密授权；未设置前所有涉密决定均报请上级。"""
    from . import accounts

    if level not in ORGAN_LEVELS:
        fail(f"--level 应为：{'、'.join(ORGAN_LEVELS)}")
    if authorized is not None and authorized not in SECRET_LEVELS:
        fail(f"--authorized 应为：{'、'.join(SECRET_LEVELS)}")
    until_date = None
    if until:
        try:
            until_date = date.fromisoformat(until)
        except ValueError:
            fail("--until 应为 YYYY-MM-DD 格式的日期")
    db = _database()
    try:
        accounts.set_org(
            db,
            level,
            authorized_level=authorized,
            authorized_matters=matters,
            authorized_until=until_date,
            actor_id=None,
            via="cli",
        )
    except accounts.AccountError as exc:
        fail(exc.message)
    finally:
        db.dispose()
    extra = f"，书面授权至 {authorized}" if authorized else ""
    typer.echo(f"已设置机关层级：{level}{extra}")


@org_app.command("show", cls=ChineseUsageCommand)
def org_show() -> None:
    """显示机关层级与定密授权。"""
    from .accounts import get_org

    db = _database()
    try:
        with db.read() as session:
            org = get_org(session)
    finally:
        db.dispose()
    if org is None:
        typer.echo("尚未设置机关层级（所有涉密决定均将报请上级）")
        return
    typer.echo(f"机关层级：{org.level}")
    if org.authorized_level:
        typer.echo(f"定密授权：{org.authorized_level}（期限：{org.authorized_until or '未限定'}）")


@db_app.command("upgrade", cls=ChineseUsageCommand)
def db_upgrade() -> None:
    """应用数据库迁移到最新版本。"""
    db = _database()
    try:
        revision = db.current_revision()
    finally:
        db.dispose()
    typer.echo(f"数据库已是最新版本（{revision}，{db.dialect}）")


@audit_app.command("verify", cls=ChineseUsageCommand)
def audit_verify(
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    checkpoint_file: str = typer.Option(None, "--checkpoint", help="另行保存的签名检查点文件（审计员导出）"),
) -> None:
    """校验审计日志：带密钥的哈希链、签名检查点、记录签名与保护触发器；发现问题时退出码为 1。"""
    from . import audit

    db = _database()
    try:
        store = _checkpoints()
        extra = (_read_checkpoint(checkpoint_file, store.key),) if checkpoint_file else ()
        report = audit.verify(db, store, extra=extra)
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    elif report.ok:
        typer.echo(f"审计日志完整：共 {report.events} 条事件，哈希链、检查点与记录签名校验通过")
    elif report.first_broken is not None:
        typer.echo(
            f"审计日志已被改动：第一条断裂的事件编号为 {report.first_broken}（共 {report.events} 条事件）：{report.reason}"
        )
    else:
        typer.echo(f"审计校验发现问题：{report.reason}")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint", cls=ChineseUsageCommand)
def audit_checkpoint(out: str = typer.Option(None, "--out", help="另存一份签名检查点（JSON）到此文件")) -> None:
    """写入签名检查点（事件数与链头哈希，存于数据目录），可另存一份供日后校验。"""
    from . import audit

    db = _database()
    try:
        store = _checkpoints()
        cp = audit.checkpoint(db, store)
    finally:
        db.dispose()
    signed = json.dumps(cp.signed(store.key), ensure_ascii=False)
    if out:
        from pathlib import Path

        Path(out).write_text(signed + "\n", encoding="utf-8")
    typer.echo(f"检查点：{cp.events} 条事件，最后编号 {cp.last_id}（{cp.at}）")
    if not out:
        typer.echo(signed)


def _checkpoints() -> Any:
    from .audit import CheckpointStore
    from .settings import load_settings

    settings = load_settings()
    return CheckpointStore(settings.checkpoint_path, settings.audit_key_bytes or b"")


def _read_checkpoint(path: str, key: bytes) -> Any:
    from pathlib import Path

    from .audit import Checkpoint

    try:
        cp = Checkpoint.parse(json.loads(Path(path).read_text(encoding="utf-8")), key)
    except (OSError, ValueError):
        cp = None
    if cp is None:
        fail(f"检查点文件 {path} 无法读取或签名不符")
    return cp


def register(app: typer.Typer) -> None:
    """Entry point (group ``dingmi.commands``): add the service commands to the ``dingmi`` CLI."""
    app.command("serve", cls=ChineseUsageCommand)(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(org_app, name="org")
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")


def main() -> None:  # pragma: no cover - convenience for `python -m dingmi_service.cli`
    """Run the service commands alone."""
    app = typer.Typer(add_completion=False, no_args_is_help=True)
    register(app)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
