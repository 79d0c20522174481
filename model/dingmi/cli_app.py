"""The typer app of ``dingmi``: command declarations (options, help texts); the work is in ``dingmi.cli``
and the library. Installed extras add their commands through the ``dingmi.commands`` entry point."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Optional

import typer

from dingmi import cli
from dingmi.cli_zh import CONTEXT, os_reason
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
    cli.suggest(file, as_json, jsonl, catalog, authority, model, no_model, ocr)


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
        cli.fail(str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        cli.fail(f"无法读取 {data}（{os_reason(exc)}）")
    engine = cli.engine_for(catalog, model, no_model)
    metrics = run(rows, engine_predictor(engine))
    baseline = run(rows, keyword_predictor(engine))
    typer.echo(format_report("dingmi", metrics, baseline))
    if out:
        try:
            out.write_text(json.dumps({"engine": metrics, "keyword_baseline": baseline}, ensure_ascii=False, indent=2),
                           encoding="utf-8")
        except OSError as exc:
            cli.fail(f"无法写入 {out}（{os_reason(exc)}）")


@app.command("catalog-validate")
def catalog_validate(paths: Annotated[list[Path], typer.Argument(help="目录文件")]) -> None:
    """校验目录文件（逐行检查字段和密级），出错时指明文件、行号和字段。"""
    from dingmi.catalog import load_catalogs

    try:
        cat = load_catalogs(paths)
    except DingmiError as exc:
        cli.fail(str(exc))
    typer.echo(f"目录有效：{len(cat)}个条目（{cat.version}）")


def register_plugins() -> None:
    """Let installed extras (service…) add their commands without the core importing them."""
    for ep in entry_points(group="dingmi.commands"):
        try:
            register = ep.load()
        except ImportError:  # the extra's dependencies are not installed
            continue
        register(app)
