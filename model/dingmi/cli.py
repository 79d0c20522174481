"""Command line of dingmi: the entry point and the work behind ``dingmi suggest``.

The commands are declared with typer in ``dingmi.cli_app`` (``dingmi.cli.app`` still names that
app). A plain ``dingmi suggest FILE`` — a file and the options ``--json``, ``--no-model``,
``--ocr``, ``--authority``, ``--model``, ``--catalog`` — is run without building the typer app,
which with its plugins and per-option validation costs the command 0.1–0.2 s; help, every other
command, ``--jsonl`` and anything unusual (unknown options, ``--``, values that look like options)
go through typer, which also words every usage error.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from dingmi.errors import DingmiError

_FLAGS = {"--json": "as_json", "--no-model": "no_model", "--ocr": "ocr"}
_VALUES = {"--authority": "authority", "--model": "model", "--catalog": "catalog"}


def fail(message: str) -> NoReturn:
    """One Chinese line on stderr, exit code 2."""
    print(f"错误：{message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def echo(text: str) -> None:
    print(text, flush=True)


def engine_for(catalogs: list[Path] | None, model: Path | None = None, no_model: bool = False) -> Any:
    """The engine the options ask for; the default bundle is built on first use (never a quiet downgrade)."""
    from dingmi.bundle import default_bundle_dir, ensure_default_bundle
    from dingmi.engine import load_engine

    bundle = None
    try:
        if not no_model:
            bundle = model or default_bundle_dir()
            if model is None:
                ensure_default_bundle(bundle)  # a failed first-use build is an error, never a quiet downgrade
        return load_engine(catalogs or [], bundle)
    except DingmiError as exc:
        fail(str(exc))


def check_authority(authority: str | None) -> None:
    from dingmi.levels import authority_ceiling

    try:
        authority_ceiling(authority)
    except ValueError:
        fail(f"无效的定密权限“{authority}”，应为 绝密、机密、秘密、中央、省级、设区的市 或 县级")


def suggest(file: str | None, as_json: bool = False, jsonl: Path | None = None, catalog: list[Path] | None = None,
            authority: str | None = None, model: Path | None = None, no_model: bool = False, ocr: bool = False) -> None:
    """``dingmi suggest``: one file (or ``-``), or a JSONL batch."""
    check_authority(authority)
    if jsonl is not None:
        if file is not None:
            fail("--jsonl 与文件参数不能同时使用")
        suggest_jsonl(jsonl, engine_for(catalog, model, no_model), authority)
        return
    if file is None:
        fail("请给出文件路径，或用 - 从标准输入读取")
    from dingmi.reader import Extracted, TextSource, annotate, decode_text, extract_path

    try:
        doc = Extracted(decode_text(sys.stdin.buffer.read()), TextSource("txt")) if file == "-" else extract_path(file, ocr=ocr)
    except DingmiError as exc:
        fail(str(exc))
    engine = engine_for(catalog, model, no_model)
    s = engine.suggest(doc.text, authority=authority)
    result = annotate(s.to_dict(), doc)  # text_source; OCR text adds the flags ocr (and needs_review)
    if as_json:
        echo(json.dumps(result, ensure_ascii=False))
        return
    from rich.console import Console

    from dingmi.report import render

    s.flags = result["flags"]
    render(s, doc.text, Console(highlight=False, soft_wrap=True))
    if doc.source.ocr:
        echo(f"文字来源：OCR识别{doc.source.ocr_pages}页，平均置信度{doc.source.ocr_confidence or 0:.2f}；"
             "密点位置指识别出的文字。")


def suggest_jsonl(path: Path, engine: Any, authority: str | None) -> None:
    from dingmi.cli_zh import os_reason
    from dingmi.evaluate import iter_jsonl

    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"无法读取 {path}（{os_reason(exc)}）")
    out = sys.stdout
    for lineno, line in iter_jsonl(lines):
        doc_id: Any = None
        try:
            obj = json.loads(line)
            if isinstance(obj, dict):
                doc_id = obj.get("id")
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise ValueError("每行应为含字符串字段 text 的JSON对象")
            result = {"id": doc_id, **engine.suggest(obj["text"], authority=authority, title=str(obj.get("title") or "")).to_dict()}
        except (ValueError, TypeError) as exc:
            msg = f"第{lineno}行：" + ("不是有效的JSON" if isinstance(exc, json.JSONDecodeError) else str(exc))
            result = {"id": doc_id, "error": msg, "code": "DM121"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()


def plain_suggest(argv: list[str]) -> dict[str, Any] | None:
    """The options of a plain ``suggest FILE …`` call, or None for anything typer should see."""
    if not argv or argv[0] != "suggest":
        return None
    opts: dict[str, Any] = {"file": None, "as_json": False, "no_model": False, "ocr": False, "authority": None,
                            "model": None, "catalog": []}
    rest = iter(argv[1:])
    for arg in rest:
        name, eq, value = arg.partition("=")
        if name in _FLAGS and not eq:
            opts[_FLAGS[name]] = True
            continue
        if name in _VALUES:
            value = value if eq else next(rest, "")
            if not value or value.startswith("-"):
                return None
            if name == "--catalog":
                opts["catalog"].append(Path(value))
            else:
                opts[_VALUES[name]] = Path(value) if name == "--model" else value
            continue
        if not arg or (arg.startswith("-") and arg != "-") or opts["file"] is not None:
            return None  # help, --jsonl, --, unknown options, extra arguments: typer answers
        opts["file"] = arg
    if opts["file"] is None:
        return None
    opts["catalog"] = opts["catalog"] or None
    return opts


def main() -> None:
    """Console-script entry point."""
    opts = plain_suggest(sys.argv[1:])
    if opts is None:
        from dingmi.cli_app import app, register_plugins
        from dingmi.cli_zh import run

        run(app, register_plugins)  # exits
        return
    # as cli_zh.run does: pypdf's English repair notes silenced, an interrupt is one Chinese line
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        suggest(**opts)
    except (KeyboardInterrupt, EOFError):
        print(file=sys.stderr)
        print("已中断。", file=sys.stderr)
        raise SystemExit(130) from None
    except BrokenPipeError:  # the reader went away (… | head): quietly, exit 1, as typer does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
    raise SystemExit(0)


def __getattr__(name: str) -> Any:
    """``dingmi.cli.app`` and ``dingmi.cli._register_plugins`` (the typer app lives in ``dingmi.cli_app``)."""
    if name in ("app", "_register_plugins"):
        from dingmi import cli_app

        return cli_app.app if name == "app" else cli_app.register_plugins
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
