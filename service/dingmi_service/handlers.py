"""Exception handlers: every error answer is ``{"detail": {"code", "message"}}`` in Chinese.

Refused requests (401, 403, 409) are written to the audit log here, in their own
transaction, after the request's own transaction has been rolled back.
"""

from __future__ import annotations

import logging
from typing import Any

from dingmi.errors import DingmiError, InputError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from . import audit
from .errors import ApiError, too_large
from .limits import BodyTooLarge

log = logging.getLogger("dingmi_service")

AUDITED_STATUSES = {401: "auth.failed", 403: "request.refused", 409: "request.refused"}
_HTTP_MESSAGES = {
    404: ("DM404", "未找到该地址"),
    405: ("DM405", "不支持该请求方法"),
    406: ("DM406", "无法提供所要求的响应格式"),
}


def _json(status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    detail: dict[str, Any] = {"code": code, "message": message, **extra}
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _audit_refusal(request: Request, error: ApiError) -> None:
    action = AUDITED_STATUSES.get(error.status)
    if action is None:
        return
    principal = getattr(request.state, "principal", None)
    route = request.scope.get("route")
    db = request.app.state.db
    try:
        with db.write() as session:
            audit.record(
                db,
                session,
                action,
                actor_id=principal.id if principal else None,
                object_type="request",
                object_id="",
                detail={
                    "method": request.method,
                    "route": getattr(route, "path", "")[:200],
                    "path_params": {k: str(v)[:64] for k, v in request.path_params.items()},
                    "status": error.status,
                    "code": error.code,
                    "client": request.client.host if request.client else None,
                },
            )
    except Exception:  # never turn a refusal into a 500; the failure itself is logged
        log.exception("could not write the audit event for a refused request")


def api_error(request: Request, exc: Exception) -> JSONResponse:
    """ApiError → its status; refusals are audited."""
    assert isinstance(exc, ApiError)
    _audit_refusal(request, exc)
    return _json(exc.status, exc.code, exc.message, exc.headers)


def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422, without echoing the input (it may be secret text)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(err.get("loc", ())), "type": err.get("type", ""), "msg": str(err.get("msg", ""))}
        for err in exc.errors()
    ]
    if any(err["type"] == "json_invalid" for err in errors):
        return _json(422, "DM422", "JSON 格式错误，无法解析", errors=errors)
    return _json(422, "DM422", "请求内容不符合接口要求", errors=errors)


def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette/FastAPI HTTPException (unknown route, wrong method, body read failure)."""
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, BodyTooLarge):
        limit = request.app.state.settings.max_upload_bytes
        error = too_large(limit)
        return _json(error.status, error.code, error.message)
    if exc.status_code == 400:  # the body could not be parsed (e.g. JSON that is not UTF-8)
        return _json(422, "DM422", "JSON 格式错误，无法解析")
    code, message = _HTTP_MESSAGES.get(exc.status_code, (f"DM{exc.status_code}", "请求无法处理"))
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return _json(exc.status_code, code, message, headers or None)


def _allowed_methods(request: Request) -> list[str]:
    """Every method any route serves on this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"}) if hasattr(route, "matches") else (None, None)
        if match is not None and match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


def body_too_large(request: Request, exc: Exception) -> JSONResponse:
    """A streamed body passed the limit while being read."""
    error = too_large(request.app.state.settings.max_upload_bytes)
    return _json(error.status, error.code, error.message, {"Connection": "close"})


def dingmi_error(request: Request, exc: Exception) -> JSONResponse:
    """Errors of the core library: input errors are 422, the rest 500."""
    assert isinstance(exc, DingmiError)
    if isinstance(exc, InputError):
        return _json(422, exc.code, exc.message)
    log.error("core error %s", exc.code)
    return _json(500, exc.code, exc.message)


def unexpected(request: Request, exc: Exception) -> JSONResponse:
    """500 without details (the traceback goes to the log, which never holds document text)."""
    route = request.scope.get("route")
    log.error("unhandled error on %s %s", request.method, getattr(route, "path", "?"), exc_info=exc)
    return _json(500, "DM500", "服务内部错误，请联系系统管理员")


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(BodyTooLarge, body_too_large)
    app.add_exception_handler(DingmiError, dingmi_error)
    app.add_exception_handler(Exception, unexpected)
