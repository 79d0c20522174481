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
    assert "密级建议：机密" in out and "机密★20年" in out and "edu-06" in out and "降密建议" in out
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
