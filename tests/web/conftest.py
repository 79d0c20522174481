"""Fixtures for the web pages: an app on a temp data dir with users who have passwords,
a TestClient, and a real uvicorn server on 127.0.0.1 for the browser tests."""

from __future__ import annotations

import os
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from live_server import RunningServer
from dingmi_service import accounts
from dingmi_service.main import create_app
from dingmi_service.settings import Settings
from fastapi import FastAPI
from sqlalchemy import create_engine, text

PASSWORD = "correct-horse-battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


@dataclass
class WebApp:
    """A started app and the users created on it."""

    app: FastAPI
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def db(self) -> Any:
        return self.app.state.db

    def user(self, name: str, role: str, authority: str | None = None, password: str = PASSWORD) -> None:
        created = accounts.create_user(self.db, name, role, authority, actor_id=None, via="test")
        accounts.set_password(self.db, name, password, actor_id=None, via="test")
        self.ids[name] = created.user.id
        self.tokens[name] = created.token

    def standard_users(self) -> None:
        self.user("drafter", "drafter")
        self.user("resp_low", "responsible", "秘密")
        self.user("resp_mid", "responsible", "机密")
        self.user("archivist", "archivist")
        self.user("auditor", "auditor")
        accounts.set_org(self.db, "省级", actor_id=None, via="test")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (SQLite in the data dir) or a fresh PostgreSQL schema (with DINGMI_TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        yield None
        return
    base = os.environ.get("DINGMI_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("DINGMI_TEST_POSTGRES_URL is not set")
    url = base.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"web_{uuid.uuid4().hex[:10]}"
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with eng.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        eng.dispose()


@pytest.fixture
def web(engine: Any, tmp_path: Path, backend: str | None) -> Iterator[tuple[WebApp, Any]]:
    """(WebApp, TestClient) with the standard users, on each backend."""
    from fastapi.testclient import TestClient

    app = create_app(Settings(data_dir=private_dir(tmp_path / "data"), database_url=backend), engine=engine)
    with TestClient(app) as client:
        wa = WebApp(app)
        wa.standard_users()
        yield wa, client


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


@pytest.fixture
def sign_in() -> Callable[..., Any]:
    """Sign a TestClient in through the form; returns the final response."""

    def run(client: Any, name: str, password: str = PASSWORD) -> Any:
        page = client.get("/login")
        return client.post(
            "/login",
            data={"csrf": csrf_of(page.text), "username": name, "password": password, "next": "/"},
            follow_redirects=False,
        )

    return run


@pytest.fixture(scope="module")
def live(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebApp, RunningServer]]:
    """A real server with the standard users (one per module: the browser scenario builds on it)."""
    data = private_dir(tmp_path_factory.mktemp("web") / f"data-{secrets.token_hex(3)}")
    app = create_app(Settings(data_dir=data), engine=engine)
    with RunningServer(app) as server:
        wa = WebApp(app)
        wa.standard_users()
        yield wa, server
