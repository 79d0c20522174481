"""dingmi scan / declass and the service upload on OFD, .doc, .wps and images (real files, real engine)."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from format_writers import OfdPage, ofd_bytes, page_image, png_bytes, word97_bytes
from typer.testing import CliRunner

from dingmi import ocr
from dingmi.scan.progress import PlainProgress
from dingmi.scan.runner import RunOptions, run

NOTICE = [
    "机密★20年",
    "关于2026年中考试卷印制交接工作的通知",
    "各县（区）教育局：",
    "语文、数学、英语等科目正式卷和备用卷已完成终审，参考答案和评分标准同步定稿，定于6月5日交保密印刷厂印制。",
    "×市教育局",
    "2026年5月28日",
]
HAS_OCR = ocr.available()


def _archive(root: Path) -> None:
    root.mkdir()
    (root / "通知.ofd").write_bytes(ofd_bytes([OfdPage(NOTICE[:2]), OfdPage(NOTICE[2:], per_char=False)]))
    (root / "通知.doc").write_bytes(word97_bytes([("\r".join(NOTICE) + "\r", False)]))
    (root / "通知.wps").write_bytes(word97_bytes([("\r".join(NOTICE) + "\r", False)], table="0Table"))
    (root / "扫描.png").write_bytes(png_bytes(page_image(NOTICE[:3], size=30)))
    (root / "坏.ofd").write_bytes(b"PK\x03\x04broken")


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["path"]: row for row in map(json.loads, lines)}


def _scan(root: Path, out: Path, **kw: Any) -> dict[str, dict[str, Any]]:
    run(RunOptions(root=root, out_dir=out, workers=1, progress=PlainProgress(io.StringIO()), **kw))
    return _rows(out)


def test_scan_reads_ofd_doc_wps_and_refuses_scans_without_ocr(tmp_path: Path, engine: Any) -> None:
    _archive(tmp_path / "a")
    rows = _scan(tmp_path / "a", tmp_path / "out")
    typed = engine.suggest("\n".join(NOTICE)).to_dict()  # the same text typed in: the format changes nothing
    for name, fmt in (("通知.ofd", "ofd"), ("通知.doc", "doc"), ("通知.wps", "wps")):
        row = rows[name]
        assert not row.get("code"), row
        assert row["text_source"]["format"] == fmt and row["text_source"]["ocr"] is False
        assert row["existing_marking"] == "机密★20年" and row["level"] == typed["level"] != "非密"
        assert [e["text"] for e in row["evidence"]] == [e["text"] for e in typed["evidence"]]
    assert rows["扫描.png"]["code"] == "DM125" and "需要OCR" in rows["扫描.png"]["error"]  # not DM111 unsupported
    assert rows["坏.ofd"]["code"] == "DM122"
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    chart = re.search(r'aria-label="按文件格式统计">(.*?)</svg>', report)
    assert chart, "the report has no chart by format"
    bars = dict(re.findall(r"<title>([^<]*)</title>[^<]*</text><rect[^>]*/><text[^>]*>(\d+)</text>", chart.group(1)))
    assert bars == {"ofd": "2", "doc": "1", "wps": "1", "png": "1"}  # the broken .ofd counts by its suffix


@pytest.mark.skipif(not HAS_OCR, reason="the ocr extra is not installed")
def test_scan_with_ocr_reads_the_image_and_reruns_the_refused_rows(tmp_path: Path) -> None:
    _archive(tmp_path / "a")
    out = tmp_path / "out"
    _scan(tmp_path / "a", out)
    rows = _scan(tmp_path / "a", out, ocr=True)  # a different setting: rows are redone
    image = rows["扫描.png"]
    assert not image.get("code") and image["text_source"]["ocr"] is True and "ocr" in image["flags"]
    assert image["existing_marking"] == "机密★20年"


def test_scan_and_declass_cli_accept_ocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dingmi.cli import _register_plugins, app

    _register_plugins()
    _archive(tmp_path / "a")
    monkeypatch.setattr(ocr, "available", lambda: False)
    for args in (["scan"], ["declass", "--as-of", "2026-11-30"]):
        argv = [*args, str(tmp_path / "a"), "--out", str(tmp_path / "o"), "--no-model", "--ocr"]
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 2 and "DM126" in result.output and "ocr" in result.output
    assert not (tmp_path / "o" / "results.jsonl").exists()


# ---------------------------------------------------------------- service upload


def _service(tmp_path: Path, engine: Any, **settings: Any) -> tuple[Any, dict[str, str]]:
    from dingmi_service import accounts
    from dingmi_service.main import create_app
    from dingmi_service.settings import Settings
    from fastapi.testclient import TestClient

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    os.chmod(data, 0o700)
    app = create_app(Settings(data_dir=data, **settings), engine=engine)
    client = TestClient(app)
    client.__enter__()
    token = accounts.create_user(app.state.db, "起草人", "drafter", None, actor_id=None, via="test").token
    return client, {"Authorization": f"Bearer {token}"}


def test_service_upload_of_new_formats(tmp_path: Path, engine: Any) -> None:
    pytest.importorskip("dingmi_service")
    client, auth = _service(tmp_path, engine)
    try:
        for name, data, fmt in (("通知.ofd", ofd_bytes([OfdPage(NOTICE)]), "ofd"),
                                ("通知.wps", word97_bytes([("\r".join(NOTICE), False)]), "wps")):
            r = client.post("/v1/suggestions", files={"file": (name, data)}, headers=auth)
            assert r.status_code == 201, r.text
            body = r.json()
            assert body["level"] != "非密" and body["details"]["text_source"]["format"] == fmt
            assert body["details"]["text_source"]["chars"] == body["char_count"]
            text = client.get(f"/v1/suggestions/{body['id']}", headers=auth).json()["text"]
            for ev in body["evidence"]:
                assert text[ev["start"] : ev["end"]] == ev["text"]
        r = client.post("/v1/suggestions", files={"file": ("扫描.png", png_bytes(page_image(NOTICE[:2])))}, headers=auth)
        assert r.status_code == 422 and r.json()["detail"]["code"] == "DM125"
    finally:
        client.__exit__(None, None, None)


@pytest.mark.skipif(not HAS_OCR, reason="the ocr extra is not installed")
def test_service_ocr_setting(tmp_path: Path, engine: Any) -> None:
    client, auth = _service(tmp_path, engine, ocr=True)
    try:
        r = client.post("/v1/suggestions", files={"file": ("扫描.png", png_bytes(page_image(NOTICE, size=26)))},
                        headers=auth)
        assert r.status_code == 201, r.text
        body = r.json()
        assert "ocr" in body["flags"] and body["details"]["text_source"]["ocr"] is True
    finally:
        client.__exit__(None, None, None)


def test_service_refuses_ocr_setting_without_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dingmi_service.errors import SettingsError
    from dingmi_service.settings import load_settings

    monkeypatch.setattr(ocr, "available", lambda: False)
    data = tmp_path / "d"
    data.mkdir(mode=0o700)
    with pytest.raises(SettingsError, match="ocr"):
        load_settings(data_dir=data, ocr=True)


# ---------------------------------------------------------------- web upload (起草检查)


def _web_check(tmp_path: Path, engine: Any, name: str, data: bytes, **settings: Any) -> str:
    """Sign a drafter in through the form and upload one file to 起草检查; the page's HTML."""
    import re

    from dingmi_service import accounts

    client, _auth = _service(tmp_path, engine, **settings)
    try:
        accounts.set_password(client.app.state.db, "起草人", "Secret-pass-2026", actor_id=None, via="test")
        csrf = re.compile(r'name="csrf" value="([^"]+)"')
        login = client.get("/login")
        client.post("/login", data={"csrf": csrf.search(login.text).group(1), "username": "起草人",
                                    "password": "Secret-pass-2026", "next": "/"})
        page = client.get("/check")
        form = {"csrf": csrf.search(page.text).group(1), "text": ""}
        r = client.post("/check", data=form, files={"file": (name, data)})
        assert r.status_code == 200, r.text[:500]
        return r.text
    finally:
        client.__exit__(None, None, None)


def test_web_check_highlights_evidence_in_the_extracted_ofd_text(tmp_path: Path, engine: Any) -> None:
    import html
    import re

    page = _web_check(tmp_path, engine, "通知.ofd", ofd_bytes([OfdPage(NOTICE, shuffle=2)]))
    marks = [html.unescape(m) for m in re.findall(r'<mark id="ev-\d+"><a [^>]*>(.*?)</a>', page)]
    text = "\n".join(NOTICE)
    typed = engine.suggest(text, title="通知").to_dict()  # the web check passes the file's name as title
    assert marks and set(marks) <= {e["text"] for e in typed["evidence"]}
    assert all(mark in text for mark in marks)  # highlighted in the extracted text


@pytest.mark.skipif(not HAS_OCR, reason="the ocr extra is not installed")
def test_web_check_of_a_scan_with_ocr_on(tmp_path: Path, engine: Any) -> None:
    from dingmi.explain import FLAG_TEXT

    page = _web_check(tmp_path, engine, "扫描.png", png_bytes(page_image(NOTICE, size=26)), ocr=True)
    assert "机密★20年" in page and FLAG_TEXT["ocr"].split("，")[0] in page
