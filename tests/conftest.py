"""Shared fixtures: one real engine per session, a tiny bundle trained once, an isolated data dir."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dingmi.catalog import corpus_dir, load_default
from dingmi.engine import Engine, load_engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return load_engine()


@pytest.fixture(scope="session")
def tiny_rows() -> list[dict[str, Any]]:
    """Every fourth training document."""
    from dingmi_training.data import load_examples

    return load_examples()[::4]


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory, tiny_rows: list[dict[str, Any]]) -> Path:
    from dingmi_training.train import train

    out = tmp_path_factory.mktemp("bundle") / "tiny"
    train(tiny_rows, out, catalog=load_default(), name="tiny")
    return out


@pytest.fixture(scope="session", autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, tiny_bundle: Path) -> Iterator[None]:
    """Commands run by the tests use a temporary data dir and the tiny bundle, never the user's own."""
    saved = {k: os.environ.get(k) for k in ("DINGMI_DATA_DIR", "DINGMI_BUNDLE")}
    os.environ["DINGMI_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    os.environ["DINGMI_BUNDLE"] = str(tiny_bundle)
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture()
def tiny_corpus(tmp_path: Path, tiny_rows: list[dict[str, Any]]) -> Path:
    """A copy of corpus/ whose labeled/ holds only the tiny rows."""
    import json

    root = tmp_path / "corpus"
    shutil.copytree(corpus_dir(), root, ignore=shutil.ignore_patterns("labeled"))
    (root / "labeled").mkdir()
    (root / "labeled" / "tiny.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in tiny_rows) + "\n", encoding="utf-8")
    return root
