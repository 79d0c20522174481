"""``dingmi scan`` and ``dingmi declass``: registered on the main typer app through the
``dingmi.commands`` entry point. Bad usage exits 2 with one Chinese line on stderr."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

__all__ = ["register"]

OutOpt = Annotated[Optional[Path], typer.Option("--out", help="输出目录：状态文件、results.jsonl、results.csv、report.html")]
WorkersOpt = Annotated[Optional[int], typer.Option("--workers", help="并行进程数（默认使用全部CPU核）")]
RescanOpt = Annotated[bool, typer.Option("--rescan", help="忽略已完成的结果，全部重新处理")]
EngineOpt = Annotated[str, typer.Option("--engine", help="local（本机多进程）或 dask（Dask分布式集群）")]
SchedulerOpt = Annotated[Optional[str], typer.Option("--scheduler", help="Dask调度器地址，如 tcp://10.0.0.5:8786；不填则启动本机集群")]
CatalogOpt = Annotated[Optional[list[Path]], typer.Option("--catalog", help="追加的保密事项范围目录文件（JSONL，可重复）")]
AuthorityOpt = Annotated[Optional[str], typer.Option("--authority", help="本单位定密权限：绝密/机密/秘密，或 中央/省级/设区的市/县级")]
ModelOpt = Annotated[Optional[Path], typer.Option("--model", help="模型包目录（默认：与 dingmi suggest 相同的默认模型包）")]
NoModelOpt = Annotated[bool, typer.Option("--no-model", help="只用规则，不加载学习模型（快得多）")]
TimeoutOpt = Annotated[float, typer.Option(
    "--file-timeout", metavar="秒", help="单个文件的处理时间上限（秒，默认60）；超时的文件记为错误DM137，其工作进程被替换")]
OcrOpt = Annotated[bool, typer.Option("--ocr", help="对图片和扫描页做离线OCR识别（需安装 ocr 扩展；慢，约每页1–4秒）")]


def _fail(message: str) -> NoReturn:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(2)


def _bundle(model: Path | None, no_model: bool) -> str | None:
    """The same model as ``dingmi suggest``: --model, else the default bundle (built on first use)."""
    if no_model:
        if model is not None:
            _fail("--model 与 --no-model 不能同时使用")
        return None
    if model is not None:
        if not model.is_dir():
            _fail(f"模型包目录不存在：{model}")
        return str(model.absolute())
    from dingmi.bundle import default_bundle_dir, ensure_default_bundle
    from dingmi.errors import DingmiError

    default = default_bundle_dir()
    try:
        ensure_default_bundle(default)  # a failed first-use build stops the run; it never degrades quietly
    except DingmiError as exc:
        _fail(str(exc))
    return str(default.absolute())


def _common(path: Path, out: Path | None, workers: int | None, engine: str, scheduler: str | None,
            catalog: list[Path] | None, authority: str | None, model: Path | None,
            no_model: bool, file_timeout: float = 60.0) -> dict[str, object]:
    """Validate the options shared by scan and declass."""
    from dingmi.levels import authority_ceiling
    from dingmi.scan.runner import available_cpus

    if out is None:
        _fail("缺少输出目录：请用 --out DIR 指定")
    if not path.exists():
        _fail(f"路径不存在：{path}")
    if out.exists() and not out.is_dir():
        _fail(f"输出路径已存在且不是目录：{out}")
    if out.resolve() == path.resolve():
        _fail("输出目录不能是被扫描的目录本身，请指定另一个目录（可以是它的子目录）")
    if workers is not None and workers < 1:
        _fail("--workers 应为不小于1的整数")
    if not file_timeout > 0:
        _fail("--file-timeout 应为大于0的秒数")
    if engine not in ("local", "dask"):
        _fail(f"未知的 --engine “{engine}”，应为 local 或 dask")
    if scheduler and engine != "dask":
        _fail("--scheduler 只能与 --engine dask 一起使用")
    try:
        authority_ceiling(authority)
    except ValueError:
        _fail(f"无效的定密权限“{authority}”，应为 绝密、机密、秘密、中央、省级、设区的市 或 县级")
    for p in catalog or []:
        if not p.is_file():
            _fail(f"目录文件不存在：{p}")
    bundle = _bundle(model, no_model)
    return {
        "bundle": bundle, "file_timeout": file_timeout,
        "root": path, "out_dir": out, "workers": workers or available_cpus(), "engine": engine,
        "scheduler": scheduler, "catalog_paths": tuple(str(p.absolute()) for p in catalog or []), "authority": authority,
    }


def _check_ocr(ocr: bool) -> bool:
    """--ocr needs the ocr extra: refuse once, before any file is read."""
    from dingmi import ocr as ocr_module

    if ocr and not ocr_module.available():
        _fail(str(ocr_module.missing_error()))
    return ocr


def _run(**kwargs: object) -> None:
    from dingmi.errors import DingmiError
    from dingmi.scan.backends import BackendError
    from dingmi.scan.runner import RunOptions, run
    from dingmi.scan.state import StateError

    options = RunOptions(**kwargs)  # type: ignore[arg-type]
    try:
        summary = run(options)
    except (StateError, BackendError) as exc:
        _fail(str(exc))
    except DingmiError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        typer.echo("已中断；已完成的结果已保存，重新运行相同的命令可从中断处继续。", err=True)
        raise typer.Exit(130) from None
    what = "解密审查" if options.kind == "declass" else "扫描"
    text = (f"{what}完成：共{summary.files}个文件，本次处理{summary.processed}个，沿用已完成结果{summary.reused}个，"
            f"错误{summary.errors}个，用时{summary.elapsed:.1f}秒；结果在 {options.out_dir}")
    if options.kind == "declass":
        from dingmi.scan.declass import STATUS_LABELS, STATUSES

        counts = "，".join(f"{STATUS_LABELS[s]}{summary.outputs.by_status[s]}个"
                          for s in STATUSES if summary.outputs.by_status.get(s))
        text += f"\n{counts}" if counts else ""
    typer.echo(text)
    if summary.metadata_unmatched:
        typer.echo(f"注意：元数据CSV中有{summary.metadata_unmatched}条路径未对应任何扫描到的文件"
                   "（路径应相对于扫描目录，如 sub/a.txt；压缩包成员写作 a.zip!成员路径）", err=True)


def scan(
    path: Annotated[Path, typer.Argument(help="要扫描的目录或.zip压缩包")],
    out: OutOpt = None,
    workers: WorkersOpt = None,
    rescan: RescanOpt = False,
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    catalog: CatalogOpt = None,
    authority: AuthorityOpt = None,
    model: ModelOpt = None,
    no_model: NoModelOpt = False,
    ocr: OcrOpt = False,
    file_timeout: TimeoutOpt = 60.0,
) -> None:
    """批量扫描目录或压缩包，逐个文件提出定密建议；可中断续扫。"""
    _run(kind="scan", rescan=rescan, ocr=_check_ocr(ocr),
         **_common(path, out, workers, engine, scheduler, catalog, authority, model, no_model, file_timeout))


def declass(
    path: Annotated[Path, typer.Argument(help="要审查的目录或.zip压缩包")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="审查日期 YYYY-MM-DD")] = None,
    out: OutOpt = None,
    within: Annotated[int, typer.Option("--within", help="到期提醒：届满日在审查日期后多少天内")] = 90,
    previous_catalog: Annotated[Optional[list[Path]], typer.Option(
        "--previous-catalog", help="旧版保密事项范围目录（完整目录，可重复），用于发现条目变更")] = None,
    metadata: Annotated[Optional[Path], typer.Option(
        "--metadata", help="元数据CSV：path、marking（或 level/period）、issue_date 列，优先于文件版头")] = None,
    workers: WorkersOpt = None,
    rescan: RescanOpt = False,
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    catalog: CatalogOpt = None,
    authority: AuthorityOpt = None,
    model: ModelOpt = None,
    no_model: NoModelOpt = False,
    ocr: OcrOpt = False,
    file_timeout: TimeoutOpt = 60.0,
) -> None:
    """解密审查：列出已到期、即将到期、长期、解密条件、目录变更、标志与内容不符的文件。"""
    if as_of is None:
        _fail("缺少审查日期：请用 --as-of YYYY-MM-DD 指定")
    try:
        as_of_date = dt.date.fromisoformat(as_of)
    except ValueError:
        _fail(f"审查日期“{as_of}”无效，应为 YYYY-MM-DD")
    if within < 0:
        _fail("--within 应为不小于0的天数")
    for p in previous_catalog or []:
        if not p.is_file():
            _fail(f"旧版目录文件不存在：{p}")
    if metadata is not None and not metadata.is_file():
        _fail(f"元数据文件不存在：{metadata}")
    common = _common(path, out, workers, engine, scheduler, catalog, authority, model, no_model, file_timeout)
    _run(kind="declass", rescan=rescan, as_of=as_of_date, within=within, ocr=_check_ocr(ocr),
         previous_catalog_paths=tuple(str(p.absolute()) for p in previous_catalog or []),
         metadata_path=metadata, **common)


def register(app: typer.Typer) -> None:
    """Add the ``scan`` and ``declass`` commands to the dingmi command line."""
    app.command("scan")(scan)
    app.command("declass")(declass)
