"""Request dependencies: database, engine, settings and clock from ``app.state``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from .db import Database
from .settings import Settings
from .suggester import EngineLike


def get_db(request: Request) -> Database:
    """The application's database."""
    return request.app.state.db  # type: ignore[no-any-return]


def get_engine(request: Request) -> EngineLike:
    """The suggestion engine loaded in the lifespan."""
    return request.app.state.engine  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    """The prepared settings."""
    return request.app.state.settings  # type: ignore[no-any-return]


def get_clock(request: Request) -> Callable[[], datetime]:
    """Current-time function (replaceable in tests)."""
    return request.app.state.clock  # type: ignore[no-any-return]


DbDep = Annotated[Database, Depends(get_db)]
EngineDep = Annotated[Any, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
