"""Command line of dingmi (typer). Thin wrappers: the work happens in the library."""

from __future__ import annotations

import json
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer

from dingmi.cli_zh import CONTEXT, os_reason, run
from dingmi.errors import DingmiError

app = typer.Typer(
    name="dingmi",
    help="定密辅助：依据保密事项范围提出密级、保密期限和国家秘密标志建议，由定密责任人审核确定。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)

CatalogOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--catalog", help="追加的保密事项范围目录文件（JSONL，可重复）；条目即时可用，无需重新训练。"),
]
ModelOpt = Annotated[
    Optional[Path],
    typer.Option("--model", help="模型包目录（默认：数据目录下的默认模型包，首次使用时自动训练）"),
]
NoModelOpt = Annotated[bool, typer.Option("--no-model", help="只用规则，不加载学习模型")]
OcrOpt = Annotated[bool, typer.Option("--ocr", help="对图片和扫描页做离线OCR识别（需安装 ocr 扩展）")]
AuthorityOpt = Annotated[
    Optional[str],
    typer.Option("--authority", help="本单位定密权限：绝密/机密/秘密，或机关层级 中央/省级/设区的市/县级。"),
]


def fail(message: str) -> NoReturn:
    """One Chinese line on stderr, exit code 2."""
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(2)


def _engine(catalogs: list[Path] | None, model: Path | None = None, no_model: bool = False) -> Any:
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


def _check_authority(authority: str | None) -> None:
    from dingmi.levels import authority_ceiling

    try:
        authority_ceiling(authority)
    except ValueError:
        fail(f"无效的定密权限“{authority}”，应为 绝密、机密、秘密、中央、省级、设区的市 或 县级")


@app.command()
def suggest(
    file: Annotated[Optional[str], typer.Argument(
        help="文件路径（.txt/.md/.html/.docx/.pdf/.ofd/.doc/.wps，加 --ocr 时还可为图片），或 - 读取标准输入")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个JSON对象")] = False,
    jsonl: Annotated[Optional[Path], typer.Option("--jsonl", help="批量：每行 {\"id\":…, \"text\":…}，每行输出一个JSON建议")] = None,
    catalog: CatalogOpt = None,
    authority: AuthorityOpt = None,
    model: ModelOpt = None,
    no_model: NoModelOpt = False,
    ocr: OcrOpt = False,
) -> None:
    """对一份文件提出定密建议（密级、期限、标志、依据条目、密点、降密建议）。"""
    _check_authority(authority)
    if jsonl is not None:
        if file is not None:
            fail("--jsonl 与文件参数不能同时使用")
        _suggest_jsonl(jsonl, _engine(catalog, model, no_model), authority)
        return
    if file is None:
        fail("请给出文件路径，或用 - 从标准输入读取")
    from dingmi.reader import Extracted, TextSource, annotate, decode_text, extract_path

    try:
        doc = Extracted(decode_text(sys.stdin.buffer.read()), TextSource("txt")) if file == "-" else extract_path(file, ocr=ocr)
    except DingmiError as exc:
        fail(str(exc))
    engine = _engine(catalog, model, no_model)
    s = engine.suggest(doc.text, authority=authority)
    result = annotate(s.to_dict(), doc)  # text_source; OCR text adds the flags ocr (and needs_review)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    from rich.console import Console

    from dingmi.report import render

    s.flags = result["flags"]
    render(s, doc.text, Console(highlight=False, soft_wrap=True))
    if doc.source.ocr:
        typer.echo(f"文字来源：OCR识别{doc.source.ocr_pages}页，平均置信度{doc.source.ocr_confidence or 0:.2f}；"
                   "密点位置指识别出的文字。")


def _suggest_jsonl(path: Path, engine: Any, authority: str | None) -> None:
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


@app.command()
def evaluate(
    data: Annotated[Path, typer.Argument(help="带标注的评测集（JSONL，格式同共享开发集）")],
    catalog: CatalogOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="把全部指标写入此JSON文件")] = None,
    model: ModelOpt = None,
    no_model: NoModelOpt = False,
) -> None:
    """在带标注的评测集上评测引擎，并与关键词基线对照。"""
    from dingmi.evaluate import engine_predictor, evaluate as run, format_report, keyword_predictor, read_labelled

    try:
        rows = read_labelled(data)
    except DingmiError as exc:
        fail(str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"无法读取 {data}（{os_reason(exc)}）")
    engine = _engine(catalog, model, no_model)
    metrics = run(rows, engine_predictor(engine))
    baseline = run(rows, keyword_predictor(engine))
    typer.echo(format_report("dingmi", metrics, baseline))
    if out:
        try:
            out.write_text(json.dumps({"engine": metrics, "keyword_baseline": baseline}, ensure_ascii=False, indent=2),
                           encoding="utf-8")
        except OSError as exc:
            fail(f"无法写入 {out}（{os_reason(exc)}）")


@app.command("catalog-validate")
def catalog_validate(paths: Annotated[list[Path], typer.Argument(help="目录文件")]) -> None:
    """校验目录文件（逐行检查字段和密级），出错时指明文件、行号和字段。"""
    from dingmi.catalog import load_catalogs

    try:
        cat = load_catalogs(paths)
    except DingmiError as exc:
        fail(str(exc))
    typer.echo(f"目录有效：{len(cat)}个条目（{cat.version}）")


def _register_plugins() -> None:
    """Let installed extras (service…) add their commands without the core importing them."""
    for ep in entry_points(group="dingmi.commands"):
        try:
            register = ep.load()
        except ImportError:  # the extra's dependencies are not installed
            continue
        register(app)


def main() -> None:
    """Console-script entry point."""
    run(app, _register_plugins)
