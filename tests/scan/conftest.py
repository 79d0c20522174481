"""Session fixtures of the scan tests: the mixed archive, built and scanned once."""

from __future__ import annotations

from pathlib import Path

import pytest
from dingmi.scan.runner import RunSummary
from scan.scanfiles import build_mixed, scan


@pytest.fixture(scope="session")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("mixed") / "archive"
    return root, build_mixed(root)


@pytest.fixture(scope="session")
def mixed_scan(mixed: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunSummary]:
    """The mixed archive scanned once with two workers."""
    out = tmp_path_factory.mktemp("mixed-out")
    return out, scan(mixed[0], out)
