"""Odd input and retries (issue 11, items 8, 9, 10, 13, 14, 15): coded 4xx answers, never a 500;
no duplicate suggestions; nothing that displays reordered."""

from __future__ import annotations

import csv
import io
import re
import threading
from typing import Any

import httpx
import pytest
from dingmi_service import accounts
from dingmi_service.models import Suggestion
from sqlalchemy import func, select

from .conftest import DERIVED_DOC, PLAIN_DOC, Service

PASSWORD = "correct-horse-battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def count(svc: Service) -> int:
    with svc.db.read() as s:
        return int(s.execute(select(func.count()).select_from(Suggestion)).scalar_one())


def test_deeply_nested_json_is_422_like_everywhere_else(sqlite_service: Service) -> None:
    svc = sqlite_service
    nested = b"[" * 1000 + b"]" * 1000
    headers = {**svc.auth("drafter"), "Content-Type": "application/json"}
    r = svc.client.post("/v1/suggestions", content=nested, headers=headers)
    assert r.status_code == 422 and r.json()["detail"]["code"] == "DM422"
    obj = b'{"text":' * 1000 + b'"x"' + b"}" * 1000
    assert svc.client.post("/v1/suggestions", content=obj, headers=headers).status_code == 422
    other = svc.client.put("/v1/org", content=nested, headers={**svc.auth("security"), "Content-Type": "application/json"})
    assert other.status_code == 422


def sign_in(svc: Service, name: str) -> None:
    accounts.set_password(svc.db, name, PASSWORD, actor_id=None, via="test")
    page = svc.client.get("/login")
    csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
    r = svc.client.post(
        "/login", data={"csrf": csrf, "username": name, "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        ("resp_top", "GET", "/suggestions/99999999999999999999"),
        ("resp_top", "GET", "/suggestions/2147483648"),
        ("resp_top", "GET", "/queue?age=999999999"),
        ("resp_top", "GET", "/queue?age=99999999999999999999"),
        ("auditor", "GET", "/audit?after=99999999999999999999"),
        ("auditor", "GET", "/audit?after=-1"),
        ("resp_top", "POST", "/suggestions/2147483648/decision"),
    ],
)
def test_web_routes_bound_huge_numbers(service: Service, who: str, method: str, path: str) -> None:
    svc = service
    sign_in(svc, who)
    data: dict[str, str] = {}
    if method == "POST":
        page = svc.client.get("/queue")
        data = {"csrf": CSRF_RE.search(page.text).group(1), "action": "confirm"}  # type: ignore[union-attr]
    r = svc.client.request(method, path, data=data or None, follow_redirects=False)
    assert 400 <= r.status_code < 500 or r.status_code == 200, (r.status_code, r.text[:300])
    # the service still answers on the same database afterwards
    assert svc.client.get("/v1/me", headers=svc.auth(who)).status_code == 200


def test_a_retry_with_the_same_idempotency_key_returns_the_first_suggestion(service: Service) -> None:
    svc = service
    headers = {**svc.auth("drafter"), "Idempotency-Key": "doc-2026-001"}
    first = svc.client.post("/v1/suggestions", json={"text": PLAIN_DOC, "title": "通知"}, headers=headers)
    again = svc.client.post("/v1/suggestions", json={"text": PLAIN_DOC, "title": "通知"}, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true" and again.json()["id"] == first.json()["id"]
    other = svc.client.post("/v1/suggestions", json={"text": PLAIN_DOC + "补充。"}, headers=headers)
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]["message"]
    bad = svc.client.post(
        "/v1/suggestions", json={"text": PLAIN_DOC}, headers={**svc.auth("drafter"), "Idempotency-Key": "has spaces"}
    )
    assert bad.status_code == 422
    assert count(svc) == 1


def test_the_same_document_pending_is_not_submitted_twice(service: Service) -> None:
    svc = service
    svc.org("中央")
    doc = DERIVED_DOC.format(level="秘密", period="10年")
    first = svc.submit("drafter", doc)
    again = svc.client.post("/v1/suggestions", json={"text": doc}, headers=svc.auth("drafter"))
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    # another drafter's copy, or the same text once decided, is a new item
    assert svc.submit("drafter2", doc)["id"] != first["id"]
    assert svc.decide("resp_top", first["id"], action="confirm").status_code == 200
    assert svc.client.post("/v1/suggestions", json={"text": doc}, headers=svc.auth("drafter")).status_code == 201
    assert count(svc) == 3


def test_concurrent_retries_create_one_suggestion(start_server: Any, backend: str | None) -> None:
    server = start_server(backend)
    token = accounts.create_user(server.app.state.db, "d", "drafter", None, actor_id=None, via="test").token
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "same-retry"}
    answers: list[int] = []
    barrier = threading.Barrier(4)

    def post() -> None:
        barrier.wait()
        r = httpx.post(f"{server.url}/v1/suggestions", json={"text": PLAIN_DOC}, headers=headers, timeout=60)
        answers.append(r.status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 200, 200, 201]
    with server.app.state.db.read() as s:
        assert s.execute(select(func.count()).select_from(Suggestion)).scalar_one() == 1


def test_405_names_the_allowed_methods(sqlite_service: Service) -> None:
    svc = sqlite_service
    cases = {"/v1/suggestions": "GET, HEAD, POST", "/v1/me": "GET, HEAD", "/v1/users/3": "PATCH"}
    for path, allowed in cases.items():
        r = svc.client.delete(path, headers=svc.auth("security"))
        assert r.status_code == 405 and r.headers["allow"] == allowed, (path, r.headers.get("allow"))
        assert r.json()["detail"]["code"] == "DM405"


def test_bidi_controls_are_neutralised_in_titles_file_names_and_csv(sqlite_service: Service) -> None:
    svc = sqlite_service
    svc.org("中央")
    title = "会议纪要\u202egpj.exe"
    r = svc.client.post(
        "/v1/suggestions",
        files={"file": ("\u202etxt.exe\u2066.txt", DERIVED_DOC.format(level="秘密", period="10年").encode("utf-8"))},
        data={"title": title},
        headers=svc.auth("drafter"),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["title"] == "会议纪要[U+202E]gpj.exe"
    assert "\u202e" not in body["filename"] and "[U+2066]" in body["filename"]
    assert svc.decide("resp_top", body["id"], action="confirm").status_code == 200
    # a title stored before this change still leaves the CSV neutralised
    with svc.db.write() as s:
        row = s.get(Suggestion, body["id"])
        assert row is not None
        row.title = "旧标题\u202e甲乙"
    export = svc.client.get("/v1/register?format=csv", headers=svc.auth("archivist"))
    cells = [c for line in csv.reader(io.StringIO(export.content.decode("utf-8-sig"))) for c in line]
    assert "旧标题[U+202E]甲乙" in cells
    assert not any(ch in export.text for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_a_long_body_is_analysed_whole(sqlite_service: Service) -> None:
    """Item 8: a body past 2,000,000 characters is read to its end (the engine no longer cuts it)."""
    from dingmi.catalog import corpus_dir

    svc = sqlite_service
    filler = "关于调整机关食堂开放时间的通知。自下月起午餐开放时间调整为十一时三十分至十三时。\n"
    secret_notice = (corpus_dir() / "samples" / "sample_notice.txt").read_text(encoding="utf-8")  # 机密 alone
    text = filler * (2_050_000 // len(filler)) + secret_notice
    assert len(text) > 2_000_000
    r = svc.client.post("/v1/suggestions", json={"text": text, "title": "长文"}, headers=svc.auth("drafter"))
    assert r.status_code == 201, r.text[:300]
    body = r.json()
    assert body["char_count"] == len(text)
    assert body["level"] in ("秘密", "机密", "绝密"), body["level"]
    assert any(e["start"] > 2_000_000 for e in body["evidence"])
