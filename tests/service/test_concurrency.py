"""32 concurrent clients against a real uvicorn server: nothing lost, nothing duplicated."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from dingmi_service import accounts
from dingmi_service.audit import verify
from sqlalchemy import text

from .conftest import DERIVED_DOC, RunningServer

CLIENTS = 32
DOCS_PER_CLIENT = 3

pytestmark = pytest.mark.slow


def test_32_clients_submitting_and_deciding(start_server: Callable[..., RunningServer], backend: str | None) -> None:
    server = start_server(backend)
    db = server.app.state.db
    drafters = [
        accounts.create_user(db, f"d{i}", "drafter", None, actor_id=None, via="test").token for i in range(CLIENTS)
    ]
    deciders = [
        accounts.create_user(db, f"r{i}", "responsible", "绝密", actor_id=None, via="test").token
        for i in range(CLIENTS)
    ]
    accounts.set_org(db, "中央", actor_id=None, via="test")
    submitted: dict[int, list[tuple[int, str]]] = {}
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[tuple[int, int]] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            mine = []
            for j in range(DOCS_PER_CLIENT):
                doc = DERIVED_DOC.format(level="秘密", period="10年") + f"（客户端{k}第{j}份）"
                r = http.post(
                    "/v1/suggestions",
                    json={"text": doc, "title": f"{k}-{j}"},
                    headers={"Authorization": f"Bearer {drafters[k]}"},
                )
                assert r.status_code == 201, r.text
                mine.append((r.json()["id"], r.json()["sha256"]))
                assert r.json()["sha256"] == hashlib.sha256(doc.encode()).hexdigest()
            with lock:
                submitted[k] = mine
            barrier.wait(timeout=120)
            # Each suggestion is decided by two clients at once: exactly one may win.
            targets = submitted[(k + 1) % CLIENTS] + submitted[(k + 2) % CLIENTS]
            for sid, _ in targets:
                r = http.post(
                    f"/v1/suggestions/{sid}/decision",
                    json={"action": "confirm"},
                    headers={"Authorization": f"Bearer {deciders[k]}"},
                )
                assert r.status_code in (200, 409), r.text
                with lock:
                    outcomes.append((sid, r.status_code))

    with ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(client, k) for k in range(CLIENTS)]:
            future.result()

    ids = [sid for rows in submitted.values() for sid, _ in rows]
    total = CLIENTS * DOCS_PER_CLIENT
    assert len(ids) == len(set(ids)) == total
    wins = Counter(sid for sid, status in outcomes if status == 200)
    assert set(wins) == set(ids) and set(wins.values()) == {1}
    assert sum(1 for _, status in outcomes if status == 409) == total

    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, title, sha256, status, decision_id FROM suggestions ORDER BY id")).all()
        decisions = conn.execute(text("SELECT suggestion_id FROM decisions")).all()
        actions = Counter(r[0] for r in conn.execute(text("SELECT action FROM audit_events")))
    assert sorted(r.id for r in rows) == sorted(ids)
    expected = {sid: sha for rows_ in submitted.values() for sid, sha in rows_}
    assert {r.id: r.sha256 for r in rows} == expected
    assert all(r.status == "confirmed" and r.decision_id for r in rows)
    assert sorted(d[0] for d in decisions) == sorted(ids)
    assert actions == Counter(
        {
            "schema.upgraded": 1,
            "user.created": 2 * CLIENTS,
            "org.updated": 1,
            "suggestion.created": total,
            "suggestion.decided": total,
            "request.refused": total,
        }
    )
    report = verify(db)
    assert report.ok and report.events == sum(actions.values())
