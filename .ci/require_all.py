"""pytest plugin used by .ci/run: a skipped test of an optional group fails the run.

The README's test command skips the PostgreSQL, Chromium and Dask tests where those are missing;
CI provides all three, so a skip there means the group silently did not run. Loaded through
``PYTEST_PLUGINS=require_all`` with ``.ci`` on ``PYTHONPATH``, so the command itself is unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

GROUPS = {
    "PostgreSQL": ("postgres",),
    "Chromium": ("chromium", "playwright", "browser"),
    "Dask": ("dask",),
    "OCR": ("ocr extra", "rapidocr"),
}


def group_of(text: str) -> str:
    """The optional group a skip belongs to ("" for none), from its reason and test id."""
    low = text.lower()
    return next((name for name, words in GROUPS.items() if any(w in low for w in words)), "")


def _reason(report: Any) -> str:
    longrepr = report.longrepr
    return str(longrepr[-1]) if isinstance(longrepr, tuple) else str(longrepr)


def _fail(report: Any) -> None:
    reason = _reason(report)
    group = group_of(f"{reason} {report.nodeid}")
    if group:
        report.outcome = "failed"
        report.longrepr = f"CI requires the {group} tests, but they were skipped: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.skipped:
        _fail(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.skipped:  # a module skipped as a whole (importorskip, allow_module_level)
        _fail(report)
