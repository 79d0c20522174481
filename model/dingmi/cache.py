"""Derived data kept between runs in ``<data dir>/cache``: plain JSON and NumPy arrays, never pickles.

Everything here can be rebuilt from its source, so a cache that cannot be read or written is only
slower: readers answer None, writers give up quietly. Files are replaced atomically, so concurrent
runs never see half a file, and each kind keeps only its most recently written files.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def data_dir() -> Path:
    """``DINGMI_DATA_DIR`` or the user's data directory."""
    env = os.environ.get("DINGMI_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "dingmi"


def cache_dir() -> Path:
    return data_dir() / "cache"


def file_stamp(path: str | os.PathLike[str]) -> str:
    """Path, size and modification time: changes when the file is replaced (a reinstall)."""
    st = os.stat(path)
    return f"{os.fspath(path)}:{st.st_size}:{st.st_mtime_ns}"


def read_json(name: str) -> Any:
    """The JSON value stored under ``name``, or None."""
    try:
        return json.loads((cache_dir() / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(name: str, value: Any) -> bool:
    """Store ``value`` under ``name``; False when the cache cannot be written."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return write_file(name, lambda f: f.write(data))


def write_file(name: str, write: Callable[[IO[bytes]], object]) -> bool:
    """Write ``name`` through ``write`` into a temporary file, then move it into place."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, folder / name)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


def prune(pattern: str, keep: int) -> list[str]:
    """Remove all but the ``keep`` most recently written files matching ``pattern``; their names."""
    try:
        files = sorted(cache_dir().glob(pattern), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    except OSError:
        return []
    removed = []
    for path in files[keep:]:
        try:
            path.unlink()
            removed.append(path.name)
        except OSError:
            pass
    return removed
