"""What the dingmi command loads: help without the engine, a plain suggest without typer, same answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from documents import EXAM_BEFORE

from dingmi.cli import plain_suggest
from dingmi.engine import load_engine

LOADED = (
    "import sys\n"
    "sys.argv = ['dingmi', *sys.argv[1:]]\n"
    "from dingmi.cli import main\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "heavy = ('typer', 'pydantic', 'rich', 'dingmi.engine', 'dingmi.reader', 'numpy', 'sklearn', 'spacy',\n"
    "         'fastapi', 'sqlalchemy')\n"
    "print('LOADED', code, *[m for m in heavy if m in sys.modules], file=sys.stderr)\n"
)


def loaded(*args: str) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    r = subprocess.run([sys.executable, "-c", LOADED, *args], capture_output=True, text=True, timeout=300)
    line = next(x for x in r.stderr.splitlines() if x.startswith("LOADED"))
    return line.split()[1:], r


def test_help_loads_neither_the_engine_nor_the_readers() -> None:
    (code, *modules), r = loaded("--help")
    assert code == "0" and r.stdout.startswith("用法：") and "suggest" in r.stdout and "scan" in r.stdout
    assert modules == ["typer"]


def test_a_plain_suggest_runs_without_typer_and_answers_as_typer_does(tmp_path: Path, tiny_bundle: Path) -> None:
    load_engine(bundle=tiny_bundle)  # a first load keeps the bundle's numbers; spaCy (which needs typer) is not loaded again
    f = tmp_path / "notice.txt"
    f.write_text(EXAM_BEFORE, encoding="utf-8")
    (code, *modules), quick = loaded("suggest", str(f), "--json", "--authority=省级")
    assert code == "0" and "typer" not in modules and "pydantic" not in modules and "rich" not in modules
    (code, *modules), full = loaded("suggest", "--json", "--authority", "省级", "--", str(f))  # `--`: typer parses
    assert code == "0" and "typer" in modules
    assert json.loads(quick.stdout) == json.loads(full.stdout)
    assert json.loads(quick.stdout)["level"] == "机密"


@pytest.mark.parametrize("argv, expected", [
    (["suggest", "a.txt"], {"file": "a.txt"}),
    (["suggest", "--json", "-", "--no-model"], {"file": "-", "as_json": True, "no_model": True}),
    (["suggest", "--catalog", "x.jsonl", "a.txt", "--catalog=y.jsonl", "--ocr"],
     {"file": "a.txt", "catalog": [Path("x.jsonl"), Path("y.jsonl")], "ocr": True}),
    (["suggest", "a.txt", "--model", "m", "--authority", "机密", "--authority", "秘密"],
     {"file": "a.txt", "model": Path("m"), "authority": "秘密"}),
])
def test_plain_suggest_options(argv: list[str], expected: dict) -> None:
    base = {"file": None, "as_json": False, "no_model": False, "ocr": False, "authority": None, "model": None,
            "catalog": None}
    assert plain_suggest(argv) == {**base, **expected}


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["suggest"], ["suggest", "-h"], ["suggest", "a.txt", "--help"], ["suggest", "--jsonl", "b.jsonl"],
    ["suggest", "a.txt", "b.txt"], ["suggest", "a.txt", "--bogus"], ["suggest", "a.txt", "--json=yes"],
    ["suggest", "a.txt", "--authority"], ["suggest", "a.txt", "--authority", "--json"], ["suggest", "--", "a.txt"],
    ["suggest", ""], ["evaluate", "a.jsonl"], ["scan", "dir"],
])
def test_anything_else_goes_to_typer(argv: list[str]) -> None:
    assert plain_suggest(argv) is None
