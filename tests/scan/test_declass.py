"""Declassification review: expiry dates, statuses and their boundaries, metadata, catalog changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from dingmi.catalog import default_catalog_path, load_catalogs
from dingmi.levels import parse_marking
from dingmi.scan.declass import (
    Metadata,
    ReviewOptions,
    add_period,
    expiry_of,
    parse_date,
    read_metadata,
    review,
)
from dingmi.scan.outputs import DECLASS_COLUMNS
from scan.scanfiles import RADAR_DOC, org_entry, rows, scan, write_catalog

D = dt.date


def row(marking: str = "", issue: str = "", level: str = "", **extra: Any) -> dict[str, Any]:
    """A scan row as the worker writes it; the content suggestion equals the marking's level by default."""
    mk = parse_marking(marking) if marking else None
    return {"path": "a.txt", "existing_marking": marking, "issue_date": issue,
            "level": level or (mk.level if mk else "非密"), "entries": [], "evidence": [], "flags": [], **extra}


def status(r: dict[str, Any], as_of: dt.date, within: int = 90, **kw: Any) -> tuple[str, str, list[str]]:
    out = review(r, ReviewOptions(as_of, within, **kw))
    return out["declass_status"], out["expiry_date"], out["declass_also"]


@pytest.mark.parametrize(("marking", "expiry"), [
    ("绝密", "2046-03-01"), ("机密", "2036-03-01"), ("秘密", "2026-03-01"),       # 30/20/10-year defaults
    ("机密★5年", "2021-03-01"), ("秘密★6个月", "2016-09-01"), ("秘密★1年6个月", "2017-09-01"),
    ("秘密★18月", "2017-09-01"), ("秘密★30日", "2016-03-31"), ("秘密★45天", "2016-04-15"),
])
def test_when_marking_has_period_or_none_then_expiry_is_issue_plus_period(marking, expiry):
    mk = parse_marking(marking)
    assert mk is not None
    assert expiry_of(mk, D(2016, 3, 1)).date == D.fromisoformat(expiry)


def test_when_months_end_on_short_month_or_leap_day_then_clamped():
    assert add_period(D(2016, 8, 31), "6个月") == D(2017, 2, 28)
    assert add_period(D(2016, 2, 29), "10年") == D(2026, 2, 28)
    assert add_period(D(2016, 1, 31), "1个月") == D(2016, 2, 29)
    assert add_period(D(2016, 1, 1), "长期") is None and add_period(D(2016, 1, 1), "考试结束前") is None


@pytest.mark.parametrize("text", ["2016-11-27", "2016/11/27", "2016.11.27", "2016年11月27日", "20161127"])
def test_when_date_written_in_common_forms_then_parsed(text):
    assert parse_date(text) == D(2016, 11, 27)


def test_when_period_expired_then_boundaries_follow_as_of_and_within():
    r = row("秘密★10年", "2016-11-27")  # last protected day 2026-11-27
    assert status(r, D(2026, 11, 27)) == ("expiring", "2026-11-27", [])
    assert status(r, D(2026, 11, 28))[0] == "expired"
    assert status(r, D(2026, 8, 29), within=90)[0] == "expiring"      # 90 days before
    assert status(r, D(2026, 8, 28), within=90)[0] == "in_force"      # 91 days before
    assert status(r, D(2026, 11, 26), within=0)[0] == "in_force"
    assert status(r, D(2026, 11, 27), within=0)[0] == "expiring"


def test_when_no_period_then_legal_default_gives_status():
    assert status(row("绝密", "1990-01-01"), D(2026, 11, 27))[:2] == ("expired", "2020-01-01")
    assert status(row("机密", "2010-01-01"), D(2026, 11, 27))[:2] == ("in_force", "2030-01-01")
    assert status(row("秘密", "2017-06-01"), D(2026, 11, 27))[:2] == ("in_force", "2027-06-01")
    assert status(row("秘密", "2016-12-01"), D(2026, 11, 27))[:2] == ("expiring", "2026-12-01")


def test_when_long_term_condition_or_declass_time_then_matching_status():
    assert status(row("绝密★长期", "1990-01-01"), D(2026, 11, 27)) == ("long_term", "", [])
    assert status(row("秘密★考试结束前", "2026-05-28"), D(2026, 11, 27)) == ("condition", "", [])
    # 解密时间: protected until the day before
    assert status(row("秘密★2026年12月1日", "2020-01-01"), D(2026, 11, 27))[:2] == ("expiring", "2026-11-30")
    assert status(row("秘密★2026年11月27日", "2020-01-01"), D(2026, 11, 27))[0] == "expired"


def test_when_duration_without_issue_date_then_checked_by_hand():
    got = review(row("秘密★10年", ""), ReviewOptions(D(2026, 11, 27)))
    assert got["declass_status"] == "condition" and got["expiry_date"] == "" and "成文日期" in got["declass_reason"]


def test_when_unmarked_or_internal_then_unmarked():
    assert status(row(""), D(2026, 11, 27))[0] == "unmarked"
    assert status(row("内部"), D(2026, 11, 27))[0] == "unmarked"
    got = review(row("", level="机密"), ReviewOptions(D(2026, 11, 27)))
    assert got["declass_status"] == "unmarked" and "补充标志" in got["declass_reason"]


def test_when_content_level_differs_then_inconsistent_unless_time_says_more():
    assert status(row("机密★20年", "2020-01-01", level="秘密"), D(2026, 11, 27)) == ("inconsistent", "2040-01-01", [])
    assert status(row("机密★长期", "2020-01-01", level="秘密"), D(2026, 11, 27))[::2] == ("inconsistent", ["long_term"])
    assert status(row("秘密★5年", "2020-01-01", level="机密"), D(2026, 11, 27))[::2] == ("expired", ["inconsistent"])


def test_when_metadata_given_then_it_overrides_the_header(tmp_path):
    meta = tmp_path / "meta.csv"
    meta.write_bytes("路径,密级,保密期限,成文日期\n./a.txt,机密,,2000年1月1日\nb.txt,秘密,长期,\n".encode("gbk"))
    table = read_metadata(meta)
    assert table == {"a.txt": Metadata("机密", "2000-01-01"), "b.txt": Metadata("秘密★长期", "")}
    got = review(row("秘密★30年", "2019-01-01", level="机密"), ReviewOptions(D(2026, 11, 27), metadata=table))
    assert (got["declass_status"], got["expiry_date"], got["marking_source"]) == ("expired", "2020-01-01", "metadata")
    # an unreadable file can still be reviewed from its metadata
    err = {"path": "a.txt", "existing_marking": "", "issue_date": "", "code": "DM116", "error": "无文字层"}
    assert review(err, ReviewOptions(D(2026, 11, 27), metadata=table))["declass_status"] == "expired"
    assert review(err, ReviewOptions(D(2026, 11, 27)))["declass_status"] == "unmarked"


def test_when_metadata_is_bad_then_input_error_names_the_line(tmp_path):
    from dingmi.errors import InputError

    meta = tmp_path / "meta.csv"
    meta.write_text("path,marking,issue_date\na.txt,机密★20年,2020-13-45\n", encoding="utf-8")
    with pytest.raises(InputError, match="第2行"):
        read_metadata(meta)


def test_when_matched_entry_changed_or_removed_then_changed_catalog():
    current = load_catalogs([default_catalog_path()])
    previous = load_catalogs([default_catalog_path()])
    edu = previous["edu-06"]
    object.__setattr__(edu, "level", "秘密")  # the older catalog had edu-06 at 秘密
    r = row("机密★20年", "2020-01-01", level="机密", catalog_version=current.version,
            evidence=[{"start": 0, "end": 1, "text": "x", "entry_id": "edu-06"}],
            previous={"catalog_version": "old@1", "level": "秘密", "matched": ["edu-06", "gone-1"], "entries": []})
    got = review(r, ReviewOptions(D(2026, 11, 27), current=current, previous=previous))
    assert got["declass_status"] == "changed_catalog"
    change = got["catalog_change"][0]
    assert change == {"entry_id": "edu-06", "change": "level_changed", "previous_level": "秘密", "current_level": "机密",
                      "previous_catalog": "old@1", "current_catalog": current.version}
    assert "old@1" in got["declass_reason"] and current.version in got["declass_reason"]


def test_declass_end_to_end_with_metadata_and_previous_catalog(tmp_path):
    """One run: header markings, a metadata CSV, an older organisation catalog whose entry is gone now."""
    root = tmp_path / "docs"
    root.mkdir()
    (root / "radar.txt").write_text(RADAR_DOC, encoding="utf-8")                              # 机密★20年 2019-05-06
    (root / "old.txt").write_text(RADAR_DOC.replace("2019年5月6日", "2005年5月6日"), encoding="utf-8")
    (root / "scanned.pdf").write_bytes(b"%PDF-1.4 not really")                                 # unreadable
    (root / "plain.txt").write_text("关于召开运动会的通知\n请各单位做好准备。\n2026年3月1日\n", encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text(f"path,marking,issue_date\n{root / 'scanned.pdf'},秘密★10年,2010-01-01\n"
                    "nowhere.txt,机密,2001-01-01\n", encoding="utf-8-sig")
    previous = [str(default_catalog_path()), str(write_catalog(tmp_path / "org_v1.jsonl", org_entry("机密")))]
    out = tmp_path / "out"
    summary = scan(root, out, kind="declass", as_of=D(2026, 11, 27), within=90, metadata_path=meta,
                   previous_catalog_paths=tuple(previous), workers=1)
    got = {r["path"]: r for r in rows(out)}
    assert summary.files == 4 and summary.metadata_unmatched == 1  # absolute paths under the root match
    assert got["old.txt"]["declass_status"] == "expired" and got["old.txt"]["expiry_date"] == "2025-05-06"
    radar = got["radar.txt"]
    assert radar["declass_status"] == "changed_catalog" and radar["expiry_date"] == "2039-05-06"
    assert radar["catalog_change"][0]["entry_id"] == "org-01" and radar["catalog_change"][0]["change"] == "removed"
    assert "org_v1@" in radar["declass_reason"] and "reference@" in radar["declass_reason"]
    assert got["scanned.pdf"]["declass_status"] == "expired" and got["scanned.pdf"]["code"] == "DM119"
    assert got["plain.txt"]["declass_status"] == "unmarked"
    header = (out / "results.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == DECLASS_COLUMNS
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "解密审查报告" in page and "保密期限已满" in page
    # a new review date needs no rescan
    again = scan(root, out, kind="declass", as_of=D(2039, 5, 1), within=10, metadata_path=meta,
                 previous_catalog_paths=tuple(previous), workers=1)
    assert again.processed == 0
    assert {r["path"]: r["declass_status"] for r in rows(out)}["radar.txt"] == "expiring"


def test_when_entry_level_changed_in_newer_org_catalog_then_both_versions_named(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "radar.txt").write_text(RADAR_DOC, encoding="utf-8")
    v1 = write_catalog(tmp_path / "org_v1.jsonl", org_entry("秘密"))
    v2 = write_catalog(tmp_path / "org_v2.jsonl", org_entry("机密"))
    out = tmp_path / "out"
    scan(root, out, kind="declass", as_of=D(2026, 11, 27), catalog_paths=(str(v2),), workers=1,
         previous_catalog_paths=(str(default_catalog_path()), str(v1)))
    (radar,) = rows(out)
    assert radar["declass_status"] == "changed_catalog"
    change = radar["catalog_change"][0]
    assert (change["entry_id"], change["change"], change["previous_level"], change["current_level"]) == (
        "org-01", "level_changed", "秘密", "机密")
    assert "org_v1@" in change["previous_catalog"] and "org_v2@" in change["current_catalog"]
