"""The reviewer's day through the JSON API (issue 12): decided marking on the item, the chosen basis,
periods as conditions and dates, 报请上级 to a named person and its answer, the .docx exports."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document
from documents import EXAM_BEFORE
from dingmi_service import suggester
from dingmi_service.models import Escalation
from sqlalchemy import select


def _api(wa: Any, client: Any, name: str, method: str, path: str, **kw: Any) -> Any:
    return client.request(method, path, headers={"Authorization": f"Bearer {wa.tokens[name]}"}, **kw)


def _exam(wa: Any, client: Any) -> int:
    r = _api(wa, client, "drafter", "POST", "/v1/suggestions", json={"text": EXAM_BEFORE, "title": "试卷交接"})
    assert r.status_code == 201 and r.json()["level"] == "机密"
    return int(r.json()["id"])


def test_decision_carries_decided_marking_and_chosen_basis(web: Any) -> None:
    wa, client = web
    sid = _exam(wa, client)
    before = _api(wa, client, "resp_mid", "GET", f"/v1/suggestions/{sid}").json()
    assert before["decision"] is None
    r = _api(
        wa, client, "resp_mid", "POST", f"/v1/suggestions/{sid}/decision",
        json={"action": "change", "level": "机密", "period": "考试结束前", "basis": "edu-06",
              "knowledge_scope": "命题组", "reason": "试卷在考试结束后解密"},
    )
    assert r.status_code == 200, r.text
    got = _api(wa, client, "drafter", "GET", f"/v1/suggestions/{sid}").json()
    d = got["decision"]
    assert (d["level"], d["period"], d["marking"], d["basis"]) == ("机密", "考试结束前", "机密★考试结束前", "edu-06")
    assert d["decided_by"] == wa.ids["resp_mid"] and d["decided_by_name"] == "resp_mid" and d["decided_at"]
    assert d["basis_text"].startswith("《教育工作中国家秘密及其密级具体范围的规定》第三条")
    assert d["expires_on"] is None
    assert got["marking"] == before["marking"] and got["level"] == "机密"  # the suggestion stays as it was


@pytest.mark.parametrize(
    ("period", "marking", "expires"),
    [("2027-06-30", "秘密★2027年6月30日", "2027-06-30"), ("启用前", "秘密★启用前", None), ("6个月", "秘密★6个月", "any")],
)
def test_periods_as_dates_conditions_and_durations(web: Any, period: str, marking: str, expires: str | None) -> None:
    wa, client = web
    sid = _exam(wa, client)
    r = _api(
        wa, client, "resp_mid", "POST", f"/v1/suggestions/{sid}/decision",
        json={"action": "change", "level": "秘密", "period": period, "reason": "降为秘密"},
    )
    assert r.status_code == 200, r.text
    d = r.json()["decision"]
    assert d["marking"] == marking
    if expires == "any":
        assert d["expires_on"] is not None
    else:
        assert d["expires_on"] == expires


@pytest.mark.parametrize("period", ["十年", "2020-01-01", "2099-01-01", "abc", "11年"])
def test_bad_periods_are_422_in_chinese(web: Any, period: str) -> None:
    wa, client = web
    sid = _exam(wa, client)
    r = _api(
        wa, client, "resp_mid", "POST", f"/v1/suggestions/{sid}/decision",
        json={"action": "change", "level": "秘密", "period": period, "reason": "x"},
    )
    assert r.status_code == 422, r.text
    message = r.json()["detail"]["message"]
    assert "保密期限" in message or "解密" in message


def test_basis_must_be_a_loaded_entry_or_unclear(web: Any) -> None:
    wa, client = web
    sid = _exam(wa, client)
    bad = _api(wa, client, "resp_mid", "POST", f"/v1/suggestions/{sid}/decision",
               json={"action": "confirm", "basis": "no-such-entry"})
    assert bad.status_code == 422 and "unclear" in bad.json()["detail"]["message"]
    unclear = _api(wa, client, "resp_mid", "POST", f"/v1/suggestions/{sid}/decision",
                   json={"action": "confirm", "basis": "unclear"})
    assert unclear.status_code == 200
    body = unclear.json()
    assert body["status"] == "reported" and body["due_date"]
    assert body["decision"]["basis"] == "unclear" and "不明确事项" in body["decision"]["basis_text"]


def test_escalation_to_a_named_recipient_and_its_answer(web: Any) -> None:
    wa, client = web
    wa.user("resp_top", "responsible", "绝密")
    sid = _exam(wa, client)
    path = f"/v1/suggestions/{sid}/escalation"
    # the recipient must exist, be a 定密责任人 and have the authority
    assert _api(wa, client, "resp_low", "POST", path, json={"to": "nobody", "reason": "r"}).status_code == 422
    weak = _api(wa, client, "resp_mid", "POST", path, json={"to": "resp_low", "reason": "r"})
    assert weak.status_code == 422 and "定密权限（秘密）低于" in weak.json()["detail"]["message"]
    assert _api(wa, client, "drafter", "POST", path, json={"to": "resp_top", "reason": "r"}).status_code == 403
    r = _api(wa, client, "resp_low", "POST", path, json={"to": "resp_top", "reason": "超出本人权限"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "escalated"
    esc = body["escalation"]
    assert (esc["to"], esc["from_user"], esc["reason"], esc["answered_at"]) == ("resp_top", "resp_low", "超出本人权限", None)
    assert esc["due_date"] > body["created_at"][:10]
    # only the recipient answers while it is open
    other = _api(wa, client, "resp_mid", "POST", f"/v1/suggestions/{sid}/decision", json={"action": "confirm"})
    assert other.status_code == 409 and "resp_top" in other.json()["detail"]["message"]
    answer = _api(wa, client, "resp_top", "POST", f"/v1/suggestions/{sid}/decision",
                  json={"action": "confirm", "basis": "edu-06"})
    assert answer.status_code == 200 and answer.json()["status"] == "confirmed"
    assert answer.json()["escalation"]["answer_decision_id"] == answer.json()["decision"]["id"]
    with wa.db.read() as s:
        assert s.execute(select(Escalation)).scalar_one().answered_at is not None
    # decided: no more escalation
    assert _api(wa, client, "resp_low", "POST", path, json={"to": "resp_top", "reason": "r"}).status_code == 409


def test_exports_open_with_python_docx(web: Any) -> None:
    wa, client = web
    sid = _exam(wa, client)
    early = _api(wa, client, "drafter", "GET", f"/v1/suggestions/{sid}/marked.docx")
    assert early.status_code == 409 and "尚未作出定密决定" in early.json()["detail"]["message"]
    decided = _api(wa, client, "resp_mid", "POST", f"/v1/suggestions/{sid}/decision",
                   json={"action": "confirm", "knowledge_scope": "命题组"})
    marking = decided.json()["decision"]["marking"]
    assert marking.startswith("机密★")
    for who in ("drafter", "resp_mid", "archivist"):
        r = _api(wa, client, who, "GET", f"/v1/suggestions/{sid}/marked.docx")
        assert r.status_code == 200, (who, r.text)
        doc = Document(io.BytesIO(r.content))
        lines = [p.text for p in doc.paragraphs]
        assert lines[1] == marking
        assert doc.sections[0].header.paragraphs[0].text == marking
        assert any("参考答案和评分标准" in line for line in lines)
    assert _api(wa, client, "auditor", "GET", f"/v1/suggestions/{sid}/marked.docx").status_code == 403
    pdf = _api(wa, client, "archivist", "GET", f"/v1/suggestions/{sid}/marked.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    pdf_lines = [line for line in suggester.read_document(pdf.content, "marked.pdf").splitlines() if line.strip()]
    assert pdf_lines[:2] == [marking, marking]  # the page header, then line 2 of the 版头 (line 1, 份号, is empty)
    form = Document(io.BytesIO(_api(wa, client, "archivist", "GET", f"/v1/suggestions/{sid}/approval.docx").content))
    cells = {row.cells[0].text: row.cells[1].text for row in form.tables[0].rows}
    assert cells["承办人"] == "drafter" and cells["定密责任人"] == "resp_mid" and cells["知悉范围"] == "命题组"
    assert cells["国家秘密标志"] == marking and cells["定密依据"].startswith("《教育工作")
    assert form.paragraphs[0].text == "定密审批表"


def test_exports_survive_control_characters_and_escalation_needs_a_reason(web: Any) -> None:
    wa, client = web
    text = EXAM_BEFORE.replace("\n", "\n\x0c", 2) + "\x0b附件"
    sid = _api(wa, client, "drafter", "POST", "/v1/suggestions", json={"text": text, "title": "分页\x0c符"}).json()["id"]
    blank = _api(wa, client, "resp_low", "POST", f"/v1/suggestions/{sid}/escalation", json={"to": "resp_mid", "reason": "  "})
    assert blank.status_code == 422 and "报请理由" in blank.json()["detail"]["message"]
    _api(wa, client, "resp_mid", "POST", f"/v1/suggestions/{sid}/decision", json={"action": "confirm"})
    for name in ("marked.docx", "marked.pdf", "approval.docx"):
        assert _api(wa, client, "drafter", "GET", f"/v1/suggestions/{sid}/{name}").status_code == 200, name
    doc = Document(io.BytesIO(_api(wa, client, "drafter", "GET", f"/v1/suggestions/{sid}/marked.docx").content))
    assert any(p.text.endswith("附件") for p in doc.paragraphs)
