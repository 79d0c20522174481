"""定密权限 limits decisions in both directions (issue 11, item 5): nobody confirms, lowers, rejects
or supersedes a matter above their own authority; they report it upward (报请上级)."""

from __future__ import annotations

import pytest

from .conftest import DERIVED_DOC, Service


@pytest.fixture
def top_secret(service: Service) -> int:
    service.org("中央")
    s = service.submit("drafter", DERIVED_DOC.format(level="绝密", period="30年"))
    assert s["level"] == "绝密"
    return int(s["id"])


def assert_refused_upward(r: object) -> None:
    assert r.status_code == 403, r.text  # type: ignore[attr-defined]
    detail = r.json()["detail"]  # type: ignore[attr-defined]
    assert detail["code"] == "DM431"
    assert "超出您的定密权限" in detail["message"] and "报请上级" in detail["message"]


def test_a_lower_authority_cannot_reject_or_lower_a_higher_suggestion(service: Service, top_secret: int) -> None:
    svc = service
    assert_refused_upward(svc.decide("resp_low", top_secret, action="reject", reason="我认为不涉密"))
    assert_refused_upward(svc.decide("resp_low", top_secret, action="change", level="秘密", reason="降为秘密"))
    assert_refused_upward(svc.decide("resp_mid", top_secret, action="change", level="机密", reason="降为机密"))
    assert_refused_upward(svc.decide("resp_low", top_secret, action="change", level="非密", reason="非密"))
    item = svc.client.get(f"/v1/suggestions/{top_secret}", headers=svc.auth("resp_top")).json()
    assert item["status"] == "pending" and item["decision"] is None


def test_a_lower_authority_cannot_supersede_a_higher_decision(service: Service, top_secret: int) -> None:
    svc = service
    first = svc.decide("resp_top", top_secret, action="confirm")
    assert first.status_code == 200, first.text
    current = first.json()["decision"]["id"]
    r = svc.decide("resp_low", top_secret, action="change", level="非密", reason="改为非密", supersedes=current)
    assert_refused_upward(r)
    assert svc.client.get(f"/v1/suggestions/{top_secret}", headers=svc.auth("resp_top")).json()["level"] == "绝密"
    # the holder of the authority may still change it
    ok = svc.decide("resp_top", top_secret, action="change", level="机密", reason="经复核降为机密", supersedes=current)
    assert ok.status_code == 200, ok.text


def test_decisions_within_authority_are_unchanged(service: Service) -> None:
    svc = service
    svc.org("中央")
    low = svc.submit("drafter", DERIVED_DOC.format(level="秘密", period="10年"))["id"]
    r = svc.decide("resp_low", low, action="reject", reason="经核实已公开")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
