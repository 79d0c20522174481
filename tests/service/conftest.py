"""Fixtures for the service tests: the real engine (loaded once), apps on SQLite or PostgreSQL,
users of every role, a settable clock and a real uvicorn server."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from live_server import RunningServer
from dingmi_service import accounts
from dingmi_service.main import create_app
from dingmi_service.settings import Settings
from fastapi import FastAPI
from sqlalchemy import create_engine, text

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

PG_ENV = "DINGMI_TEST_POSTGRES_URL"


def pytest_configure(config: pytest.Config) -> None:
    """Starlette asks for httpx2 in its TestClient; httpx is what we have."""
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


ROLES = ("drafter", "responsible", "archivist", "admin", "security", "auditor")

# Documents whose suggestion the real engine derives from their wording.
PLAIN_DOC = "关于调整机关食堂开放时间的通知。自下月起，机关食堂午餐开放时间调整为十一时三十分至十三时。"
DERIVED_DOC = "现转发上级来文（{level}★{period}），请各单位认真遵照执行。"
UNCLEAR_DOC = "关于某项工作安排的请示。本事项列为机密级，严格保密，不得外传。"


@pytest.fixture(scope="session")
def engine() -> Any:
    """The real suggestion engine, loaded once per test session."""
    from dingmi.engine import load_engine

    return load_engine()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for the session (None without DINGMI_TEST_POSTGRES_URL)."""
    base = os.environ.get(PG_ENV)
    if not base:
        yield None
        return
    admin_url = base.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"dingmi_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, pg_database: str | None, tmp_path: Path) -> str | None:
    """Database URL for the test: None (SQLite in the data dir) or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return None
    if pg_database is None:
        pytest.skip(f"{PG_ENV} is not set")
    return _pg_schema(pg_database, request)


def _pg_schema(pg_database: str, request: pytest.FixtureRequest) -> str:
    schema = f"t_{uuid.uuid4().hex[:10]}"
    eng = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng.dispose()

    def drop() -> None:
        eng2 = create_engine(pg_database, isolation_level="AUTOCOMMIT")
        with eng2.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        eng2.dispose()

    request.addfinalizer(drop)
    return f"{pg_database}?options=-csearch_path%3D{schema}"


class Clock:
    """A settable clock; follows real time until ``set`` is called."""

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def set(self, when: datetime) -> None:
        self.fixed = when

    def __call__(self) -> datetime:
        return self.fixed or datetime.now(UTC)


@dataclass
class Service:
    """A running app with its client, users (tokens by name) and database."""

    app: FastAPI
    client: TestClient
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def db(self) -> Any:
        return self.app.state.db

    def user(self, name: str, role: str, authority: str | None = None) -> str:
        created = accounts.create_user(self.db, name, role, authority, actor_id=None, via="test")
        self.tokens[name] = created.token
        self.ids[name] = created.user.id
        return created.token

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def org(self, level: str, authorized: str | None = None, **kw: Any) -> None:
        accounts.set_org(self.db, level, authorized_level=authorized, actor_id=None, via="test", **kw)

    def submit(self, who: str, text: str, title: str = "") -> dict[str, Any]:
        r = self.client.post("/v1/suggestions", json={"text": text, "title": title}, headers=self.auth(who))
        assert r.status_code == 201, r.text
        return r.json()

    def decide(self, who: str, sid: int, **body: Any) -> httpx.Response:
        return self.client.post(f"/v1/suggestions/{sid}/decision", json=body, headers=self.auth(who))


def private_dir(path: Path) -> Path:
    """A data directory only the owner can access."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


@pytest.fixture
def make_service(engine: Any, tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Factory: a started app (lifespan run) on a data dir and optional database URL."""
    stack: list[TestClient] = []

    def factory(database_url: str | None = None, data_dir: Path | None = None, **settings: Any) -> Service:
        from fastapi.testclient import TestClient

        clock = Clock()
        data = private_dir(data_dir or tmp_path / f"data-{len(stack)}")
        app = create_app(Settings(data_dir=data, database_url=database_url, **settings), engine=engine, clock=clock)
        client = TestClient(app)
        client.__enter__()
        stack.append(client)
        return Service(app=app, client=client, clock=clock)

    yield factory
    for client in reversed(stack):
        client.__exit__(None, None, None)


def with_standard_users(svc: Service) -> Service:
    """One user per role; responsible users at each authority; a second drafter."""
    for role in ROLES:
        if role == "responsible":
            svc.user("resp_top", role, "绝密")
            svc.user("resp_mid", role, "机密")
            svc.user("resp_low", role, "秘密")
        else:
            svc.user(role, role)
    svc.user("drafter2", "drafter")
    return svc


@pytest.fixture
def service(make_service: Callable[..., Service], backend: str | None) -> Service:
    """An app on each backend with one user per role (responsible users at each authority)."""
    return with_standard_users(make_service(backend))


@pytest.fixture
def sqlite_service(make_service: Callable[..., Service]) -> Service:
    """Like ``service`` but on SQLite only (for tests whose logic does not depend on the backend)."""
    return with_standard_users(make_service(None))


@pytest.fixture
def start_server(engine: Any, tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Factory: a real uvicorn server for an app on a data dir / database URL."""
    servers: list[RunningServer] = []

    def factory(database_url: str | None = None, **settings: Any) -> RunningServer:
        data = private_dir(tmp_path / f"srv-{len(servers)}-{secrets.token_hex(3)}")
        app = create_app(Settings(data_dir=data, database_url=database_url, **settings), engine=engine)
        server = RunningServer(app).__enter__()
        servers.append(server)
        return server

    yield factory
    for server in reversed(servers):
        server.__exit__(None, None, None)
