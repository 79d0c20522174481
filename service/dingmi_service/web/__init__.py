"""Web pages (Chinese, server-rendered) served by the same app: sign-in, 首页, 起草检查, 审核队列 and
the item page, 定密台账, 目录 and 审计. All assets are local (``/static``); sessions are signed cookies."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the pages and ``/static`` on ``app``."""
    from . import auditview, check, lists, review
    from .errorpages import HtmlErrors
    from .pages import PageExit, page_exit, router

    app.add_exception_handler(PageExit, page_exit)
    for module_router in (router, check.router, review.router, lists.router, auditview.router):
        app.include_router(module_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(HtmlErrors)
