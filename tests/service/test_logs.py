"""No document text in the logs on any error path, and catalog-derived values of any length
(issue 11, items 2 and 3)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dingmi_service.main import create_app
from dingmi_service.settings import Settings
from sqlalchemy import text

from .conftest import Service, private_dir

MARKER = "绝密测试正文甲乙丙丁XQ7"
LONG_CATALOG = "railway-transport-secret-matters-2025.jsonl"
RAILWAY_ENTRY = {
    "id": "rw-01",
    "regulation": "铁路运输工作中国家秘密及其密级具体范围的规定",
    "domain": "铁路",
    "item": "第三条（一）",
    "text": "军事运输计划、军列开行方案及其运行时刻",
    "level": "机密",
    "period": "",
}


class Capture(logging.Handler):
    """Every record of every logger it is attached to, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def captured() -> Iterator[Capture]:
    handler = Capture()
    loggers = [logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.error", "sqlalchemy", "dingmi_service")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield handler
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


class RaisingEngine:
    """The real engine, except that it fails — quoting the text — on documents holding MARKER."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.catalog = engine.catalog

    def suggest(self, text: str, **kw: Any) -> Any:
        if MARKER in text:
            raise ValueError(f"cannot analyse: {text}")
        return self.engine.suggest(text, **kw)


def refuse_inserts(svc: Service) -> None:
    """A database that refuses new suggestions (the error quotes nothing, the driver may)."""
    with svc.db.engine.begin() as conn:
        if svc.db.dialect == "sqlite":
            conn.execute(text("CREATE TRIGGER no_new BEFORE INSERT ON suggestions BEGIN SELECT RAISE(ABORT, 'no'); END"))
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION no_new() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'no'; END $$"
                )
            )
            conn.execute(text("CREATE TRIGGER no_new BEFORE INSERT ON suggestions FOR EACH ROW EXECUTE FUNCTION no_new()"))


def test_a_database_error_logs_no_text_title_or_evidence(service: Service, captured: Capture) -> None:
    svc = service
    refuse_inserts(svc)
    r = svc.client.post(
        "/v1/suggestions",
        json={"text": f"{MARKER}。关于军列开行方案的通知。", "title": f"标题{MARKER}"},
        headers=svc.auth("drafter"),
    )
    assert r.status_code == 500 and r.json()["detail"]["code"] == "DM500"
    assert MARKER not in r.text
    assert "unhandled error on POST /v1/suggestions" in captured.text  # the error is logged…
    assert "IntegrityError" in captured.text or "InternalError" in captured.text or "RaiseException" in captured.text
    assert MARKER not in captured.text  # …without the statement's parameters


def test_an_engine_error_quoting_the_text_logs_no_text(
    engine: Any, tmp_path: Path, start_server: Any, captured: Capture
) -> None:
    app = create_app(Settings(data_dir=private_dir(tmp_path / "d")), engine=RaisingEngine(engine))
    from fastapi.testclient import TestClient

    from dingmi_service import accounts

    with TestClient(app) as client:
        token = accounts.create_user(app.state.db, "d", "drafter", None, actor_id=None, via="test").token
        r = client.post("/v1/suggestions", json={"text": MARKER}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 500
    assert "ValueError" in captured.text and MARKER not in captured.text


def test_a_real_server_logs_no_text_on_an_error(engine: Any, start_server: Any, captured: Capture) -> None:
    """uvicorn logs whatever the application lets through: nothing may reach it."""
    from dingmi_service import accounts

    server = start_server()
    server.app.state.engine = RaisingEngine(engine)
    logging.getLogger("uvicorn").addHandler(captured)  # uvicorn configured its loggers at start
    logging.getLogger("uvicorn.error").addHandler(captured)
    token = accounts.create_user(server.app.state.db, "d", "drafter", None, actor_id=None, via="test").token
    r = httpx.post(
        f"{server.url}/v1/suggestions", json={"text": MARKER, "title": MARKER}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 500 and r.json()["detail"]["code"] == "DM500"
    assert "ValueError" in captured.text
    assert "Exception in ASGI application" not in captured.text and MARKER not in captured.text


@pytest.fixture(scope="module")
def railway_engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real engine with an organisation catalog whose file name is long (73-character version)."""
    from dingmi.engine import load_engine

    path = tmp_path_factory.mktemp("catalogs") / LONG_CATALOG
    path.write_text(json.dumps(RAILWAY_ENTRY, ensure_ascii=False) + "\n", encoding="utf-8")
    return load_engine([path])


def test_a_long_catalog_name_does_not_break_submissions(
    railway_engine: Any, tmp_path: Path, backend: str | None
) -> None:
    from fastapi.testclient import TestClient

    from dingmi_service import accounts

    settings = Settings(data_dir=private_dir(tmp_path / "rw"), database_url=backend)
    app = create_app(settings, engine=railway_engine)
    with TestClient(app) as client:
        token = accounts.create_user(app.state.db, "d", "drafter", None, actor_id=None, via="test").token
        r = client.post(
            "/v1/suggestions",
            json={"text": "关于下达军事运输计划和军列开行方案及其运行时刻的通知。", "title": "军列"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        assert len(r.json()["catalog_version"]) > 64  # 73 characters, as found in the test
        assert LONG_CATALOG.removesuffix(".jsonl") in r.json()["catalog_version"]
        assert r.json()["entries"] and r.json()["entries"][0]["id"] == "rw-01"
        again = client.get(f"/v1/suggestions/{r.json()['id']}", headers={"Authorization": f"Bearer {token}"})
        assert again.json()["catalog_version"] == r.json()["catalog_version"]
