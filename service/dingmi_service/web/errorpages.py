"""Pages answer every error as a Chinese page: an unknown address, a bad parameter, a wrong method
or an internal error is never shown as raw JSON (the ``/v1`` API keeps its JSON errors)."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("dingmi_service")

API_PREFIXES = ("/v1/", "/v1", "/docs", "/redoc", "/openapi.json", "/static/")
PAGE_TEXT = {
    404: ("未找到", "未找到该页面，请检查地址是否正确。"),
    405: ("请求方式不正确", "该页面不支持这种请求方式，请从页面上的链接或按钮进入。"),
    413: ("内容过大", ""),
    422: ("参数无效", "页面地址中的参数无效，请检查链接是否完整。"),
    500: ("服务内部错误", "服务内部错误，请稍后重试或联系系统管理员。"),
}
# Headers of the JSON answer the page keeps (a 405 names the methods the address accepts).
KEPT_HEADERS = (b"allow",)


def is_page(path: str) -> bool:
    return not any(path == p.rstrip("/") or path.startswith(p) for p in API_PREFIXES)


class HtmlErrors:
    """ASGI middleware: a JSON error answer on a page path becomes the Chinese error page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page(scope["path"]):
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}
        started = False

        async def relay(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
                if message["status"] >= 400 and headers.get("content-type", "").startswith("application/json"):
                    held["start"], held["body"] = message, b""
                    return
                started = True
            elif "start" in held:
                held["body"] += message.get("body", b"")
                if not message.get("more_body", False):
                    start = held["start"]
                    kept = [(k, v) for k, v in start.get("headers", []) if k.lower() in KEPT_HEADERS]
                    await self._page(scope, receive, send, start["status"], held["body"], kept)
                return
            await send(message)

        try:
            await self.app(scope, receive, relay)
        except Exception as exc:  # logged here; the person gets the page, never a traceback
            if started:
                raise
            log.error("unhandled error on page %s %s", scope.get("method"), scope.get("path"), exc_info=exc)
            await self._page(scope, receive, send, 500, b"")

    async def _page(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        body: bytes,
        kept: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        from .pages import render

        title, message = PAGE_TEXT.get(status, ("无法处理", ""))
        if not message:
            try:
                message = str(json.loads(body)["detail"]["message"])
            except (ValueError, KeyError, TypeError):
                message = "请求无法处理，请返回首页重试。"
        response = render(Request(scope, receive), "error.html", status, title=title, message=message)
        for key, value in kept or []:
            response.headers[key.decode("latin-1")] = value.decode("latin-1")
        await response(scope, receive, send)
