"""Settings: safe defaults, generated key, refusal of explicitly unsafe settings."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from dingmi_service.db import normalize_url
from dingmi_service.errors import SettingsError
from dingmi_service.settings import Settings, default_data_dir, load_settings, prepare


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_when_nothing_is_set_then_the_user_data_dir_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DINGMI_DATA_DIR", "DINGMI_DATABASE_URL", "DINGMI_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "dingmi"
    settings = load_settings()
    assert settings.data_dir == (tmp_path / "xdg" / "dingmi").resolve()
    assert mode(settings.data_dir) == 0o700
    assert settings.effective_database_url == f"sqlite:///{settings.data_dir / 'dingmi.db'}"
    assert settings.store_full_text is True
    assert settings.max_upload_bytes == 20 * 1024 * 1024


def test_the_secret_key_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    first = prepare(Settings(data_dir=tmp_path / "d"))
    key_file = tmp_path / "d" / "secret_key"
    assert mode(key_file) == 0o600
    second = prepare(Settings(data_dir=tmp_path / "d"))
    assert first.secret_key is not None and second.secret_key is not None
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert len(first.secret_key.get_secret_value()) >= 32


def test_settings_come_from_dingmi_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DINGMI_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("DINGMI_STORE_FULL_TEXT", "false")
    monkeypatch.setenv("DINGMI_MAX_UPLOAD_BYTES", "1000")
    settings = load_settings()
    assert settings.data_dir == (tmp_path / "env").resolve()
    assert settings.store_full_text is False
    assert settings.max_upload_bytes == 1000


def test_a_short_explicit_secret_key_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="太短"):
        prepare(Settings(data_dir=tmp_path / "d", secret_key="short"))


def test_a_long_explicit_secret_key_is_used_as_is(tmp_path: Path) -> None:
    key = "k" * 40
    settings = prepare(Settings(data_dir=tmp_path / "d", secret_key=key))
    assert settings.secret_key is not None and settings.secret_key.get_secret_value() == key
    assert not (tmp_path / "d" / "secret_key").exists()


@pytest.mark.parametrize("bits", [0o755, 0o750, 0o701])
def test_a_data_dir_others_can_access_refuses_to_start(tmp_path: Path, bits: int) -> None:
    data = tmp_path / "open"
    data.mkdir()
    data.chmod(bits)
    with pytest.raises(SettingsError, match="chmod 700"):
        prepare(Settings(data_dir=data))


def test_a_readable_key_file_refuses_to_start(tmp_path: Path) -> None:
    prepare(Settings(data_dir=tmp_path / "d"))
    (tmp_path / "d" / "secret_key").chmod(0o644)
    with pytest.raises(SettingsError, match="密钥文件"):
        prepare(Settings(data_dir=tmp_path / "d"))


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
