"""Decision rules without HTTP: ceilings, periods, markings, working-day deadlines."""

from __future__ import annotations

from datetime import date

import pytest
from dingmi_service.workflow import (
    DecisionInput,
    DecisionInvalid,
    DecisionRefused,
    SuggestedClassification,
    add_working_days,
    decide,
    expiry_date,
    marking,
    normalize_period,
    org_ceiling,
)
from hypothesis import given
from hypothesis import strategies as st

SECRET = SuggestedClassification(level="机密", period="20年", flags=(), entry_levels=(("e1", "机密"), ("e2", "秘密")))
UNCLEAR = SuggestedClassification(level="机密", period="20年", flags=("unclear_matter",), entry_levels=())
TODAY = date(2025, 3, 3)


def test_when_counting_working_days_then_weekends_are_skipped() -> None:
    # Thursday 2024-03-07: Fri 8 is day 1; Mon 11 … Fri 15 are 2–6; Mon 18 … Thu 21 are 7–10.
    assert add_working_days(date(2024, 3, 7), 10) == date(2024, 3, 21)


def test_when_counting_working_days_then_holidays_and_adjusted_weekends_count_correctly() -> None:
    # Friday 2024-09-27: Sun 9-29 is a 调休 working day, 10-01…10-07 National Day, Sat 10-12 调休.
    assert add_working_days(date(2024, 9, 27), 10) == date(2024, 10, 16)


def test_when_the_year_is_outside_the_holiday_calendar_then_weekdays_are_used() -> None:
    assert add_working_days(date(2031, 1, 2), 2) == date(2031, 1, 6)


@pytest.mark.parametrize(
    ("organ", "authorized", "until", "expected"),
    [
        ("中央", None, None, "绝密"),
        ("省级", None, None, "绝密"),
        ("设区的市", None, None, "机密"),
        ("县级", None, None, None),
        ("县级", "秘密", None, "秘密"),
        ("县级", "机密", date(2025, 3, 2), None),  # authorisation expired
        ("设区的市", "秘密", None, "机密"),  # an authorisation never lowers the organ's own ceiling
        (None, None, None, None),
    ],
)
def test_org_ceiling(organ: str | None, authorized: str | None, until: date | None, expected: str | None) -> None:
    assert org_ceiling(organ, authorized, until, TODAY) == expected


def test_markings() -> None:
    assert marking("机密", "20年") == "机密★20年"
    assert marking("内部", "") == "内部"
    assert marking("非密", "") == ""


def test_periods() -> None:
    assert normalize_period("秘密", None, "") == "10年"
    assert normalize_period("绝密", "6个月", "") == "6个月"
    with pytest.raises(DecisionInvalid):
        normalize_period("秘密", "11年", "")
    with pytest.raises(DecisionInvalid):
        normalize_period("机密", "长期", "20年")
    assert normalize_period("机密", "长期", "长期") == "长期"
    with pytest.raises(DecisionInvalid):
        normalize_period("内部", "1年", "")


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(1, 30))
def test_expiry_is_after_the_decision(day: date, years: int) -> None:
    end = expiry_date(day, f"{years}年")
    assert end is not None and end > day and end.year == day.year + years


def test_confirm_within_both_ceilings_is_confirmed() -> None:
    out = decide(
        SECRET,
        DecisionInput("confirm"),
        person_ceiling="机密",
        org_level_set=True,
        org_ceiling_level="机密",
        today=TODAY,
    )
    assert (out.status, out.level, out.marking, out.basis_entry) == ("confirmed", "机密", "机密★20年", "e1")


def test_above_the_personal_ceiling_is_refused() -> None:
    with pytest.raises(DecisionRefused, match="报请上级"):
        decide(
            SECRET,
            DecisionInput("confirm"),
            person_ceiling="秘密",
            org_level_set=True,
            org_ceiling_level="绝密",
            today=TODAY,
        )


def test_above_the_org_ceiling_or_without_org_profile_is_escalated() -> None:
    kw = {"person_ceiling": "绝密", "today": TODAY}
    assert (
        decide(SECRET, DecisionInput("confirm"), org_level_set=True, org_ceiling_level=None, **kw).status == "escalated"
    )
    assert (
        decide(SECRET, DecisionInput("confirm"), org_level_set=False, org_ceiling_level=None, **kw).status
        == "escalated"
    )
    change = DecisionInput("change", level="绝密", period="30年", reason="涉及核心")
    assert decide(SECRET, change, org_level_set=True, org_ceiling_level="机密", **kw).status == "escalated"


def test_non_secret_decisions_on_non_secret_suggestions_need_no_authority() -> None:
    work = SuggestedClassification(level="内部", period="", flags=(), entry_levels=())
    out = decide(
        work,
        DecisionInput("reject", reason="已公开"),
        person_ceiling=None,
        org_level_set=False,
        org_ceiling_level=None,
        today=TODAY,
    )
    assert (out.status, out.level, out.marking) == ("rejected", "非密", "")
    internal = DecisionInput("confirm")
    assert (
        decide(work, internal, person_ceiling=None, org_level_set=False, org_ceiling_level=None, today=TODAY).status
        == "confirmed"
    )


def test_lowering_or_rejecting_a_secret_suggestion_needs_authority_over_it() -> None:
    """Authority limits both directions (issue 11, item 5): the suggested and the current level count."""
    kw = {"org_level_set": True, "org_ceiling_level": "绝密", "today": TODAY}
    for request in (DecisionInput("reject", reason="已公开"), DecisionInput("change", level="内部", reason="工作秘密")):
        with pytest.raises(DecisionRefused, match="报请上级"):
            decide(SECRET, request, person_ceiling=None, **kw)  # type: ignore[arg-type]
    low = SuggestedClassification(level="秘密", period="10年", flags=(), entry_levels=())
    with pytest.raises(DecisionRefused, match="现行定密决定"):
        decide(low, DecisionInput("reject", reason="已公开"), person_ceiling="秘密", current_level="绝密", **kw)  # type: ignore[arg-type]
    ok = decide(low, DecisionInput("reject", reason="已公开"), person_ceiling="秘密", current_level="秘密", **kw)  # type: ignore[arg-type]
    assert ok.status == "rejected"


def test_a_decision_different_from_the_suggestion_needs_a_reason() -> None:
    kw = {"person_ceiling": "绝密", "org_level_set": True, "org_ceiling_level": "绝密", "today": TODAY}
    with pytest.raises(DecisionInvalid, match="理由"):
        decide(SECRET, DecisionInput("reject"), **kw)
    with pytest.raises(DecisionInvalid, match="理由"):
        decide(SECRET, DecisionInput("change", level="机密", period="10年"), **kw)
    same = decide(SECRET, DecisionInput("change", level="机密", period="20年"), **kw)
    assert not same.differs


def test_a_confirmed_unclear_matter_is_reported_within_ten_working_days() -> None:
    out = decide(
        UNCLEAR,
        DecisionInput("confirm"),
        person_ceiling="机密",
        org_level_set=True,
        org_ceiling_level="绝密",
        today=date(2024, 9, 27),
    )
    assert out.status == "reported"
    assert out.due_date == date(2024, 10, 16)


def test_confirmed_derived_classification_is_not_limited_by_the_org_ceiling() -> None:
    derived = SuggestedClassification(level="绝密", period="长期", flags=("derived",), entry_levels=(("sm-09", "绝密"),))
    kw = {"person_ceiling": "绝密", "today": TODAY}
    out = decide(derived, DecisionInput("confirm"), org_level_set=True, org_ceiling_level=None, **kw)
    assert (out.status, out.marking) == ("confirmed", "绝密★长期")
    # a change away from the source's level is an original classification again: escalated
    change = DecisionInput("change", level="机密", period="10年", reason="摘录部分较低")
    assert decide(derived, change, org_level_set=True, org_ceiling_level=None, **kw).status == "escalated"


def test_unclear_matter_escalated_above_the_ceiling_still_gets_the_report_due_date() -> None:
    out = decide(UNCLEAR, DecisionInput("confirm"), person_ceiling="绝密", org_level_set=True,
                 org_ceiling_level="秘密", today=TODAY)
    assert out.status == "escalated" and out.due_date == add_working_days(TODAY, 10)
