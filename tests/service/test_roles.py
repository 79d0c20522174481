"""Each role × each route: who may call what (401 without a valid token, 403 for a wrong role)."""

from __future__ import annotations

from typing import Any

import pytest
from dingmi_service.models import AuditEvent
from sqlalchemy import func, select

from .conftest import PLAIN_DOC, Service

ALL = {"drafter", "responsible", "archivist", "admin", "security", "auditor"}
USER_OF_ROLE = {
    "drafter": "drafter",
    "responsible": "resp_top",
    "archivist": "archivist",
    "admin": "admin",
    "security": "security",
    "auditor": "auditor",
}

# (method, path template, body, roles allowed)
MATRIX: list[tuple[str, str, Any, set[str]]] = [
    ("POST", "/v1/suggestions", {"text": PLAIN_DOC, "title": "通知"}, {"drafter", "responsible"}),
    ("GET", "/v1/suggestions?status=pending", None, {"drafter", "responsible"}),
    ("GET", "/v1/suggestions/{sid}", None, {"drafter", "responsible"}),
    ("POST", "/v1/suggestions/{sid}/decision", {"action": "confirm"}, {"responsible"}),
    ("GET", "/v1/register", None, {"responsible", "archivist"}),
    ("GET", "/v1/register?format=csv", None, {"responsible", "archivist"}),
    ("GET", "/v1/audit/verify", None, {"auditor"}),
    ("GET", "/v1/audit/events", None, {"auditor"}),
    ("GET", "/v1/users", None, {"security"}),
    ("POST", "/v1/users", {"name": "new-{role}", "role": "drafter"}, {"security"}),
    ("PATCH", "/v1/users/{uid}", {"active": True}, {"security"}),
    ("GET", "/v1/org", None, ALL - {"auditor"}),
    ("PUT", "/v1/org", {"level": "省级"}, {"security"}),
    ("GET", "/v1/system", None, {"admin"}),
    ("GET", "/v1/me", None, ALL),
]


def refusals(svc: Service) -> int:
    with svc.db.read() as s:
        return s.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "request.refused")
        ).scalar_one()


@pytest.mark.parametrize(("method", "template", "body", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_matrix(sqlite_service: Service, method: str, template: str, body: Any, allowed: set[str]) -> None:
    svc = sqlite_service
    for role in sorted(ALL):
        sid = svc.submit("drafter", PLAIN_DOC, f"给{role}")["id"]  # a fresh pending suggestion of "drafter"
        path = template.format(sid=sid, uid=svc.ids["drafter2"])
        payload = {k: (v.format(role=role) if isinstance(v, str) else v) for k, v in body.items()} if body else None
        before = refusals(svc)
        r = svc.client.request(method, path, json=payload, headers=svc.auth(USER_OF_ROLE[role]))
        if role in allowed:
            assert r.status_code in (200, 201), (role, r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, r.status_code, r.text)
            assert r.json()["detail"]["code"] == "DM403"
            assert "无权" in r.json()["detail"]["message"]
            assert refusals(svc) == before + 1

    no_token = svc.client.request(method, template.format(sid=1, uid=1), json=body)
    assert no_token.status_code == 401
    assert no_token.headers["www-authenticate"] == "Bearer"
    bad_token = svc.client.request(
        method, template.format(sid=1, uid=1), json=body, headers={"Authorization": "Bearer dm_not-a-token"}
    )
    assert bad_token.status_code == 401
    assert bad_token.json()["detail"]["code"] == "DM401"


def test_drafters_see_only_their_own_documents(sqlite_service: Service) -> None:
    svc = sqlite_service
    mine = svc.submit("drafter", PLAIN_DOC)["id"]
    theirs = svc.submit("drafter2", PLAIN_DOC)["id"]
    listed = svc.client.get("/v1/suggestions", headers=svc.auth("drafter")).json()
    assert [i["id"] for i in listed["items"]] == [mine]
    assert svc.client.get(f"/v1/suggestions/{theirs}", headers=svc.auth("drafter")).status_code == 404
    assert svc.client.get(f"/v1/suggestions/{mine}", headers=svc.auth("drafter")).status_code == 200


def test_a_disabled_account_cannot_sign_in(sqlite_service: Service) -> None:
    svc = sqlite_service
    uid = svc.ids["drafter2"]
    r = svc.client.patch(f"/v1/users/{uid}", json={"active": False}, headers=svc.auth("security"))
    assert r.status_code == 200 and r.json()["active"] is False
    assert svc.client.get("/v1/me", headers=svc.auth("drafter2")).status_code == 401


def test_no_one_can_grant_themselves_a_role(sqlite_service: Service) -> None:
    svc = sqlite_service
    me = svc.ids["security"]
    r = svc.client.patch(f"/v1/users/{me}", json={"role": "auditor"}, headers=svc.auth("security"))
    assert r.status_code == 403
    assert "自己" in r.json()["detail"]["message"]
    assert svc.client.get("/v1/me", headers=svc.auth("security")).json()["role"] == "security"


def test_each_account_holds_exactly_one_role(sqlite_service: Service) -> None:
    svc = sqlite_service
    r = svc.client.post("/v1/users", json={"name": "x", "role": ["admin", "auditor"]}, headers=svc.auth("security"))
    assert r.status_code == 422
    r = svc.client.post(
        "/v1/users", json={"name": "x", "role": "archivist", "authority": "机密"}, headers=svc.auth("security")
    )
    assert r.status_code == 422
    assert "定密责任人" in r.json()["detail"]["message"]


def test_security_manages_users_whose_tokens_come_from_the_server(sqlite_service: Service) -> None:
    from dingmi_service import accounts

    svc = sqlite_service
    r = svc.client.post(
        "/v1/users", json={"name": "张三", "role": "responsible", "authority": "秘密"}, headers=svc.auth("security")
    )
    assert r.status_code == 201
    assert "token" not in r.json()
    token = accounts.issue_token(svc.db, "张三", actor_id=None, via="cli")  # `dingmi users token 张三`
    me = svc.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {"id": r.json()["id"], "name": "张三", "role": "responsible", "authority": "秘密"}
    dup = svc.client.post("/v1/users", json={"name": "张三", "role": "drafter"}, headers=svc.auth("security"))
    assert dup.status_code == 409
    missing = svc.client.post("/v1/users", json={"name": "李四", "role": "responsible"}, headers=svc.auth("security"))
    assert missing.status_code == 422
