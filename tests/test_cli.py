"""The dingmi command as users and other tools run it (real process, real files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docx
from documents import EXAM_BEFORE, EXAM_PUBLISHED

CONTRACT_KEYS = {"level", "period", "marking", "entries", "evidence", "rationale", "confidence", "flags",
                 "model_version", "catalog_version"}


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "dingmi", *args], input=stdin, capture_output=True, timeout=120)


def test_suggest_prints_a_readable_chinese_report(tmp_path: Path) -> None:
    f = tmp_path / "notice.txt"
    f.write_text(EXAM_BEFORE, encoding="utf-8")
    r = run("suggest", str(f))
    out = r.stdout.decode()
    assert r.returncode == 0
    assert "密级建议：机密" in out and "机密★启用前" in out and "edu-06" in out and "降密建议" in out
    assert "模型 tiny@" in out  # the bundle in use is named in every suggestion


def test_suggest_json_from_gb18030_file(tmp_path: Path) -> None:
    f = tmp_path / "gbk.txt"
    f.write_bytes(EXAM_BEFORE.encode("gb18030"))
    r = run("suggest", str(f), "--json")
    d = json.loads(r.stdout)
    assert CONTRACT_KEYS <= d.keys()
    assert d["level"] == "机密" and d["entries"][0]["id"] == "edu-06"
    assert {"start", "end", "text", "entry_id"} <= d["evidence"][0].keys()


def test_suggest_reads_docx_and_stdin(tmp_path: Path) -> None:
    f = tmp_path / "n.docx"
    document = docx.Document()
    for para in EXAM_BEFORE.split("\n"):
        document.add_paragraph(para)
    document.save(f)
    assert json.loads(run("suggest", str(f), "--json").stdout)["level"] == "机密"
    assert json.loads(run("suggest", "-", "--json", stdin=EXAM_PUBLISHED.encode()).stdout)["level"] == "非密"


def test_jsonl_batch_keeps_ids_and_survives_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text(
        json.dumps({"id": "a", "text": EXAM_BEFORE}, ensure_ascii=False) + "\n"
        + "{broken\n"
        + json.dumps({"id": "c", "body": "no text"}) + "\n"
        + json.dumps({"id": 4, "text": EXAM_PUBLISHED}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    r = run("suggest", "--jsonl", str(f), "--authority", "秘密")
    assert r.returncode == 0
    rows = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert [row["id"] for row in rows] == ["a", None, "c", 4]
    assert rows[0]["level"] == "机密" and "exceeds_authority" in rows[0]["flags"]
    assert "error" in rows[1] and "第2行" in rows[1]["error"]
    assert "error" in rows[2] and rows[3]["level"] == "非密"


def test_unreadable_input_exits_2_with_one_chinese_line(tmp_path: Path) -> None:
    r = run("suggest", str(tmp_path / "missing.txt"))
    assert r.returncode == 2
    err = r.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("错误：")
    binary = tmp_path / "x.exe"
    binary.write_bytes(bytes(range(256)) * 10)
    assert run("suggest", str(binary)).returncode == 2
    assert run("suggest", str(tmp_path / "x.exe"), "--authority", "特级").returncode == 2


def test_bad_catalog_option_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "org.jsonl"
    bad.write_text('{"id": "x-1", "regulation": "r", "domain": "d", "item": "i", "text": "t", "level": "特密"}\n', encoding="utf-8")
    f = tmp_path / "n.txt"
    f.write_text(EXAM_BEFORE, encoding="utf-8")
    r = run("suggest", str(f), "--catalog", str(bad))
    assert r.returncode == 2 and "特密" in r.stderr.decode() and "第1行" in r.stderr.decode()


def test_evaluate_prints_engine_beside_baseline(tmp_path: Path) -> None:
    data = tmp_path / "eval.jsonl"
    rows = [
        {"id": "1", "title": "", "text": EXAM_BEFORE, "expected_level": "机密", "expected_entries": ["edu-06"],
         "expected_period": "", "kind": "positive"},
        {"id": "2", "title": "", "text": EXAM_PUBLISHED, "expected_level": "非密", "expected_entries": [],
         "expected_period": "", "kind": "temporal_negative"},
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "m.json"
    r = run("evaluate", str(data), "--out", str(out))
    assert r.returncode == 0 and "关键词基线" in r.stdout.decode()
    m = json.loads(out.read_text(encoding="utf-8"))
    assert m["engine"]["accuracy"] == 1.0 and m["engine"]["entry_top1"] == 1.0
    assert m["engine"]["fp_rate_negatives"] == 0.0


def run_train(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "dingmi_training", *args], capture_output=True, timeout=120, cwd=cwd)


def one_chinese_error(r: subprocess.CompletedProcess[bytes]) -> str:
    """The single stderr line of a failed command (asserted: exit 2, one line, Chinese, no traceback)."""
    lines = r.stderr.decode().strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr.decode()
    assert lines[0].startswith("错误：") and "Errno" not in lines[0] and "Traceback" not in lines[0]
    return lines[0]


def test_every_failure_is_one_chinese_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage without an end")
    assert "DM119" in one_chinese_error(run("suggest", str(broken), "--no-model"))
    assert "文件不存在" in one_chinese_error(run("evaluate", str(tmp_path / "missing.jsonl"), "--no-model"))
    assert "文件不存在" in one_chinese_error(run_train("export-review", str(tmp_path / "missing")))
    assert "文件不存在" in one_chinese_error(run_train("evaluate", "--data", str(tmp_path / "missing.jsonl")))
    assert "没有选项 --bogus" in one_chinese_error(run("suggest", "--bogus"))
    assert "没有选项 --bogus" in one_chinese_error(run_train("train", "--bogus"))
    assert "缺少参数" in one_chinese_error(run("scan"))
    assert "应为整数" in one_chinese_error(run("scan", str(tmp_path), "--out", str(tmp_path / "o"), "--workers", "x"))
    assert "没有命令" in one_chinese_error(run("nosuch"))


def _commands(command: object, path: str) -> list[tuple[str, object]]:
    out = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        out.extend(_commands(sub, f"{path} {name}"))
    return out


def test_help_is_chinese_full_width_and_every_option_explained() -> None:
    import os

    import typer
    from dingmi.cli import _register_plugins, app
    from dingmi_training.cli import app as train_app

    _register_plugins()
    tree = _commands(typer.main.get_command(app), "dingmi") + _commands(typer.main.get_command(train_app), "dingmi-train")
    names = {path for path, _ in tree}
    assert {"dingmi db", "dingmi audit", "dingmi scan", "dingmi declass", "dingmi-train export-review"} <= names
    for path, command in tree:
        for param in command.params:  # type: ignore[attr-defined]
            assert param.help, f"{path} {param.name} has no help text"
    env = {**os.environ, "COLUMNS": "80"}
    for path, _ in tree:
        module, *rest = path.split(" ")
        r = subprocess.run([sys.executable, "-m", "dingmi" if module == "dingmi" else "dingmi_training", *rest, "--help"],
                           capture_output=True, timeout=60, env=env)
        text = r.stdout.decode()
        assert r.returncode == 0 and text.startswith("用法："), path
        for english in ("Usage:", "Show this message", "Options:", "[default:", "[required]", "<list[", "<path>", "<str>"):
            assert english not in text, f"{path}: {english}"
        assert "  ...\n" not in text and not any(line.rstrip().endswith("...") for line in text.splitlines()
                                                 if not line.startswith("用法")), path


def test_readme_lists_every_command() -> None:
    import typer
    from dingmi.cli import _register_plugins, app

    _register_plugins()
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for name in typer.main.get_command(app).commands:  # type: ignore[attr-defined]
        assert f"dingmi {name}" in readme, name


def test_first_use_ignores_a_dingmi_folder_in_the_current_directory(tmp_path: Path, tiny_corpus: Path) -> None:
    import os
    import shutil

    (tmp_path / "dingmi").mkdir()  # e.g. the parent folder of a checkout named dingmi
    (tmp_path / "dingmi_training").mkdir()
    doc = tmp_path / "doc.txt"
    doc.write_text(EXAM_BEFORE, encoding="utf-8")
    env = {**os.environ, "DINGMI_CORPUS_DIR": str(tiny_corpus), "DINGMI_DATA_DIR": str(tmp_path / "data")}
    env.pop("DINGMI_BUNDLE", None)
    exe = shutil.which("dingmi") or ""
    assert exe, "the dingmi console script is installed"
    r = subprocess.run([exe, "suggest", str(doc), "--json"], capture_output=True, timeout=600, cwd=tmp_path, env=env)
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert "首次使用" in err and "默认模型包已就绪（用时" in err
    assert json.loads(r.stdout)["model_version"] != "" and "rules-" not in json.loads(r.stdout)["model_version"]


def test_a_failed_first_use_build_is_an_error_not_a_quiet_downgrade(tmp_path: Path, tiny_corpus: Path) -> None:
    import os

    (tiny_corpus / "labeled" / "broken.jsonl").write_text("{not json\n", encoding="utf-8")
    doc = tmp_path / "doc.txt"
    doc.write_text(EXAM_BEFORE, encoding="utf-8")
    env = {**os.environ, "DINGMI_CORPUS_DIR": str(tiny_corpus), "DINGMI_DATA_DIR": str(tmp_path / "data")}
    env.pop("DINGMI_BUNDLE", None)
    r = subprocess.run([sys.executable, "-m", "dingmi", "suggest", str(doc), "--json"], capture_output=True,
                       timeout=300, env=env)
    last = r.stderr.decode().strip().splitlines()[-1]
    assert r.returncode == 2 and r.stdout == b""
    assert last.startswith("错误：") and "DM309" in last and "不是有效的JSON" in last


def test_export_review_reads_texts_of_suggest_jsonl_and_of_a_scan_from_anywhere(tmp_path: Path) -> None:
    from dingmi.scan.state import StateDB
    from scan.scanfiles import zip_bytes

    hard = {"level": "秘密", "confidence": 0.4, "flags": ["needs_review"], "entries": [], "evidence": []}
    inputs = tmp_path / "in.jsonl"
    inputs.write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False)
                                for i, t in (("a", EXAM_BEFORE), ("b", EXAM_PUBLISHED))), encoding="utf-8")
    suggested = tmp_path / "suggested.jsonl"
    suggested.write_text("\n".join(json.dumps({"id": i, **hard}) for i in ("a", "b", "zz")), encoding="utf-8")
    r = run_train("export-review", str(suggested), "--texts", str(inputs), "--out", str(tmp_path / "t1.jsonl"))
    assert r.returncode == 0, r.stderr.decode()
    tasks = [json.loads(line) for line in (tmp_path / "t1.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {t["meta"]["id"] for t in tasks} == {"a", "b"} and "缺少原文" in r.stdout.decode()

    root = tmp_path / "archive"
    root.mkdir()
    (root / "n.txt").write_text(EXAM_BEFORE, encoding="utf-8")
    (root / "a!b.txt").write_text(EXAM_PUBLISHED, encoding="utf-8")
    (root / "box.zip").write_bytes(zip_bytes({"inner/doc.txt": EXAM_BEFORE.encode()}))
    out = tmp_path / "results"
    out.mkdir()
    db = StateDB(out, "scan", "x")
    db.set_meta(root=str(root))
    db.close()
    paths = ("n.txt", "a%21b.txt", "box.zip!inner/doc.txt", "gone.txt")
    (out / "results.jsonl").write_text("\n".join(json.dumps({"path": p, **hard}) for p in paths), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = run_train("export-review", str(out / "results.jsonl"), "--out", str(tmp_path / "t2.jsonl"), cwd=elsewhere)
    assert r.returncode == 0, r.stderr.decode()
    tasks = [json.loads(line) for line in (tmp_path / "t2.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(t["meta"]["path"] for t in tasks) == sorted(paths[:3])
    assert all(t["text"] in (EXAM_BEFORE, EXAM_PUBLISHED) for t in tasks)
    assert "无法读取" in r.stdout.decode() and "1行" in r.stdout.decode()


def test_ci_fails_when_an_optional_group_is_skipped(tmp_path: Path) -> None:
    import os

    tests, module = tmp_path / "tests", tmp_path / "module"
    tests.mkdir()
    module.mkdir()
    (tests / "test_groups.py").write_text(
        "import pytest\n"
        "def test_plain():\n    pass\n"
        "@pytest.mark.skipif(True, reason='DINGMI_TEST_POSTGRES_URL is not set')\n"
        "def test_pg():\n    pass\n"
        "@pytest.mark.skipif(True, reason='POSIX signals')\n"
        "def test_other_skip():\n    pass\n", encoding="utf-8")
    (module / "test_dask_module.py").write_text("import pytest\npytest.importorskip('no_such_dask_module')\n",
                                                encoding="utf-8")
    (module / "test_ok.py").write_text("def test_ok():\n    pass\n", encoding="utf-8")
    ci = Path(__file__).parent.parent / ".ci"

    def pytest_run(where: Path, **extra: str) -> subprocess.CompletedProcess[bytes]:
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_PLUGINS"}  # also when CI runs this test
        return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(where)],
                              capture_output=True, timeout=120, cwd=where, env={**env, **extra})

    as_ci = {"PYTHONPATH": str(ci), "PYTEST_PLUGINS": "require_all"}  # as .ci/run runs the command
    assert pytest_run(tests).returncode == 0 and pytest_run(module).returncode == 0  # README: skips allowed
    r = pytest_run(tests, **as_ci)
    out = r.stdout.decode()
    assert r.returncode == 1 and "PostgreSQL tests" in out
    assert "1 passed, 1 skipped, 1 error" in out  # the unrelated skip stays a skip
    r = pytest_run(module, **as_ci)
    assert r.returncode != 0 and "Dask tests" in r.stdout.decode()
    assert "python -m pytest" in (ci / "run").read_text(encoding="utf-8")
