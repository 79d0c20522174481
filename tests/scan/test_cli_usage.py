"""Bad usage of dingmi scan / declass: exit code 2 and one Chinese line on stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from dingmi.scan.cli import register
from dingmi.scan.state import STATE_FILE
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    register(app)
    return app


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_text("关于召开运动会的通知\n", encoding="utf-8")
    return root


def invoke(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (["scan", "{docs}"], "--out"),
    (["scan", "{tmp}/missing", "--out", "{tmp}/o"], "路径不存在"),
    (["scan", "{docs}", "--out", "{tmp}/o", "--workers", "0"], "--workers"),
    (["scan", "{docs}", "--out", "{tmp}/o", "--engine", "spark"], "--engine"),
    (["scan", "{docs}", "--out", "{tmp}/o", "--scheduler", "tcp://x:8786"], "--scheduler"),
    (["scan", "{docs}", "--out", "{tmp}/o", "--authority", "村级"], "定密权限"),
    (["scan", "{docs}", "--out", "{tmp}/o", "--catalog", "{tmp}/nope.jsonl"], "目录文件不存在"),
    (["scan", "{docs}", "--out", "{docs}/a.txt"], "不是目录"),
    (["scan", "{docs}", "--out", "{docs}"], "扫描的目录本身"),
    (["scan", "{docs}", "--out", "{tmp}/o", "--model", "{tmp}/nobundle"], "模型包目录不存在"),
    (["scan", "{docs}", "--out", "{tmp}/o", "--model", "{tmp}", "--no-model"], "--no-model"),
    (["declass", "{docs}", "--out", "{tmp}/o"], "--as-of"),
    (["declass", "{docs}", "--out", "{tmp}/o", "--as-of", "2026-13-01"], "审查日期"),
    (["declass", "{docs}", "--out", "{tmp}/o", "--as-of", "2026-11-27", "--within", "-1"], "--within"),
    (["declass", "{docs}", "--out", "{tmp}/o", "--as-of", "2026-11-27", "--metadata", "{tmp}/m.csv"], "元数据文件不存在"),
    (["declass", "{docs}", "--out", "{tmp}/o", "--as-of", "2026-11-27", "--previous-catalog", "{tmp}/p.jsonl"], "旧版目录"),
])
def test_when_usage_is_bad_then_exit_2_with_one_chinese_line(app, docs, tmp_path, args, needle):
    code, err = invoke(app, *(a.format(docs=docs, tmp=tmp_path) for a in args))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and needle in lines[0]


def test_when_metadata_has_bad_date_then_exit_2_naming_the_line(app, docs, tmp_path):
    meta = tmp_path / "m.csv"
    meta.write_text("path,marking,issue_date\na.txt,秘密★10年,去年\n", encoding="utf-8")
    code, err = invoke(app, "declass", str(docs), "--out", str(tmp_path / "o"), "--as-of", "2026-11-27",
                       "--metadata", str(meta))
    assert code == 2 and "第2行" in err and len(err.strip().splitlines()) == 1


def test_when_out_dir_holds_the_other_command_then_exit_2(app, docs, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    from dingmi.scan.state import StateDB

    StateDB(out, "scan", "x").close()
    assert (out / STATE_FILE).exists()
    code, err = invoke(app, "declass", str(docs), "--out", str(out), "--as-of", "2026-11-27")
    assert code == 2 and "dingmi scan" in err


def test_when_installed_then_commands_are_registered():
    result = subprocess.run([sys.executable, "-m", "dingmi", "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert "scan" in result.stdout and "declass" in result.stdout


def test_when_another_run_holds_the_out_dir_then_exit_2(app, docs, tmp_path):
    fcntl = pytest.importorskip("fcntl")
    out = tmp_path / "o"
    out.mkdir()
    with open(out / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, err = invoke(app, "scan", str(docs), "--out", str(out))
    assert code == 2 and "正被另一个扫描使用" in err


def test_when_model_bundle_is_broken_then_exit_2_with_its_reason(app, docs, tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "meta.json").write_text("{}", encoding="utf-8")
    code, err = invoke(app, "scan", str(docs), "--out", str(tmp_path / "o"), "--workers", "1", "--model", str(bundle))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "DM303" in lines[0]
