"""Checks applied to a zip package (.docx, .ofd) before anything inside it is parsed.

Judged from the sizes the archive declares (zipfile never inflates a member past its declared
size): member count, total uncompressed size, compression ratio of large members, and member
names that are absolute or climb out with ``..``.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Callable

from dingmi.errors import ReadError

__all__ = ["ZIP_MAX_MEMBERS", "ZIP_MAX_RATIO", "ZIP_MAX_TOTAL", "ZIP_RATIO_MIN_SIZE", "open_checked", "resolve"]

ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_RATIO = 200
ZIP_RATIO_MIN_SIZE = 10 * 1024 * 1024

Broken = Callable[[str], ReadError]


def open_checked(data: bytes, broken: Broken) -> zipfile.ZipFile:
    """Open ``data`` as a zip after the bomb and path checks; ``broken(detail)`` builds the error."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception:  # noqa: BLE001 - zipfile raises many types for garbage input
        raise broken("") from None
    if len(members) > ZIP_MAX_MEMBERS:
        raise broken(f"（压缩包内文件过多：{len(members)}个，疑似压缩炸弹）")
    if sum(m.file_size for m in members) > ZIP_MAX_TOTAL:
        raise broken("（解压后总大小超过200MB，疑似压缩炸弹）")
    for m in members:
        if m.file_size > ZIP_RATIO_MIN_SIZE and m.file_size > ZIP_MAX_RATIO * max(m.compress_size, 1):
            raise broken(f"（成员{m.filename}压缩比异常，疑似压缩炸弹）")
        if resolve("", m.filename) is None:
            raise broken(f"（成员路径“{m.filename[:80]}”不安全）")
    return archive


def resolve(base: str, ref: str) -> str | None:
    """A member reference made absolute within the package, or None when it leaves the package.

    ``ref`` starting with ``/`` is relative to the package root, otherwise to the folder ``base``.
    Backslashes count as separators; NUL, drive letters and ``..`` above the root are refused.
    """
    ref = ref.strip().replace("\\", "/")
    if not ref or "\x00" in ref or (len(ref) > 1 and ref[1] == ":"):
        return None
    parts: list[str] = [] if ref.startswith("/") else [p for p in base.split("/") if p]
    for part in ref.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return posixpath.join(*parts) if parts else None
