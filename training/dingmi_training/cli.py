"""``dingmi-train``: train, evaluate, cross-check a held-out domain, learn from decisions, export review tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from dingmi.errors import DingmiError

app = typer.Typer(name="dingmi-train", help="训练、评测和改进定密辅助模型。", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


def fail(message: str) -> None:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(2)


def _progress():  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), transient=False)


@app.command()
def train(
    out: Annotated[Optional[Path], typer.Option("--out", help="模型包目录（默认：数据目录下 bundles/default）")] = None,
    catalog: Annotated[Optional[list[Path]], typer.Option("--catalog", help="追加的目录文件")] = None,
    name: Annotated[str, typer.Option("--name", help="模型名称")] = "dingmi",
) -> None:
    """用 corpus/labeled 训练模型包（固定随机种子，可复现）。"""
    from dingmi.bundle import default_bundle_dir
    from dingmi_training.data import load_examples
    from dingmi_training.decisions import learned_terms
    from dingmi_training.train import train as run

    target = out or default_bundle_dir()
    try:
        rows = load_examples()
    except DingmiError as exc:
        fail(str(exc))
    with _progress() as bar:
        task = bar.add_task("训练", total=1)

        def step(desc: str, i: int, n: int) -> None:
            bar.update(task, description=desc, completed=i, total=n)

        meta = run(rows, target, catalog or [], name, step, learned_terms(rows))
    cv = meta["metrics"]["cross_validation"]
    typer.echo(f"模型包已写入 {target}（{len(rows)}个样本；留一领域交叉验证密级准确率 {cv['lodo_level_accuracy']:.3f}）")


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option("--data", help="带标注的评测集（JSONL）")],
    bundle: Annotated[Optional[Path], typer.Option("--bundle", help="模型包目录（默认：默认模型包）")] = None,
    out: Annotated[Path, typer.Option("--out", help="写入 metrics.json 和 report.md 的目录")] = Path("training/runs/eval"),
    catalog: Annotated[Optional[list[Path]], typer.Option("--catalog")] = None,
) -> None:
    """评测模型包：分密级精确率/召回率/F1、混淆矩阵、定低/定高、条目Top-1/Top-3、误报、校准误差，附规则和关键词基线。"""
    from dingmi.bundle import default_bundle_dir
    from dingmi.engine import load_engine
    from dingmi.evaluate import read_labelled
    from dingmi_training.evaluate import full_report, write_report

    try:
        rows = read_labelled(data)
        engine = load_engine(catalog or [], bundle or default_bundle_dir())
        rules = load_engine(catalog or [])
    except (OSError, DingmiError) as exc:
        fail(str(exc))
    results = full_report(rows, engine, rules, "dingmi")
    write_report(results, out, f"评测：{data.name}（模型 {engine.model_version}）")
    typer.echo((out / "report.md").read_text(encoding="utf-8"))


@app.command("cross-domain")
def cross_domain(
    domain: Annotated[str, typer.Option("--domain", help="留出的领域，如 档案")] = "档案",
    dev: Annotated[Optional[Path], typer.Option("--dev", help="另用此评测集中该领域的文件评测")] = None,
    out: Annotated[Path, typer.Option("--out")] = Path("training/runs/cross-domain"),
) -> None:
    """留出一个领域训练，再把该领域作为 --catalog 目录加载，单独报告该领域的指标。"""
    from dingmi.evaluate import read_labelled
    from dingmi_training.data import load_examples
    from dingmi_training.evaluate import cross_domain as run

    rows = load_examples()
    dev_rows = read_labelled(dev) if dev else []
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
    except (OSError, DingmiError) as exc:
        fail(str(exc))
    typer.echo(f"已导入 {added} 条决定（{skipped} 条此前已导入）；运行 dingmi-train train 使其生效")


@app.command("export-review")
def export_review(
    results: Annotated[Path, typer.Argument(help="扫描结果 results.jsonl 或 dingmi suggest --jsonl 的输出")],
    out: Annotated[Path, typer.Option("--out", help="审核任务文件（JSONL）")] = Path("review_tasks.jsonl"),
    limit: Annotated[Optional[int], typer.Option("--limit")] = None,
) -> None:
    """导出低置信、冲突和不明确事项的建议作为审核任务，难的排在前面。"""
    from dingmi_training.review import export_review as run

    try:
        n = run(results, out, limit)
    except (OSError, DingmiError) as exc:
        fail(str(exc))
    typer.echo(f"已导出 {n} 个审核任务到 {out}")


def main() -> None:
    app()
