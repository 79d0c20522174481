"""The hash-chained audit log: every state change and refusal recorded, tampering detected."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dingmi_service.audit import ChainReport, verify
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from .conftest import DERIVED_DOC, PLAIN_DOC, Service


def core(report: dict[str, Any]) -> dict[str, Any]:
    """The keys every verify answer has had from the start."""
    return {k: report[k] for k in ("ok", "events", "first_broken")}


def check(svc: Service) -> ChainReport:
    """The full check, with the service's checkpoint file."""
    return verify(svc.db, svc.app.state.checkpoints)


def actions(svc: Service) -> list[str]:
    with svc.db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT action FROM audit_events ORDER BY id"))]


def drop_append_only_guard(svc: Service) -> None:
    """What an attacker with database access would do first."""
    with svc.db.engine.begin() as conn:
        if svc.db.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))


def activity(svc: Service) -> None:
    svc.org("中央")
    s = svc.submit("drafter", DERIVED_DOC.format(level="秘密", period="10年"))
    svc.decide("resp_top", s["id"], action="confirm")
    svc.decide("resp_top", s["id"], action="confirm")  # 409
    svc.client.get("/v1/register", headers=svc.auth("drafter"))  # 403
    svc.client.get("/v1/me", headers={"Authorization": "Bearer wrong"})  # 401


def test_state_changes_refusals_and_sign_in_failures_are_audited(service: Service) -> None:
    activity(service)
    got = actions(service)
    assert got[-6:] == [
        "org.updated",
        "suggestion.created",
        "suggestion.decided",
        "request.refused",
        "request.refused",
        "auth.failed",
    ]
    assert got.count("user.created") == 9
    assert got[0] == "schema.upgraded"
    r = service.client.get("/v1/audit/verify", headers=service.auth("auditor"))
    assert r.status_code == 200
    assert core(r.json()) == {"ok": True, "events": len(got), "first_broken": None}
    events = service.client.get("/v1/audit/events?after=9&limit=2", headers=service.auth("auditor")).json()
    assert [e["id"] for e in events["items"]] == [10, 11]
    assert events["items"][1]["prev_hash"] == events["items"][0]["hash"]


def test_the_database_refuses_to_update_or_delete_audit_events(service: Service) -> None:
    activity(service)
    with pytest.raises(DBAPIError):
        with service.db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET action = 'x' WHERE id = 2"))
    with pytest.raises(DBAPIError):
        with service.db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events WHERE id = 2"))
    with pytest.raises(DBAPIError):
        with service.db.engine.begin() as conn:
            conn.execute(text("UPDATE decisions SET level = '非密'"))
    assert check(service).ok


def test_editing_an_event_directly_in_the_database_is_named_by_verify(service: Service) -> None:
    activity(service)
    total = len(actions(service))
    drop_append_only_guard(service)
    with service.db.engine.begin() as conn:
        conn.execute(text("""UPDATE audit_events SET detail = '{"level":"非密"}' WHERE id = 10"""))
    r = service.client.get("/v1/audit/verify", headers=service.auth("auditor"))
    assert core(r.json()) == {"ok": False, "events": total, "first_broken": 10}


def test_deleting_or_rehashing_an_event_breaks_the_chain_at_the_next_one(service: Service) -> None:
    activity(service)
    drop_append_only_guard(service)
    with service.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 5"))
    assert check(service).first_broken == 6


def test_a_forged_event_with_a_recomputed_hash_still_breaks_the_link(service: Service) -> None:
    from dingmi_service.audit import event_hash
    from dingmi_service.models import AuditEvent

    activity(service)
    drop_append_only_guard(service)
    with service.db.write() as session:
        event = session.get(AuditEvent, 4)
        assert event is not None
        event.action = "user.deleted"
        event.hash = event_hash(event, b"a key the forger guessed, not the service's")
    assert check(service).first_broken == 4  # without the audit key no hash can be made to fit


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dingmi", *args], capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )


def test_dingmi_audit_verify_names_the_first_broken_event(service: Service) -> None:
    activity(service)
    settings = service.app.state.settings
    env = {"DINGMI_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["DINGMI_DATABASE_URL"] = settings.database_url
    ok = run_cli("audit", "verify", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "校验通过" in ok.stdout
    drop_append_only_guard(service)
    with service.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor_id = 99 WHERE id = 7"))
    broken = run_cli("audit", "verify", env=env)
    assert broken.returncode == 1
    assert "第一条断裂的事件编号为 7" in broken.stdout
    as_json = run_cli("audit", "verify", "--json", env=env)
    assert '"first_broken": 7' in as_json.stdout and '"ok": false' in as_json.stdout


def test_a_fresh_database_logs_only_its_creation(tmp_path: Path) -> None:
    from dingmi_service.db import Database

    db = Database(f"sqlite:///{tmp_path / 'empty.db'}", audit_key=b"k" * 32)
    db.upgrade()
    assert core(verify(db).as_dict()) == {"ok": True, "events": 1, "first_broken": None}  # the schema creation
    db.upgrade()  # nothing to do: nothing recorded
    assert verify(db).events == 1
    db.dispose()


def test_plain_documents_leave_only_hashes(sqlite_service: Service) -> None:
    s = sqlite_service.submit("drafter", PLAIN_DOC, "食堂通知")
    with sqlite_service.db.engine.connect() as conn:
        detail = conn.execute(text("SELECT detail FROM audit_events WHERE action = 'suggestion.created'")).scalar_one()
    assert s["sha256"] in detail and "食堂" not in detail
