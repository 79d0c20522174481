"""Application factory: settings, database migrations and the engine are set up in the lifespan."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import Any

import dingmi
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from . import audit, guards, handlers, suggester, web
from .authlog import FailureTally
from .db import Database
from .limits import BodyLimitMiddleware
from .models import utcnow
from .routers import admin, register, suggestions
from .routers import audit as audit_routes
from .throttle import SignInGate
from .settings import Settings, load_settings, prepare

log = logging.getLogger("dingmi_service")

WARMUP_TEXT = "关于做好年度工作总结的通知。请各单位于月底前报送材料。"
DESCRIPTION = """定密辅助服务：承办人提交文件，系统依据保密事项范围提出密级、保密期限和标志建议，
由定密责任人审核确定。所有接口需要 `Authorization: Bearer <令牌>`（令牌由 `dingmi users add` 签发）。
错误响应格式统一为 `{"detail": {"code": "DM###", "message": "…"}}`。"""


def _startup(app: FastAPI, settings: Settings, engine: Any | None) -> None:
    """Blocking start-up work: migrate the database, check its guards, anchor the audit chain,
    load and warm up the engine."""
    db = Database(settings.effective_database_url, audit_key=settings.audit_key_bytes)
    db.upgrade()
    restore_guards(db)
    store = audit.CheckpointStore(settings.checkpoint_path, settings.audit_key_bytes or b"")
    audit.anchor(db, store)
    app.state.db = db
    app.state.checkpoints = store
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


def restore_guards(db: Database) -> list[str]:
    """Re-create missing or disabled append-only guards, loudly (log and audit event)."""
    with db.write() as session:
        missing = guards.missing(session.connection())
        if missing:
            log.error("append-only guards missing in the database, restored: %s", ", ".join(missing))
            guards.install(session.connection(), missing)
            audit.record(db, session, "audit.guards_restored", object_type="schema", detail={"missing": missing})
    return missing


HOUSEKEEPING_SECONDS = 10.0


async def _housekeeping(app: FastAPI, checkpoint_seconds: float) -> None:
    """Every few seconds: write the finished minutes of failure counts; checkpoint the chain."""
    last_checkpoint = time.monotonic()
    while True:
        await asyncio.sleep(min(HOUSEKEEPING_SECONDS, checkpoint_seconds))
        due = time.monotonic() - last_checkpoint >= checkpoint_seconds
        try:
            await run_in_threadpool(_housekeep, app, False, due)
        except Exception as exc:  # keep going; the next round retries
            log.error("audit housekeeping failed: %s", handlers.describe(exc))
        if due:
            last_checkpoint = time.monotonic()


def _housekeep(app: FastAPI, final: bool, checkpoint_due: bool = True) -> None:
    app.state.auth_tally.flush(app.state.db, None if final else utcnow())
    if checkpoint_due:
        audit.checkpoint(app.state.db, app.state.checkpoints)


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
        task = asyncio.create_task(_housekeeping(app, prepared.audit_checkpoint_seconds))
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            app.state.signin_gate.close()
            try:
                await run_in_threadpool(_housekeep, app, True)
            except Exception as exc:  # the database may already be gone; never fail the shutdown
                log.error("final audit housekeeping failed: %s", handlers.describe(exc))
            app.state.db.dispose()

    app = FastAPIOffline(
        title="dingmi 定密辅助服务",
        version=dingmi.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = prepared
    app.state.clock = clock
    app.state.signin_gate = SignInGate(
        per_client=prepared.signin_per_client_per_minute,
        per_name=prepared.signin_per_name_per_minute,
        concurrency=prepared.signin_concurrency,
        queue=prepared.signin_queue,
    )
    app.state.auth_tally = FailureTally()
    app.state.live_verifier = audit.LiveVerifier()
    app.add_middleware(BodyLimitMiddleware, max_bytes=prepared.max_upload_bytes)
    app.add_middleware(handlers.ErrorShieldMiddleware)
    handlers.install(app)
    for module in (suggestions, register, audit_routes, admin):
        app.include_router(module.router)
    web.install(app)
    return app
