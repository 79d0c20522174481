"""Chinese command lines: help in Chinese at full width, every usage error one Chinese line.

Both ``dingmi`` and ``dingmi-train`` run through :func:`run`. ``--help`` uses click's plain
layout (no boxes cutting text at 80 columns) with Chinese metavars instead of Python types and
the built-in English texts ("Usage:", "Show this message and exit.", "[default: …]") in Chinese.
An unknown option, a missing argument or a bad value is one line ``错误：…`` on stderr, exit 2.
"""

from __future__ import annotations

import logging
import re
import shutil
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

try:  # typer ≥ 0.20 carries its own copy of click
    from typer._click import core as _core
    from typer._click import exceptions as _exc
except ImportError:  # pragma: no cover - older typer uses click itself
    import click.core as _core  # type: ignore[no-redef]
    import click.exceptions as _exc  # type: ignore[no-redef]

__all__ = ["CONTEXT", "os_reason", "run", "translate"]

#: click's Abort (typer ≥ 0.20 raises its own, and its copy of click has none)
_ABORT = tuple(cls for cls in {getattr(_exc, "Abort", None), getattr(typer, "Abort", None)} if cls is not None)

#: Help as wide as the text needs (never cut at 80 columns: click shortens a CJK summary that does
#: not fit to "..."); -h as well as --help.
CONTEXT: dict[str, Any] = {"max_content_width": 240, "terminal_width": max(shutil.get_terminal_size().columns, 200),
                           "help_option_names": ["-h", "--help"]}

_HELP = [
    (re.compile(r"^Usage: ", re.M), "用法："),
    (re.compile(r"^Arguments:$", re.M), "参数："),
    (re.compile(r"^Options:$", re.M), "选项："),
    (re.compile(r"^Commands:$", re.M), "命令："),
    (re.compile(r"Show this message and exit\."), "显示此帮助并退出。"),
    (re.compile(r"\[default: ([^\]]*)\]"), r"[默认：\1]"),
    (re.compile(r"\[required\]"), "[必填]"),
    (re.compile(r"\[env var: ([^\]]*)\]"), r"[环境变量：\1]"),
    (re.compile(r" <[a-z]+(?:\[[^\]]*\])?>"), ""),  # Python types beside argument names
    (re.compile(r"\[OPTIONS\]"), "[选项]"),
    (re.compile(r"COMMAND \[ARGS\]\.\.\."), "命令 [参数]..."),
]
_ERRORS = [
    (re.compile(r"No such option: (\S+)"), r"没有选项 \1"),
    (re.compile(r"Did you mean (\S+?)\?"), r"是否想用 \1？"),
    (re.compile(r"\(Possible options: (.*?)\)"), r"（可能的选项：\1）"),
    (re.compile(r"Missing argument '?(.+?)'?\."), r"缺少参数 \1。"),
    (re.compile(r"Missing option '?(.+?)'?\."), r"缺少选项 \1。"),
    (re.compile(r"Missing parameter: (\S+)"), r"缺少参数 \1"),
    (re.compile(r"Missing command\."), "缺少命令。"),
    (re.compile(r"No such command '(.+?)'\."), r"没有命令“\1”。"),
    (re.compile(r"Invalid value for (.+?): "), r"\1 的值无效："),
    (re.compile(r"Invalid value: "), "值无效："),
    (re.compile(r"Input should be a valid integer[^（]*"), "应为整数"),
    (re.compile(r"Input should be a valid number[^（]*"), "应为数字"),
    (re.compile(r"Input should be a valid boolean[^（]*"), "应为是或否"),
    (re.compile(r"(?:Value )?'(.*?)' is not a valid (?:integer|int)(?: range)?\."), r"“\1”不是有效的整数。"),
    (re.compile(r"(?:Value )?'(.*?)' is not a valid (?:float|number)(?: range)?\."), r"“\1”不是有效的数字。"),
    (re.compile(r"(?:Value )?'(.*?)' is not a valid (?:boolean|bool)\."), r"“\1”不是有效的布尔值。"),
    (re.compile(r"'(.*?)' is not one of (.*?)\."), r"“\1”不在可选值 \2 中。"),
    (re.compile(r"Option '(.+?)' requires an argument\."), r"选项 \1 需要一个值。"),
    (re.compile(r"Option '(.+?)' requires (\d+) arguments\."), r"选项 \1 需要\2个值。"),
    (re.compile(r"Option '(.+?)' does not take a value\."), r"选项 \1 不接受值。"),
    (re.compile(r"Got unexpected extra arguments? ?(?:\(s\))? ?\((.*)\)"), r"多余的参数（\1）"),
    (re.compile(r"(?:File|Directory|Path) '(.+?)' does not exist\."), r"路径“\1”不存在。"),
]
_METAVARS = {Path: "路径", str: "文本", int: "整数", float: "数字"}


def os_reason(exc: BaseException) -> str:
    """Why a file could not be read or written, in Chinese (``dingmi.scan.walk.os_reason``, imported
    when needed: the reader modules it brings are not needed for help)."""
    from dingmi.scan.walk import os_reason as reason

    return reason(exc)


def translate(text: str, table: list[tuple[re.Pattern[str], str]] = _ERRORS) -> str:
    """click's English texts in Chinese (``table``: the error texts by default, or ``_HELP``)."""
    for pattern, replacement in table:
        text = pattern.sub(replacement, text)
    return text


def _metavar(annotation: Any) -> str | None:
    """A Chinese metavar for a parameter's type (``list[Path]`` → 路径), or None to keep click's."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next((a for a in typing.get_args(annotation) if a is not type(None)), annotation)
    if typing.get_origin(annotation) in (list, tuple, set):
        annotation = (typing.get_args(annotation) or (str,))[0]
    return _METAVARS.get(annotation)


def localize(command: Any) -> None:
    """Give every parameter in the command tree a Chinese metavar unless it has its own."""
    for param in getattr(command, "params", []):
        descriptor = getattr(param, "type_descriptor", None)
        if getattr(param, "metavar", None) is None and not getattr(param, "is_flag", False) and descriptor is not None:
            param.metavar = _metavar(descriptor.annotation)
    for sub in getattr(command, "commands", {}).values():
        localize(sub)


def _install() -> None:
    """Help in Chinese (patches the click Context once) and pypdf's English repair notes silenced."""
    context = _core.Context
    if not getattr(context, "_dingmi_zh", False):
        plain = context.get_help

        def get_help(self: Any) -> str:
            return translate(plain(self), _HELP)

        context.get_help = get_help  # type: ignore[method-assign]
        context._dingmi_zh = True  # type: ignore[attr-defined]
    # pypdf logs its repairs of malformed files ("EOF marker not found") in English, without the
    # file name; the reader's coded Chinese error (DM119) says what matters.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)


def _usage_line(exc: Any) -> str:
    message = translate(re.sub(r"\s+", " ", exc.format_message()).strip())
    ctx = getattr(exc, "ctx", None)
    hint = f"（用 {ctx.command_path} --help 查看用法）" if ctx is not None else ""
    return f"错误：{message}{hint}"


def run(app: typer.Typer, prepare: Callable[[], None] = lambda: None) -> None:
    """Run a typer app with Chinese help and errors; never returns."""
    _install()
    prepare()
    command = typer.main.get_command(app)
    localize(command)
    try:
        code = command.main(standalone_mode=False, prog_name=app.info.name or None)
    except _exc.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help())
        code = 0
    except _exc.UsageError as exc:
        typer.echo(_usage_line(exc), err=True)
        code = 2
    except _ABORT:
        typer.echo("已中断。", err=True)
        code = 130
    except _exc.ClickException as exc:
        typer.echo(f"错误：{translate(exc.format_message())}", err=True)
        code = exc.exit_code
    sys.exit(code if isinstance(code, int) else 0)
