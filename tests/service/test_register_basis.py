"""The decided 定密依据 with its regulation and article in the API register (JSON and CSV), and the
decider's name in the suggestion list, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re

from dingmi_service import accounts
from documents import EXAM_BEFORE

from .conftest import Service

PASSWORD = "correct-horse-battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _decided_with_basis(svc: Service) -> tuple[int, dict[str, object]]:
    """A 机密 change citing edu-06 (not the suggestion's own entry); the item's decision as the API shows it."""
    svc.org("省级")
    sid = svc.submit("drafter", EXAM_BEFORE, "试卷交接")["id"]
    done = svc.decide("resp_mid", sid, action="change", level="机密", period="10年", basis="edu-06", reason="按十年")
    assert done.status_code == 200, done.text
    decision = svc.client.get(f"/v1/suggestions/{sid}", headers=svc.auth("resp_mid")).json()["decision"]
    assert decision["basis"] == "edu-06"
    assert decision["basis_text"].startswith("《教育工作中国家秘密及其密级具体范围的规定》第")
    return sid, decision


def test_register_json_and_csv_carry_the_basis_with_regulation_and_article(service: Service) -> None:
    sid, decision = _decided_with_basis(service)
    items = service.client.get("/v1/register", headers=service.auth("archivist")).json()["items"]
    row = next(i for i in items if i["suggestion_id"] == sid)
    assert (row["basis_entry"], row["basis_text"]) == ("edu-06", decision["basis_text"])

    exported = service.client.get("/v1/register?format=csv", headers=service.auth("archivist"))
    assert exported.status_code == 200
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    line = next(r for r in table if r["建议编号"] == str(sid))
    assert line["定密依据"] == "edu-06"
    assert line["定密依据（规定及条款）"] == decision["basis_text"]
    assert line["国家秘密标志"] == "机密★10年" and line["系统建议标志"]


def test_the_web_csv_and_the_api_csv_are_the_same_table(sqlite_service: Service) -> None:
    """One writer for both downloads: same header, same rows."""
    svc = sqlite_service
    _decided_with_basis(svc)
    accounts.set_password(svc.db, "archivist", PASSWORD, actor_id=None, via="test")
    api = svc.client.get("/v1/register?format=csv", headers=svc.auth("archivist")).content.decode("utf-8-sig")
    csrf = CSRF.search(svc.client.get("/login").text)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "username": "archivist", "password": PASSWORD, "next": "/"}
    assert svc.client.post("/login", data=form, follow_redirects=False).status_code in (302, 303)
    web = svc.client.get("/register.csv")
    assert web.status_code == 200
    assert web.content.decode("utf-8-sig") == api


def test_the_suggestion_list_names_the_decider(service: Service) -> None:
    sid, decision = _decided_with_basis(service)
    for who in ("drafter", "resp_top"):
        items = service.client.get("/v1/suggestions", headers=service.auth(who)).json()["items"]
        listed = next(i for i in items if i["id"] == sid)["decision"]
        assert listed["decided_by_name"] == "resp_mid"
        assert listed["basis_text"] == decision["basis_text"]
