"""``dingmi-train``: train, evaluate, cross-check a held-out domain, learn from decisions, export review tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from dingmi.cli_zh import CONTEXT, os_reason, run
from dingmi.errors import DingmiError

app = typer.Typer(name="dingmi-train", help="训练、评测和改进定密辅助模型。", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                  context_settings=CONTEXT)


def fail(message: str) -> NoReturn:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(2)


def fail_on(exc: Exception, path: Path) -> NoReturn:
    """One Chinese line for an error reading ``path``."""
    if isinstance(exc, DingmiError):
        fail(str(exc))
    fail(f"无法读取 {path}（{os_reason(exc)}）")


def _progress():  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), transient=False)


@app.command()
def train(
    out: Annotated[Optional[Path], typer.Option("--out", help="模型包目录（默认：数据目录下 bundles/default）")] = None,
    catalog: Annotated[Optional[list[Path]], typer.Option("--catalog", help="追加的保密事项范围目录文件（JSONL，可重复）")] = None,
    name: Annotated[str, typer.Option("--name", help="模型名称（写入 meta.json 和 model_version）")] = "dingmi",
) -> None:
    """用 corpus/labeled（及只训练条目评分的 corpus/scorer_only）训练模型包（固定随机种子，可复现）。"""
    from dingmi.bundle import corpus_digest, default_bundle_dir
    from dingmi.catalog import corpus_dir
    from dingmi_training.data import load_examples, scorer_only_dir
    from dingmi_training.decisions import learned_terms
    from dingmi_training.train import train as run

    target = out or default_bundle_dir()
    try:
        rows = load_examples()
        extra = load_examples(scorer_only_dir())
    except DingmiError as exc:
        fail(str(exc))
    with _progress() as bar:
        task = bar.add_task("训练", total=1)

        def step(desc: str, i: int, n: int) -> None:
            bar.update(task, description=desc, completed=i, total=n)

        # the corpus is recorded only when it is all the bundle learned from (no extra catalogs)
        digest = "" if catalog else corpus_digest(corpus_dir())
        meta = run(rows, target, catalog or [], name, step, learned_terms(rows), scorer_only=extra, corpus=digest)
    cv = meta["metrics"]["cross_validation"]
    typer.echo(f"模型包已写入 {target}（{len(rows) + len(extra)}个样本；留一领域交叉验证密级准确率 {cv['lodo_level_accuracy']:.3f}）")


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option("--data", help="带标注的评测集（JSONL）")],
    bundle: Annotated[Optional[Path], typer.Option("--bundle", help="模型包目录（默认：默认模型包）")] = None,
    out: Annotated[Path, typer.Option("--out", help="写入 metrics.json 和 report.md 的目录")] = Path("training/runs/eval"),
    catalog: Annotated[Optional[list[Path]], typer.Option(
        "--catalog", help="追加的保密事项范围目录文件（JSONL，可重复），与训练时相同")] = None,
) -> None:
    """评测模型包：分密级精确率/召回率/F1、混淆矩阵、定低/定高、条目Top-1/Top-3、误报、校准误差，附规则和关键词基线。"""
    from dingmi.bundle import default_bundle_dir
    from dingmi.engine import load_engine
    from dingmi.evaluate import read_labelled
    from dingmi_training.evaluate import full_report, write_report

    try:
        rows = read_labelled(data)
    except (OSError, UnicodeDecodeError, DingmiError) as exc:
        fail_on(exc, data)
    try:
        engine = load_engine(catalog or [], bundle or default_bundle_dir())
        rules = load_engine(catalog or [])
    except (OSError, DingmiError) as exc:
        fail_on(exc, bundle or default_bundle_dir())
    results = full_report(rows, engine, rules, "dingmi")
    write_report(results, out, f"评测：{data.name}（模型 {engine.model_version}）")
    typer.echo((out / "report.md").read_text(encoding="utf-8"))


@app.command("cross-domain")
def cross_domain(
    domain: Annotated[str, typer.Option("--domain", help="留出的领域，如 档案")] = "档案",
    dev: Annotated[Optional[Path], typer.Option("--dev", help="另用此评测集中该领域的文件评测")] = None,
    out: Annotated[Path, typer.Option("--out", help="写入 metrics.json 的目录")] = Path("training/runs/cross-domain"),
) -> None:
    """留出一个领域训练，再把该领域作为 --catalog 目录加载，单独报告该领域的指标。"""
    from dingmi.evaluate import read_labelled
    from dingmi_training.data import load_examples
    from dingmi_training.evaluate import cross_domain as run

    try:
        rows = load_examples()
        dev_rows = read_labelled(dev) if dev else []
    except (OSError, UnicodeDecodeError, DingmiError) as exc:
        fail_on(exc, dev or Path("corpus/labeled"))
    try:
        result = run(domain, rows, dev_rows)
    except ValueError:
        fail(f"参考目录中没有领域“{domain}”")
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    for part in ("corpus_held_out", "dev"):
        if part in result:
            m, r = result[part]["dingmi"], result[part]["rules_only"]
            typer.echo(f"{domain} · {part}（{result[part]['documents']}篇）：宏平均F1 {m['macro_f1']:.3f}（仅规则 {r['macro_f1']:.3f}），"
                       f"准确率 {m['accuracy']:.3f}，定低率 {m['under_rate']:.3f}，条目Top-3 {m['entry_top3']:.3f}")


@app.command("import-decisions")
def import_decisions(file: Annotated[Path, typer.Argument(help="定密责任人决定（JSONL）")]) -> None:
    """把确认、变更和否定的决定导入 corpus/labeled/decisions.jsonl（保留来源），下次 train 时使用。"""
    from dingmi_training.data import labeled_dir
    from dingmi_training.decisions import import_decisions as run

    try:
        added, skipped = run(file, labeled_dir())
    except (OSError, UnicodeDecodeError, DingmiError) as exc:
        fail_on(exc, file)
    typer.echo(f"已导入 {added} 条决定（{skipped} 条此前已导入）；运行 dingmi-train train 使其生效")


@app.command("export-review")
def export_review(
    results: Annotated[Path, typer.Argument(help="扫描结果 results.jsonl 或 dingmi suggest --jsonl 的输出")],
    out: Annotated[Path, typer.Option("--out", help="审核任务文件（JSONL）")] = Path("review_tasks.jsonl"),
    limit: Annotated[Optional[int], typer.Option("--limit", help="最多导出多少个任务（最难的优先）；不填则全部导出")] = None,
    texts: Annotated[Optional[Path], typer.Option(
        "--texts", help="dingmi suggest --jsonl 的输入文件（按 id 取原文）；扫描结果不需要，原文按扫描目录读取")] = None,
) -> None:
    """导出低置信、冲突和不明确事项的建议作为审核任务，难的排在前面；说明每类被跳过的行数和原因。"""
    from dingmi_training.review import collect_review, write_tasks

    if limit is not None and limit < 1:
        fail("--limit 应为不小于1的整数")
    try:
        tasks, skipped = collect_review(results, texts)
    except (OSError, UnicodeDecodeError, DingmiError) as exc:
        fail_on(exc, texts if texts is not None and not isinstance(exc, DingmiError) and results.is_file() else results)
    tasks = tasks[:limit] if limit is not None else tasks
    try:
        write_tasks(tasks, out)
    except OSError as exc:
        fail(f"无法写入 {out}（{os_reason(exc)}）")
    typer.echo(f"已导出 {len(tasks)} 个审核任务到 {out}")
    if skipped:
        typer.echo("跳过：" + "；".join(f"{reason} {n}行" for reason, n in skipped.most_common()))


def main() -> None:
    """Console-script entry point."""
    run(app)
