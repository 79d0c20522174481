"""Uploads and bad input: 413, 415, 422 with Chinese messages; failed requests store nothing."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from .conftest import DERIVED_DOC, PLAIN_DOC, Service
from .test_decisions import snapshot

PDF_TEXT = "现转发上级来文（秘密★5年），请各单位认真遵照执行。"


def make_docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pdf(line: str) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(40, 700, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def upload(svc: Service, name: str, data: bytes, title: str | None = None, who: str = "drafter"):  # type: ignore[no-untyped-def]
    form = {"title": title} if title is not None else None
    return svc.client.post("/v1/suggestions", files={"file": (name, data)}, data=form, headers=svc.auth(who))


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("来文.txt", lambda: DERIVED_DOC.format(level="机密", period="20年").encode("utf-8")),
        ("来文.txt", lambda: DERIVED_DOC.format(level="机密", period="20年").encode("gbk")),
        ("来文.docx", lambda: make_docx(["关于转发文件的通知", DERIVED_DOC.format(level="机密", period="20年")])),
    ],
    ids=["utf8", "gbk", "docx"],
)
def test_file_uploads_are_read_and_hashed(sqlite_service: Service, name: str, make: Callable[[], bytes]) -> None:
    import hashlib

    data = make()
    r = upload(sqlite_service, name, data)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["filename"], body["title"], body["status"]) == (name, "来文", "pending")
    assert body["level"] == "机密"


def test_pdf_upload_with_a_title(sqlite_service: Service) -> None:
    r = upload(sqlite_service, "scan.pdf", make_pdf(PDF_TEXT), title="转发通知")
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "转发通知"
    assert "秘密★5年" in r.json()["text"]


def test_unsupported_types_are_415(sqlite_service: Service) -> None:
    svc = sqlite_service
    before = snapshot(svc)
    assert upload(svc, "a.exe", b"MZ\x90\x00").status_code == 415
    assert upload(svc, "noext", b"abc").status_code == 415
    r = svc.client.post(
        "/v1/suggestions", content=PLAIN_DOC.encode(), headers={**svc.auth("drafter"), "Content-Type": "text/plain"}
    )
    assert r.status_code == 415
    assert r.json()["detail"]["code"] == "DM415"
    assert "仅支持" in r.json()["detail"]["message"]
    assert snapshot(svc) == before


def test_unreadable_files_are_422_with_a_chinese_message(sqlite_service: Service) -> None:
    svc = sqlite_service
    before = snapshot(svc)
    for name, data in [("坏.docx", b"this is not a zip"), ("坏.pdf", b"%PDF-1.4 broken"), ("空.txt", b"   \n")]:
        r = upload(svc, name, data)
        assert r.status_code == 422, (name, r.text)
        detail = r.json()["detail"]
        assert detail["code"].startswith("DM1") or detail["code"] == "DM422"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in detail["message"])
    assert snapshot(svc) == before


def test_malformed_or_invalid_json_is_422(sqlite_service: Service) -> None:
    svc = sqlite_service
    before = snapshot(svc)
    headers = {**svc.auth("drafter"), "Content-Type": "application/json"}
    r = svc.client.post("/v1/suggestions", content=b'{"text": "abc', headers=headers)
    assert r.status_code == 422
    assert r.json()["detail"]["message"] == "JSON 格式错误，无法解析"
    for payload in [
        {"title": "无正文"},
        {"text": ""},
        {"text": "  "},
        {"text": "正文", "extra": 1},
        {"text": "含\u0000字符"},
        [1, 2],
    ]:
        r = svc.client.post("/v1/suggestions", json=payload, headers=svc.auth("drafter"))
        assert r.status_code == 422, (payload, r.text)
    bad_decision = svc.client.post(
        "/v1/suggestions/1/decision", content=b"{", headers={**svc.auth("resp_top"), "Content-Type": "application/json"}
    )
    assert bad_decision.status_code == 422
    assert snapshot(svc) == before


def test_multipart_without_a_file_field_is_422(sqlite_service: Service) -> None:
    r = sqlite_service.client.post(
        "/v1/suggestions",
        data={"title": "x"},
        files={"other": ("a.txt", b"abc")},
        headers=sqlite_service.auth("drafter"),
    )
    assert r.status_code == 422
    assert "file" in r.json()["detail"]["message"]


def test_uploads_beyond_the_default_20_mb_are_413(sqlite_service: Service) -> None:
    svc = sqlite_service
    before = snapshot(svc)
    big = b"a" * (20 * 1024 * 1024 + 1)
    r = upload(svc, "big.txt", big)
    assert r.status_code == 413
    assert r.json()["detail"]["code"] == "DM413"
    assert "20 MB" in r.json()["detail"]["message"]
    assert snapshot(svc) == before


def test_streamed_bodies_beyond_the_limit_are_413(make_service: Callable[..., Service]) -> None:
    svc = make_service(max_upload_bytes=1000)
    svc.user("drafter", "drafter")

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(200):
            yield b"x" * 1024
        yield b'"}'

    r = svc.client.post(
        "/v1/suggestions", content=chunks(), headers={**svc.auth("drafter"), "Content-Type": "application/json"}
    )
    assert r.status_code == 413
    small_file = upload(svc, "a.txt", "正文".encode() * 400)  # 2,400 bytes: over 1,000
    assert small_file.status_code == 413


def test_with_full_text_storage_off_only_hash_title_and_evidence_are_kept(make_service: Callable[..., Service]) -> None:
    svc = make_service(store_full_text=False)
    svc.user("drafter", "drafter")
    doc = DERIVED_DOC.format(level="机密", period="20年")
    r = svc.client.post("/v1/suggestions", json={"text": doc, "title": "来文"}, headers=svc.auth("drafter"))
    assert r.status_code == 201
    sid = r.json()["id"]
    with svc.db.engine.connect() as conn:
        stored_text, title, sha = conn.execute(
            text("SELECT text, title, sha256 FROM suggestions WHERE id = :i"), {"i": sid}
        ).one()
    assert stored_text is None and title == "来文" and len(sha) == 64
    got = svc.client.get(f"/v1/suggestions/{sid}", headers=svc.auth("drafter")).json()
    assert got["text"] is None
    assert got["level"] == "机密"


def test_secret_text_never_reaches_logs_or_audit_events(
    sqlite_service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    svc = sqlite_service
    svc.org("中央")
    marker = "绝对机密的火星基地坐标九九八"
    reason_marker = "理由中的敏感描述七七六"
    caplog.set_level(logging.DEBUG)
    s = svc.submit("drafter", DERIVED_DOC.format(level="机密", period="20年") + marker, "标题里的秘密五五四")
    svc.decide("resp_top", s["id"], action="change", level="秘密", reason=reason_marker, knowledge_scope="范围三三二")
    svc.decide("resp_top", s["id"], action="confirm")  # 409, audited
    upload(svc, "x.docx", b"broken" + marker.encode())
    with svc.db.engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.execute(text("SELECT * FROM audit_events")))
    for secret in (marker, reason_marker, "标题里的秘密五五四", "范围三三二", svc.tokens["drafter"]):
        assert secret not in dump
        assert secret not in caplog.text
    assert "sha256" in dump


def test_tokens_are_stored_hashed(sqlite_service: Service) -> None:
    with sqlite_service.db.engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(text("SELECT token_hash FROM api_tokens"))]
    assert hashes and all(len(h) == 64 for h in hashes)
    assert not set(sqlite_service.tokens.values()) & set(hashes)
