"""A time budget for one call in a thread that cannot be killed from outside (a Dask worker's).

The local engine kills and replaces a worker process whose file runs too long; a Dask worker
process is not ours to kill, so there the call is interrupted from inside: a watchdog thread
raises :class:`FileTimeout` in the working thread when the budget is spent, and again every
quarter second until the call ends (an exception delivered inside a gc callback is swallowed).
This stops pure-Python work (the PDF parser, the engine); code stuck inside one C call notices
when the call returns.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["FileTimeout", "call_with_deadline"]

T = TypeVar("T")


class FileTimeout(BaseException):  # noqa: N818 - BaseException: never swallowed by ``except Exception``
    """The call ran past its budget."""


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else None)


def call_with_deadline(fn: Callable[[], T], seconds: float) -> T:
    """``fn()``, or FileTimeout once ``seconds`` have passed."""
    target = threading.get_ident()
    done, fired = threading.Event(), threading.Event()

    def watchdog() -> None:
        if done.wait(seconds):
            return
        fired.set()
        while not done.is_set():  # again until it lands: one delivered inside a gc callback is lost
            _raise_in(target, FileTimeout)
            done.wait(0.25)

    thread = threading.Thread(target=watchdog, daemon=True, name="dingmi-file-deadline")
    thread.start()
    try:
        return fn()
    finally:
        done.set()
        thread.join()
        if fired.is_set():
            _raise_in(target, None)  # a timeout that fired as fn returned must not surface later
