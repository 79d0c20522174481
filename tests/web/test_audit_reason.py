"""The audit page names what failed when the hash chain itself is intact: row seals broken by a
direct database edit, or a protection trigger dropped (never "事件编号为 None")."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text


def _chain_alert(html: str) -> str:
    match = re.search(r'<p class="alert" role="alert" id="chain">(.*?)</p>', html, re.DOTALL)
    assert match, "no failed-verification alert on the audit page"
    return match.group(1)


def test_broken_row_seals_are_shown_with_the_reason(web: Any, sign_in: Any) -> None:
    wa, client = web
    with wa.db.engine.begin() as conn:  # a direct edit of a sealed row, the chain untouched
        conn.execute(text("UPDATE users SET role = 'auditor' WHERE id = :i"), {"i": wa.ids["drafter"]})
    sign_in(client, "auditor")
    page = client.get("/audit", params={"full": "1"})
    assert page.status_code == 200
    alert = _chain_alert(page.text)
    assert "None" not in alert and "断裂的事件编号" not in alert
    assert "1 条记录与其签名或审计事件不符" in alert


def test_a_dropped_guard_trigger_is_shown_with_the_reason(web: Any, sign_in: Any) -> None:
    wa, client = web
    sign_in(client, "auditor")
    assert 'class="ok"' in client.get("/audit").text
    with wa.db.engine.begin() as conn:
        if wa.db.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER decisions_no_update"))
        else:
            conn.execute(text("DROP TRIGGER decisions_append_only ON decisions"))
    alert = _chain_alert(client.get("/audit").text)
    assert "None" not in alert and "数据库保护触发器缺失" in alert
    assert "decisions" in alert
