"""Sign-in, sessions, CSRF and lock-out, through the app's own pages (no browser)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import typer
from dingmi_service.cli import register
from dingmi_service.models import AuditEvent, User
from sqlalchemy import select
from typer.testing import CliRunner

from .conftest import PASSWORD, csrf_of, private_dir


def _cookie_header(response: Any, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert headers, f"no {name} cookie set"
    return headers[-1].lower()


def test_sign_in_sets_httponly_strict_cookies_and_signs_out(web: Any, sign_in: Any) -> None:
    _wa, client = web
    page = client.get("/login")
    assert page.status_code == 200 and "用户名" in page.text and "密码" in page.text
    csrf_cookie = _cookie_header(page, "dm_csrf")
    assert "httponly" in csrf_cookie and "samesite=strict" in csrf_cookie
    r = sign_in(client, "drafter")
    assert r.status_code == 303 and r.headers["location"] == "/check"
    session = _cookie_header(r, "dm_session")
    assert "httponly" in session and "samesite=strict" in session and "path=/" in session and "max-age=" in session
    old_cookie = client.cookies.get("dm_session")
    check = client.get("/check")
    assert check.status_code == 200 and "起草检查" in check.text
    assert "default-src 'self'" in check.headers["content-security-policy"]

    out = client.post("/logout", data={"csrf": csrf_of(check.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/check", follow_redirects=False).status_code == 303
    # the old cookie no longer works either: signing out ends the session on the server
    client.cookies.set("dm_session", old_cookie)
    again = client.get("/check", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_pages_need_sign_in_and_the_right_role(web: Any, sign_in: Any) -> None:
    _wa, client = web
    r = client.get("/queue?level=机密", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/queue")
    sign_in(client, "drafter")
    refused = client.get("/audit")
    assert refused.status_code == 403 and "无权" in refused.text
    # an open redirect is never followed after sign-in
    client.cookies.clear()
    page = client.get("/login?next=//evil.example/")
    assert 'name="next" value="/"' in page.text


def test_forms_without_a_valid_csrf_token_are_refused(web: Any, sign_in: Any) -> None:
    wa, client = web
    client.get("/login")
    r = client.post("/login", data={"username": "drafter", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    assert "dm_session" not in r.headers.get("set-cookie", "")
    sign_in(client, "drafter")
    for path, data in [
        ("/check", {"text": "关于开会的通知。"}),
        ("/check/submit", {"text": "关于开会的通知。", "csrf": "0" * 64}),
        ("/logout", {}),
    ]:
        refused = client.post(path, data=data, follow_redirects=False)
        assert refused.status_code == 403, path
    # a token from another browser (another CSRF cookie) does not fit this one
    other = client.get("/check")
    token = csrf_of(other.text)
    client.cookies.set("dm_csrf", "another-browser-value")
    assert client.post("/check", data={"text": "关于开会的通知。", "csrf": token}).status_code == 403
    with wa.db.read() as s:
        refusals = [e for e in s.execute(select(AuditEvent).where(AuditEvent.action == "request.refused")).scalars()]
    assert any(json.loads(e.detail).get("code") == "DM419" for e in refusals)


def test_lock_out_after_five_failures_audited_without_secrets(web: Any, sign_in: Any, caplog: Any) -> None:
    wa, client = web
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-password-zz9"
    for _ in range(4):
        r = sign_in(client, "resp_mid", wrong)
        assert r.status_code == 401 and "用户名或密码错误" in r.text
    fifth = sign_in(client, "resp_mid", wrong)
    assert fifth.status_code == 401 and "已锁定" in fifth.text
    locked = sign_in(client, "resp_mid", PASSWORD)
    assert (
        locked.status_code == 401
        and "已锁定" in locked.text
        and "dm_session" not in locked.headers.get("set-cookie", "")
    )
    unknown = sign_in(client, "nobody", wrong)
    assert unknown.status_code == 401 and "用户名或密码错误" in unknown.text
    # other accounts are not affected
    assert sign_in(client, "resp_low").status_code == 303

    with wa.db.read() as s:
        events = list(s.execute(select(AuditEvent).where(AuditEvent.action == "auth.signin_failed")).scalars())
        user = s.execute(select(User).where(User.name == "resp_mid")).scalar_one()
    reasons = [json.loads(e.detail)["reason"] for e in events]
    assert reasons == ["bad_password"] * 4 + ["locked_now", "locked", "unknown_user"]
    assert user.locked_until is not None
    everything = " ".join(e.detail for e in events) + caplog.text
    assert wrong not in everything and PASSWORD not in everything and "nobody" not in everything


def test_bearer_api_unchanged_and_cookies_do_not_authenticate_it(web: Any, sign_in: Any) -> None:
    wa, client = web
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {wa.tokens['drafter']}"})
    assert me.status_code == 200 and me.json()["name"] == "drafter"
    sign_in(client, "drafter")
    assert client.get("/v1/me").status_code == 401


def test_cli_users_add_password_stdin(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("DINGMI_DATA_DIR", str(private_dir(tmp_path / "cli")))
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    r = runner.invoke(app, ["users", "add", "zhang", "--role", "drafter", "--password-stdin"], input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert PASSWORD not in r.output
    short = runner.invoke(app, ["users", "add", "li", "--role", "drafter", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "密码长度" in short.output
    from dingmi_service.db import Database
    from dingmi_service.settings import load_settings

    db = Database(load_settings().effective_database_url)
    try:
        with db.read() as s:
            users = {u.name: u for u in s.execute(select(User)).scalars()}
    finally:
        db.dispose()
    assert "li" not in users
    assert users["zhang"].password_hash.startswith("$argon2id$")


def test_cli_users_password_resets_and_unlocks(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("DINGMI_DATA_DIR", str(private_dir(tmp_path / "cli")))
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    assert runner.invoke(app, ["users", "add", "wang", "--role", "auditor"]).exit_code == 0
    r = runner.invoke(app, ["users", "password", "wang", "--password-stdin"], input="another-long-password\n")
    assert r.exit_code == 0 and "another-long-password" not in r.output
    missing = runner.invoke(app, ["users", "password", "nobody", "--password-stdin"], input=PASSWORD + "\n")
    assert missing.exit_code == 2 and "不存在" in missing.output
    no_flag = runner.invoke(app, ["users", "password", "wang"])
    assert no_flag.exit_code == 2 and "--password-stdin" in no_flag.output
