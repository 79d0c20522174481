"""Application factory: settings, database migrations and the engine are set up in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import dingmi
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from . import handlers, suggester, web
from .db import Database
from .limits import BodyLimitMiddleware
from .models import utcnow
from .routers import admin, audit, register, suggestions
from .settings import Settings, load_settings, prepare

log = logging.getLogger("dingmi_service")

WARMUP_TEXT = "关于做好年度工作总结的通知。请各单位于月底前报送材料。"
DESCRIPTION = """定密辅助服务：承办人提交文件，系统依据保密事项范围提出密级、保密期限和标志建议，
由定密责任人审核确定。所有接口需要 `Authorization: Bearer <令牌>`（令牌由 `dingmi users add` 签发）。
错误响应格式统一为 `{"detail": {"code": "DM###", "message": "…"}}`。"""


def _startup(app: FastAPI, settings: Settings, engine: Any | None) -> None:
    """Blocking start-up work: migrate the database, load and warm up the engine."""
    db = Database(settings.effective_database_url)
    db.upgrade()
    app.state.db = db
    if engine is None:
        engine = suggester.load(settings.catalog_paths)
    warm = suggester.suggest(engine, WARMUP_TEXT, authority=None, title="")
    app.state.engine = engine
    app.state.model_version = str(warm.get("model_version", ""))
    app.state.catalog_version = str(warm.get("catalog_version", "")) or suggester.catalog_version(engine)
    log.info(
        "dingmi service ready: database=%s model=%s catalog=%s",
        db.dialect,
        app.state.model_version,
        app.state.catalog_version,
    )


def create_app(
    settings: Settings | None = None,
    *,
    engine: Any | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """Build the app. Unsafe settings raise :class:`~dingmi_service.errors.SettingsError` here.

    ``engine`` lets a caller share one loaded engine between apps (tests, benchmarks).
    """
    prepared = prepare(settings) if settings is not None else load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_startup, app, prepared, engine)
        try:
            yield
        finally:
            app.state.db.dispose()

    app = FastAPIOffline(
        title="dingmi 定密辅助服务",
        version=dingmi.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = prepared
    app.state.clock = clock
    app.add_middleware(BodyLimitMiddleware, max_bytes=prepared.max_upload_bytes)
    handlers.install(app)
    for module in (suggestions, register, audit, admin):
        app.include_router(module.router)
    web.install(app)
    return app
