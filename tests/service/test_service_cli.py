"""The service commands: serve, users add, org set, db upgrade, audit verify (bad usage: exit 2)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from dingmi_service.cli import register
from dingmi_service.db import head_revision
from typer.testing import CliRunner

from live_server import free_port

from .conftest import PLAIN_DOC, private_dir


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Invoke the service commands in-process on a private data dir."""
    data = private_dir(tmp_path / "cli-data")
    monkeypatch.setenv("DINGMI_DATA_DIR", str(data))
    monkeypatch.delenv("DINGMI_DATABASE_URL", raising=False)
    monkeypatch.delenv("DINGMI_SECRET_KEY", raising=False)
    app = typer.Typer(add_completion=False)

    @app.command("version")
    def _version() -> None:  # a second command keeps typer from collapsing the group
        pass

    register(app)
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args))

    invoke.data_dir = data  # type: ignore[attr-defined]
    return invoke


def one_chinese_line(stderr: str) -> bool:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return len(lines) == 1 and lines[0].startswith("错误：") and any("\u4e00" <= c <= "\u9fff" for c in lines[0][3:])


def test_users_add_prints_the_token_alone_on_the_last_line(cli: Any) -> None:
    r = cli("users", "add", "王五", "--role", "responsible", "--authority", "机密")
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    token = lines[-1]
    assert token.startswith("dm_") and " " not in token and len(token) > 40
    assert "王五" in lines[0]
    listed = cli("users", "list")
    assert "王五\tresponsible\t机密" in listed.stdout
    again = cli("users", "add", "王五", "--role", "drafter")
    assert again.exit_code == 2 and one_chinese_line(again.stderr)
    rotated = cli("users", "token", "王五")
    assert rotated.exit_code == 0 and rotated.stdout.strip().splitlines()[-1] != token


@pytest.mark.parametrize(
    "args",
    [
        ("users", "add", "x", "--role", "boss"),
        ("users", "add", "x", "--role", "admin", "--authority", "机密"),
        ("users", "add", "x", "--role", "responsible"),
        ("users", "add", "--role", "drafter"),
        ("users", "add", "x", "--rol", "drafter"),
        ("users", "frob"),
        ("org", "set", "--level", "乡镇"),
        ("org", "set", "--level", "县级", "--authorized", "内部"),
        ("org", "set", "--level", "县级", "--authorized", "秘密", "--until", "明年"),
        ("serve", "--port", "70000"),
        ("serve", "--port", "abc"),
    ],
)
def test_bad_usage_exits_2_with_one_chinese_line(cli: Any, args: tuple[str, ...]) -> None:
    r = cli(*args)
    assert r.exit_code == 2, r.output
    assert one_chinese_line(r.stderr), r.stderr


def test_org_set_db_upgrade_and_audit_verify(cli: Any) -> None:
    up = cli("db", "upgrade")
    assert up.exit_code == 0 and head_revision() in up.stdout
    assert (cli.data_dir / "dingmi.db").stat().st_mode & 0o077 == 0
    r = cli("org", "set", "--level", "县级", "--authorized", "秘密", "--until", "2030-12-31")
    assert r.exit_code == 0, r.output
    shown = cli("org", "show")
    assert "县级" in shown.stdout and "秘密" in shown.stdout
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 0
    report = json.loads(verified.stdout)
    assert (report["ok"], report["events"], report["first_broken"], report["rows"]) == (True, 2, None, [])


def test_unsafe_settings_refuse_to_start(cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DINGMI_SECRET_KEY", "too-short")
    r = cli("db", "upgrade")
    assert r.exit_code == 2 and one_chinese_line(r.stderr) and "DINGMI_SECRET_KEY" in r.stderr
    monkeypatch.delenv("DINGMI_SECRET_KEY")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    monkeypatch.setenv("DINGMI_DATA_DIR", str(shared))
    r = cli("serve", "--port", "8123")
    assert r.exit_code == 2 and "chmod 700" in r.stderr


@pytest.mark.slow
def test_dingmi_serve_runs_the_service_with_the_cli_token(tmp_path: Path) -> None:
    """End to end through the installed `dingmi` command: users add, then serve, then a request."""
    env = {**os.environ, "DINGMI_DATA_DIR": str(private_dir(tmp_path / "serve-data"))}
    env.pop("DINGMI_DATABASE_URL", None)
    added = subprocess.run(
        [sys.executable, "-m", "dingmi", "users", "add", "承办人甲", "--role", "drafter"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dingmi", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/docs", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        r = httpx.post(f"{url}/v1/suggestions", json={"text": PLAIN_DOC}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201 and r.json()["status"] == "pending"
        assert httpx.get(f"{url}/v1/suggestions").status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
