"""Batch scanning of directories and archives, and declassification review (issue 6).

``dingmi scan`` / ``dingmi declass`` (see :mod:`dingmi.scan.cli`); the library entry point is
:func:`dingmi.scan.runner.run`.
"""

from __future__ import annotations

__all__ = ["RunOptions", "RunSummary", "run"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from dingmi.scan import runner

        return getattr(runner, name)
    raise AttributeError(name)
