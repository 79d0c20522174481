"""Exception handlers: every error answer is ``{"detail": {"code", "message"}}`` in Chinese.

Refused requests (401, 403, 409) are written to the audit log here, in their own
transaction, after the request's own transaction has been rolled back; refusals of callers who
are not signed in are counted per source per minute (``authlog``) rather than written one by one.
Nothing logged here carries request content: exception messages are left out (they may quote
statement parameters or document text), only exception types and code locations are logged.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

from dingmi.errors import DingmiError, InputError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from . import audit
from .errors import ApiError, too_large
from .limits import BodyTooLarge, TrackedSend
from .models import utcnow

log = logging.getLogger("dingmi_service")

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
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
    client = request.client.host if request.client else None
    tally = getattr(request.app.state, "auth_tally", None)
    if principal is None and tally is not None and not tally.add(f"{action}:{error.code}", client, utcnow()):
        return  # unauthenticated noise: counted, written once per source per minute
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
    """Every method some route serves on this path (FastAPI's included routers carry no ``methods``
    of their own: ask each one whether it fully matches the path with each method)."""
    methods: set[str] = set()
    for method in HTTP_METHODS:
        scope = {**request.scope, "method": method}
        for route in request.app.router.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                methods |= {"GET", "HEAD"} if isinstance(route, Mount) else {method}  # mounts: static files
                break
    if "GET" in methods:
        methods.add("HEAD")
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


def describe(exc: BaseException) -> str:
    """Exception types and code locations of an error and its causes, never their messages."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(parts) < 5:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)[-6:]
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
        orig = getattr(current, "orig", None)  # SQLAlchemy: the driver's error class and SQLSTATE
        extra = f" ({type(orig).__name__} {getattr(orig, 'sqlstate', '') or ''})".rstrip() if orig is not None else ""
        parts.append(f"{type(current).__module__}.{type(current).__qualname__}{extra} at {where or '?'}")
        current = current.__cause__ or current.__context__
    return " | caused by ".join(parts)


class ErrorShieldMiddleware:
    """Answer any exception that escaped the handlers with a plain 500 and log it safely.

    Without it Starlette re-raises the exception to the server after answering, and uvicorn logs
    the full traceback with the exception's message (which may quote the request's text).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            route = scope.get("route")
            log.error("unhandled error on %s %s: %s", scope.get("method"), getattr(route, "path", "?"), describe(exc))
            if not tracked.started:
                response = _json(500, "DM500", "服务内部错误，请联系系统管理员")
                await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(BodyTooLarge, body_too_large)
    app.add_exception_handler(DingmiError, dingmi_error)
    # Other exceptions reach ErrorShieldMiddleware (registering Exception here would make
    # Starlette re-raise them to the server, which logs their messages).
