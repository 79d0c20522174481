"""Restart persistence, migrations at start, and the offline OpenAPI docs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from dingmi_service.audit import verify
from dingmi_service.db import head_revision

from .conftest import DERIVED_DOC, Service, private_dir


def test_everything_survives_a_restart_on_the_same_data_dir(
    make_service: Callable[..., Service], tmp_path: Path, backend: str | None
) -> None:
    data = private_dir(tmp_path / "persist")
    first = make_service(backend, data_dir=data)
    drafter = first.user("drafter", "drafter")
    responsible = first.user("resp", "responsible", "绝密")
    first.org("中央")
    s = first.submit("drafter", DERIVED_DOC.format(level="机密", period="20年"), "来文")
    assert first.decide("resp", s["id"], action="confirm").status_code == 200
    key = first.app.state.settings.secret_key.get_secret_value()
    first.client.__exit__(None, None, None)

    second = make_service(backend, data_dir=data)
    second.tokens.update({"drafter": drafter, "resp": responsible})
    assert second.app.state.settings.secret_key.get_secret_value() == key
    got = second.client.get(f"/v1/suggestions/{s['id']}", headers=second.auth("drafter"))
    assert got.status_code == 200
    assert (got.json()["status"], got.json()["decision"]["marking"], got.json()["text"]) == (
        "confirmed",
        "机密★20年",
        DERIVED_DOC.format(level="机密", period="20年"),
    )
    assert second.decide("resp", s["id"], action="confirm").status_code == 409
    assert second.db.current_revision() == head_revision()
    assert verify(second.db).ok


def test_docs_work_offline(sqlite_service: Service) -> None:
    client = sqlite_service.client
    html = client.get("/docs")
    assert html.status_code == 200
    assert not re.search(r"https?://", html.text), "the docs page must not load anything from the network"
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html.text) + re.findall(r"url: '([^']+)'", html.text):
        assert client.get(asset).status_code == 200, asset
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and not re.search(r"https?://", redoc.text)
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/v1/suggestions",
        "/v1/suggestions/{suggestion_id}",
        "/v1/suggestions/{suggestion_id}/decision",
        "/v1/register",
        "/v1/audit/verify",
    } <= paths
    body = spec["paths"]["/v1/suggestions"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(body)
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
