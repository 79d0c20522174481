"""Settings from ``DINGMI_*`` environment variables, with safe defaults and fail-fast checks."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import SettingsError

MIN_SECRET_KEY_LENGTH = 32
SECRET_KEY_FILE = "secret_key"
AUDIT_KEY_FILE = "audit_key"
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/dingmi``, else ``~/.local/share/dingmi`` (the user's data directory)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dingmi"


class Settings(BaseSettings):
    """Service settings. Every field can be set as ``DINGMI_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="DINGMI_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="数据目录（仅属主可访问）")
    database_url: str | None = Field(
        default=None, description="PostgreSQL 等数据库地址；未设置时使用数据目录中的 SQLite"
    )
    secret_key: SecretStr | None = Field(default=None, description="密钥；未设置时在数据目录中生成并保存")
    audit_key: SecretStr | None = Field(
        default=None, description="审计链与记录签名的密钥（不存入数据库）；未设置时在数据目录中生成并保存"
    )
    store_full_text: bool = Field(default=True, description="是否保存文件全文；关闭时只保存哈希、标题和证据片段")
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0, description="请求体大小上限（字节）")
    catalog_paths: list[Path] = Field(default_factory=list, description="附加的保密事项目录文件")
    ocr: bool = Field(default=False, description="对上传的图片和扫描件（无文字层的PDF、OFD页）做离线OCR识别；需安装 ocr 扩展")
    signin_per_client_per_minute: int = Field(default=30, gt=0, description="同一客户端地址每分钟最多登录尝试次数")
    signin_per_name_per_minute: int = Field(default=10, gt=0, description="同一用户名每分钟最多登录尝试次数")
    signin_concurrency: int = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 2) // 2), gt=0, description="同时进行的密码校验数"
    )
    signin_queue: int = Field(default=16, ge=0, description="等待密码校验的登录请求上限，超出即答复稍后再试")
    audit_checkpoint_seconds: float = Field(
        default=60.0, gt=0, description="审计日志签名检查点的写入间隔（秒），写入数据目录"
    )

    @property
    def sqlite_path(self) -> Path:
        """Where the embedded database lives."""
        return self.data_dir / "dingmi.db"

    @property
    def audit_key_bytes(self) -> bytes | None:
        """The audit key as bytes (set once :func:`prepare` has run)."""
        return self.audit_key.get_secret_value().encode("utf-8") if self.audit_key is not None else None

    @property
    def checkpoint_path(self) -> Path:
        """The signed audit checkpoints, outside the database."""
        return self.data_dir / "audit_checkpoints.jsonl"

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"


def _check_private(path: Path, what: str) -> None:
    """Refuse a file or directory that group or others can access."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        fix = "700" if path.is_dir() else "600"
        raise SettingsError(f"{what} {path} 的权限为 {mode:04o}，其他用户可以访问；请执行 chmod {fix} {path} 后重试")


def prepare(settings: Settings) -> Settings:
    """Create the data directory and secret key if missing, and refuse unsafe settings.

    Returns settings whose ``secret_key`` is always set.
    """
    if settings.ocr:
        from dingmi.ocr import available

        if not available():
            raise SettingsError("DINGMI_OCR 已开启，但未安装 ocr 扩展；请执行 pip install -e '.[ocr]'，或关闭该设置")
    data_dir = settings.data_dir.expanduser().resolve()
    if settings.secret_key is not None:
        if len(settings.secret_key.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(
                f"DINGMI_SECRET_KEY 太短（至少 {MIN_SECRET_KEY_LENGTH} 个字符）；"
                "请删除该设置以自动生成，或提供足够长的随机密钥"
            )
    if data_dir.exists() and not data_dir.is_dir():
        raise SettingsError(f"数据目录 {data_dir} 不是目录")
    if not data_dir.exists():
        try:
            data_dir.mkdir(mode=0o700, parents=True)
        except OSError as exc:
            raise SettingsError(f"无法创建数据目录 {data_dir}：{exc.strerror}") from exc
        data_dir.chmod(0o700)
    _check_private(data_dir, "数据目录")

    secret = settings.secret_key
    if secret is None:
        secret = SecretStr(_load_or_create_key(data_dir / SECRET_KEY_FILE))
    audit_key = settings.audit_key
    if audit_key is not None and len(audit_key.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(f"DINGMI_AUDIT_KEY 太短（至少 {MIN_SECRET_KEY_LENGTH} 个字符）")
    if audit_key is None:
        audit_key = SecretStr(_load_or_create_key(data_dir / AUDIT_KEY_FILE))
    return settings.model_copy(update={"data_dir": data_dir, "secret_key": secret, "audit_key": audit_key})


def _load_or_create_key(path: Path) -> str:
    """Read the generated key, creating it once with owner-only permissions."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _check_private(path, "密钥文件")
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(f"密钥文件 {path} 内容无效；请删除该文件后重试以重新生成") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def load_settings(**overrides: object) -> Settings:
    """Read the environment (plus ``overrides``) and prepare the data directory."""
    return prepare(Settings(**overrides))  # type: ignore[arg-type]
