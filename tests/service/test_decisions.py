"""Decisions on SQLite and PostgreSQL: authority, escalation, reported matters, 409, changes, register."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from .conftest import DERIVED_DOC, PLAIN_DOC, UNCLEAR_DOC, Service

CST = timezone(timedelta(hours=8))


def snapshot(svc: Service) -> list[tuple[object, ...]]:
    """Everything stored except the append-only audit log."""
    rows: list[tuple[object, ...]] = []
    with svc.db.engine.connect() as conn:
        for table in ("users", "api_tokens", "org_profile", "suggestions", "decisions"):
            rows += [(table, *r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
    return rows


def derived(level: str, period: str) -> str:
    return DERIVED_DOC.format(level=level, period=period)


def original(level: str) -> str:
    """A document the engine classifies originally (not derived) at ``level``: exam papers before use."""
    from documents import EXAM_BEFORE

    tier = {"绝密": ("教育部教育考试院", "全国硕士研究生招生考试"),
            "机密": ("某省教育考试院", "全省普通高中学业水平合格性考试"),
            "秘密": ("某市教育局", "全市初中学业水平考试（中考）")}[level]
    return EXAM_BEFORE.replace("某省教育考试院", tier[0]).replace("全省普通高中学业水平合格性考试", tier[1])


def test_confirming_a_non_secret_suggestion_needs_no_authority(service: Service) -> None:
    s = service.submit("drafter", PLAIN_DOC, "食堂通知")
    assert (s["status"], s["level"]) == ("pending", "非密")
    r = service.decide("resp_low", s["id"], action="confirm")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "confirmed"
    assert body["decision"]["level"] == "非密" and body["decision"]["marking"] == ""


def test_a_decision_within_both_ceilings_is_confirmed(service: Service) -> None:
    service.org("设区的市")
    s = service.submit("drafter", derived("机密", "20年"))
    assert (s["level"], s["period"]) == ("机密", "20年")
    service.clock.set(datetime(2025, 3, 3, 9, 0, tzinfo=CST))
    r = service.decide("resp_mid", s["id"], action="confirm", knowledge_scope="办公室主任")
    assert r.status_code == 200, r.text
    d = r.json()["decision"]
    assert r.json()["status"] == "confirmed"
    assert (d["level"], d["period"], d["marking"], d["expires_on"]) == ("机密", "20年", "机密★20年", "2045-03-03")
    assert d["knowledge_scope"] == "办公室主任"


def test_above_the_personal_ceiling_is_403_and_asks_to_report_upward(service: Service) -> None:
    service.org("中央")
    s = service.submit("drafter", derived("机密", "10年"))
    before = snapshot(service)
    r = service.decide("resp_low", s["id"], action="confirm")
    assert r.status_code == 403
    assert r.json()["detail"]["code"] == "DM431"
    assert "报请上级" in r.json()["detail"]["message"]
    assert snapshot(service) == before
    change = service.decide("resp_low", s["id"], action="change", level="绝密", period="30年", reason="更高")
    assert change.status_code == 403


@pytest.mark.parametrize(
    ("organ", "authorized", "level", "expected"),
    [
        (None, None, "秘密", "escalated"),  # no organisation profile yet
        ("设区的市", None, "绝密", "escalated"),
        ("设区的市", None, "机密", "confirmed"),
        ("县级", None, "秘密", "escalated"),
        ("县级", "秘密", "秘密", "confirmed"),
        ("县级", "秘密", "机密", "escalated"),
        ("省级", None, "绝密", "confirmed"),
    ],
)
def test_escalation_above_the_organisation_ceiling(
    service: Service, organ: str | None, authorized: str | None, level: str, expected: str
) -> None:
    if organ:
        service.org(organ, authorized)
    s = service.submit("drafter", original(level))
    assert s["level"] == level and "derived" not in s["flags"]
    r = service.decide("resp_top", s["id"], action="confirm")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == expected
    assert r.json()["decision"]["status"] == expected


def test_confirmed_derived_classification_is_not_limited_by_the_organisation_ceiling(service: Service) -> None:
    service.org("县级")  # no original 定密权限 at all
    s = service.submit("drafter", derived("机密", "5年"))
    assert "derived" in s["flags"]
    r = service.decide("resp_top", s["id"], action="confirm")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed" and r.json()["decision"]["marking"] == "机密★5年"


@pytest.mark.parametrize(
    ("decided_at", "due"),
    [
        (datetime(2024, 3, 7, 16, 0, tzinfo=CST), "2024-03-21"),  # Thursday: two weekends
        (datetime(2024, 9, 27, 10, 0, tzinfo=CST), "2024-10-16"),  # National Day and 调休 Sundays/Saturdays
        (datetime(2024, 9, 26, 23, 30, tzinfo=UTC), "2024-10-16"),  # 07:30 on 9-27 in China
    ],
)
def test_a_confirmed_unclear_matter_is_reported_due_in_ten_working_days(
    service: Service, decided_at: datetime, due: str
) -> None:
    service.org("省级")
    s = service.submit("drafter", UNCLEAR_DOC)
    assert "unclear_matter" in s["flags"] and s["level"] == "机密"
    service.clock.set(decided_at)
    r = service.decide("resp_mid", s["id"], action="confirm")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "reported"
    assert r.json()["due_date"] == due
    assert r.json()["decision"]["due_date"] == due


def test_an_unclear_matter_rejected_as_not_secret_is_not_reported(service: Service) -> None:
    service.org("省级")
    s = service.submit("drafter", UNCLEAR_DOC)
    assert service.decide("resp_mid", s["id"], action="reject").status_code == 422  # reason required
    r = service.decide("resp_mid", s["id"], action="reject", reason="经核实已公开发布")
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["due_date"]) == ("rejected", None)


def test_no_one_decides_a_document_they_submitted(service: Service) -> None:
    s = service.submit("resp_mid", PLAIN_DOC)
    r = service.decide("resp_mid", s["id"], action="confirm")
    assert r.status_code == 403
    assert r.json()["detail"]["code"] == "DM432"
    assert service.decide("resp_top", s["id"], action="confirm").status_code == 200


def test_a_second_decision_is_409_and_a_change_references_the_first(service: Service) -> None:
    service.org("中央")
    s = service.submit("drafter", derived("秘密", "10年"))
    first = service.decide("resp_top", s["id"], action="confirm")
    assert first.status_code == 200
    first_id = first.json()["decision"]["id"]

    before = snapshot(service)
    again = service.decide("resp_top", s["id"], action="confirm")
    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "DM409"
    no_ref = service.decide("resp_top", s["id"], action="change", level="机密", period="20年", reason="升密")
    assert no_ref.status_code == 409
    assert snapshot(service) == before

    unexplained = service.decide("resp_mid", s["id"], action="change", level="秘密", period="10年", supersedes=first_id)
    assert unexplained.status_code == 422 and "理由" in unexplained.json()["detail"]["message"]
    change = service.decide(
        "resp_mid",
        s["id"],
        action="change",
        level="机密",
        period="15年",
        reason="经评估损害程度加重",
        supersedes=first_id,
    )
    assert change.status_code == 200, change.text
    new = change.json()["decision"]
    assert new["supersedes"] == first_id and new["id"] != first_id
    assert (new["level"], new["marking"]) == ("机密", "机密★15年")

    got = service.client.get(f"/v1/suggestions/{s['id']}", headers=service.auth("drafter")).json()
    assert [d["id"] for d in got["history"]] == [first_id, new["id"]]
    assert got["decision"]["id"] == new["id"]

    stale = service.decide("resp_top", s["id"], action="change", level="秘密", reason="回退", supersedes=first_id)
    assert stale.status_code == 409
    with service.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, level, supersedes_id FROM decisions ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(first_id, "秘密", None), (new["id"], "机密", first_id)]


def test_a_change_must_give_a_reason_when_it_differs_and_keep_legal_periods(service: Service) -> None:
    service.org("中央")
    s = service.submit("drafter", derived("秘密", "10年"))
    before = snapshot(service)
    assert service.decide("resp_top", s["id"], action="change", level="机密").status_code == 422
    too_long = service.decide("resp_top", s["id"], action="change", level="秘密", period="15年", reason="x")
    assert too_long.status_code == 422 and "不得超过10年" in too_long.json()["detail"]["message"]
    assert service.decide("resp_top", s["id"], action="change").status_code == 422
    assert snapshot(service) == before
    ok = service.decide("resp_top", s["id"], action="change", level="内部", reason="属于工作秘密")
    assert ok.status_code == 200
    assert (ok.json()["decision"]["level"], ok.json()["decision"]["marking"]) == ("内部", "内部")


def test_the_queue_is_filtered_paginated_and_newest_first(service: Service) -> None:
    ids = [service.submit("drafter", PLAIN_DOC, f"第{i}号")["id"] for i in range(5)]
    service.decide("resp_top", ids[1], action="confirm")
    page = service.client.get("/v1/suggestions?status=pending&limit=2", headers=service.auth("resp_mid")).json()
    assert page["total"] == 4 and page["limit"] == 2
    assert [i["id"] for i in page["items"]] == [ids[4], ids[3]]
    rest = service.client.get(
        "/v1/suggestions?status=pending&limit=2&offset=2", headers=service.auth("resp_mid")
    ).json()
    assert [i["id"] for i in rest["items"]] == [ids[2], ids[0]]
    assert all("text" not in i or i["text"] is None for i in page["items"])
    confirmed = service.client.get("/v1/suggestions?status=confirmed", headers=service.auth("resp_mid")).json()
    assert [i["id"] for i in confirmed["items"]] == [ids[1]]
    assert service.client.get("/v1/suggestions?status=bogus", headers=service.auth("resp_mid")).status_code == 422


def test_the_register_lists_decided_items_and_exports_csv_with_bom(service: Service) -> None:
    service.org("中央")
    service.clock.set(datetime(2025, 6, 2, 9, 0, tzinfo=CST))
    a = service.submit("drafter", derived("机密", "20年"), "=HYPERLINK(1)")
    b = service.submit("drafter", PLAIN_DOC, "食堂")
    service.submit("drafter", PLAIN_DOC, "未决定")
    service.decide("resp_top", a["id"], action="confirm", knowledge_scope="主要负责人")
    service.decide("resp_top", b["id"], action="reject")
    reg = service.client.get("/v1/register", headers=service.auth("archivist"))
    assert reg.status_code == 200
    items = reg.json()["items"]
    assert [i["suggestion_id"] for i in items] == [b["id"], a["id"]]
    top = items[1]
    assert (top["level"], top["period"], top["marking"], top["decided_by"]) == ("机密", "20年", "机密★20年", "resp_top")
    assert (top["decided_on"], top["expires_on"]) == ("2025-06-02", "2045-06-02")

    exported = service.client.get("/v1/register?format=csv", headers=service.auth("resp_mid"))
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:7] == ["建议编号", "决定编号", "标题", "文件SHA256", "密级", "保密期限", "国家秘密标志"]
    assert len(rows) == 3
    assert rows[2][2] == "'=HYPERLINK(1)"  # no formula injection
    assert rows[2][6] == "机密★20年"
    assert date.fromisoformat(rows[2][11]) == date(2025, 6, 2)
