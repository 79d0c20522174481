"""From a result row's path back to the document: for tools that read a scan's results later.

Row paths are relative to the scanned root, escaped by :func:`dingmi.scan.walk.display_name`,
with ``!`` between nested archive members. :func:`scan_root` reads the root a results file was
made from (its state DB), :func:`read_row` reads the document's bytes with the scan's own
safety checks (confined to the root, archive bounds).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from dingmi.errors import ReadError
from dingmi.scan.state import STATE_FILE
from dingmi.scan.walk import ArchiveCache, Limits, Source, confine_root, display_name, load_bytes, member_name

__all__ = ["read_row", "scan_root", "unescape"]

_ESCAPE = re.compile(r"%u([0-9A-F]{4})|%([0-9A-F]{2})")


def unescape(piece: str) -> str:
    """The file-system name of one escaped path piece (``%21`` → ``!``, ``%B9`` → the raw byte)."""
    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return chr(int(m.group(1), 16))
        value = int(m.group(2), 16)
        return chr(value) if value < 0x80 else chr(0xDC00 + value)  # raw bytes come back via surrogateescape

    return _ESCAPE.sub(one, piece)


def scan_root(results: Path) -> Path | None:
    """The root a scan's ``results.jsonl`` was made from (read from the state DB beside it), or None."""
    state = results.parent / STATE_FILE
    if not state.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'root'").fetchone()
    except sqlite3.Error:
        return None
    return Path(row[0]) if row and row[0] else None


def read_row(root: Path, row_path: str, limits: Limits = Limits()) -> tuple[bytes, str]:
    """The bytes and file name of the document a row names; ReadError when it cannot be read."""
    first, *members = row_path.split("!")
    if root.is_dir():
        fs_path = root / unescape(first)
    elif display_name(root.name) == first:
        fs_path = root
    else:
        raise ReadError(f"结果中的路径 {row_path} 不在扫描对象 {root} 中", code="DM118")
    cache = ArchiveCache(root=confine_root(root))
    try:
        chain: list[str] = []
        for i, shown in enumerate(members):
            archive = cache.get(str(fs_path), tuple(chain), limits)
            raw = next((info.filename for info in archive.infolist()
                        if display_name(member_name(info)) == shown), None)
            if raw is None:
                raise ReadError(f"压缩包内找不到成员 {'!'.join([first, *members[:i + 1]])}", code="DM118")
            chain.append(raw)
        source = Source(row_path, str(fs_path), tuple(chain), 0, 0)
        return load_bytes(source, limits, cache), source.name
    finally:
        cache.close()
