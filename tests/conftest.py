"""Shared fixtures: one real engine per test session, documents written as real files."""

from __future__ import annotations

import pytest

from dingmi.engine import Engine, load_engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return load_engine()
