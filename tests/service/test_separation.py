"""三员分立: no account can hold, obtain or hand itself deciding or auditing powers (issue 11, item 4)."""

from __future__ import annotations

import os
import subprocess
import sys

from dingmi_service.models import ApiToken, AuditEvent, User
from sqlalchemy import func, select

from .conftest import PLAIN_DOC, Service


def credentials_of(svc: Service, user_id: int) -> tuple[int, str | None]:
    with svc.db.read() as s:
        tokens = s.execute(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id)).scalar_one()
        user = s.get(User, user_id)
        assert user is not None
        return tokens, user.password_hash


def test_creating_an_account_never_hands_its_credentials_to_the_creator(service: Service) -> None:
    svc = service
    r = svc.client.post(
        "/v1/users", json={"name": "新责任人", "role": "responsible", "authority": "绝密"}, headers=svc.auth("security")
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert "token" not in body and all("dm_" not in str(v) for v in body.values())
    assert credentials_of(svc, body["id"]) == (0, None)  # nothing anyone could use yet
    # so the creator cannot decide as the new person: there is no credential to use
    sid = svc.submit("drafter", PLAIN_DOC)["id"]
    assert svc.decide("security", sid, action="confirm").status_code == 403


def test_the_three_separated_roles_cannot_be_created_through_the_api(service: Service) -> None:
    svc = service
    for role in ("auditor", "security", "admin"):
        r = svc.client.post("/v1/users", json={"name": f"second-{role}", "role": role}, headers=svc.auth("security"))
        assert r.status_code == 403, (role, r.text)
        assert r.json()["detail"]["code"] == "DM434" and "dingmi users add" in r.json()["detail"]["message"]
    with svc.db.read() as s:
        assert not s.execute(select(User).where(User.name.like("second-%"))).first()


def test_role_changes_into_or_out_of_the_separated_roles_need_the_cli(service: Service) -> None:
    svc = service
    svc.user("security2", "security")  # a second security account made on the server
    first = svc.ids["security"]
    # a second security account cannot turn the first into an auditor (or anything else)
    r = svc.client.patch(f"/v1/users/{first}", json={"role": "auditor"}, headers=svc.auth("security2"))
    assert r.status_code == 403 and r.json()["detail"]["code"] == "DM434"
    r = svc.client.patch(f"/v1/users/{first}", json={"role": "drafter"}, headers=svc.auth("security2"))
    assert r.status_code == 403
    # nor promote a drafter into a separated role
    r = svc.client.patch(f"/v1/users/{svc.ids['drafter2']}", json={"role": "auditor"}, headers=svc.auth("security"))
    assert r.status_code == 403
    with svc.db.read() as s:
        assert s.get(User, first).role == "security"  # type: ignore[union-attr]
        assert s.get(User, svc.ids["drafter2"]).role == "drafter"  # type: ignore[union-attr]
    # ordinary changes still work through the API
    r = svc.client.patch(
        f"/v1/users/{svc.ids['drafter2']}",
        json={"role": "responsible", "authority": "秘密"},
        headers=svc.auth("security"),
    )
    assert r.status_code == 200 and r.json()["role"] == "responsible"


def test_the_last_auditor_cannot_be_deactivated(service: Service) -> None:
    svc = service
    auditor = svc.ids["auditor"]
    r = svc.client.patch(f"/v1/users/{auditor}", json={"active": False}, headers=svc.auth("security"))
    assert r.status_code == 409 and "最后一名安全审计员" in r.json()["detail"]["message"]
    assert svc.client.get("/v1/audit/verify", headers=svc.auth("auditor")).status_code == 200
    svc.user("auditor2", "auditor")
    r = svc.client.patch(f"/v1/users/{auditor}", json={"active": False}, headers=svc.auth("security"))
    assert r.status_code == 200 and r.json()["active"] is False
    r = svc.client.patch(f"/v1/users/{svc.ids['auditor2']}", json={"active": False}, headers=svc.auth("security"))
    assert r.status_code == 409


def test_the_cli_on_the_server_makes_separated_role_changes_and_issues_tokens(service: Service) -> None:
    svc = service
    settings = svc.app.state.settings
    env = {**os.environ, "DINGMI_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["DINGMI_DATABASE_URL"] = settings.database_url

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dingmi", *args], capture_output=True, text=True, timeout=120, env=env
        )

    created = svc.client.post("/v1/users", json={"name": "zhao", "role": "drafter"}, headers=svc.auth("security"))
    assert created.status_code == 201
    moved = cli("users", "role", "zhao", "--role", "auditor")
    assert moved.returncode == 0, moved.stderr
    token = cli("users", "token", "zhao")
    assert token.returncode == 0, token.stderr
    me = svc.client.get("/v1/me", headers={"Authorization": f"Bearer {token.stdout.split()[-1]}"})
    assert me.status_code == 200 and me.json()["role"] == "auditor"
    bad = cli("users", "role", "nobody", "--role", "auditor")
    assert bad.returncode == 2 and "不存在" in bad.stderr
    with svc.db.read() as s:
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "user.updated").order_by(AuditEvent.id.desc())
        ).scalar()
    assert event is not None and '"via":"cli"' in event.detail
