"""Service errors: each carries an HTTP status, a stable code (DM###) and a Chinese message."""

from __future__ import annotations

from dingmi.errors import DingmiError


class ApiError(Exception):
    """An error answered as ``{"detail": {"code": ..., "message": ...}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"[{code}] {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers

    def detail(self) -> dict[str, str]:
        """The JSON body's ``detail`` object."""
        return {"code": self.code, "message": self.message}


class SettingsError(DingmiError):
    """An explicitly unsafe or invalid setting; the service refuses to start."""

    code = "DM501"


def unauthorized(message: str = "缺少或无效的访问令牌，请在 Authorization 头中提供 Bearer 令牌") -> ApiError:
    """401 with the Bearer challenge."""
    return ApiError(401, "DM401", message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str, code: str = "DM403") -> ApiError:
    """403: authenticated, but this role or person may not do this."""
    return ApiError(403, code, message)


def not_found(message: str = "未找到该记录") -> ApiError:
    """404."""
    return ApiError(404, "DM404", message)


def conflict(message: str) -> ApiError:
    """409: the request conflicts with what is already stored."""
    return ApiError(409, "DM409", message)


def unprocessable(message: str, code: str = "DM422") -> ApiError:
    """422: well-formed request whose content cannot be accepted."""
    return ApiError(422, code, message)


def unsupported_type(message: str) -> ApiError:
    """415."""
    return ApiError(415, "DM415", message)


def too_large(limit: int) -> ApiError:
    """413 for a body or upload beyond ``limit`` bytes."""
    mb = limit / (1024 * 1024)
    size = f"{mb:g} MB" if mb >= 1 else f"{limit} 字节"
    return ApiError(413, "DM413", f"上传内容超过大小限制（{size}）")
