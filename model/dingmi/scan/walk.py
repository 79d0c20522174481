"""Safe walking of a directory, a single file or a .zip archive.

Yields one :class:`Source` per document to read and one :class:`Rejected` per entry refused
without reading (unsafe archive path, archive too deep or too large, unsupported type, link
leaving the scanned directory). Nothing is ever extracted to disk: archive members are read
into memory, bounded by :class:`Limits`.

Row paths are relative to the scanned root and use ``/``; an archive member is written
``archive.zip!dir/file.txt`` (``!`` again for each nested archive).
"""

from __future__ import annotations

import calendar
import errno
import io
import os
import re
import stat
import time
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from pathlib import Path, PurePosixPath

from dingmi.errors import ReadError
from dingmi.reader import MAX_BYTES, SUPPORTED_SUFFIXES

__all__ = [
    "ArchiveCache",
    "Limits",
    "confine_root",
    "open_confined",
    "os_reason",
    "Rejected",
    "Source",
    "display_name",
    "file_stamp",
    "load_bytes",
    "walk",
]

# Codes of the scan's own refusals (the reader owns DM111-DM119).
UNSAFE_PATH = "DM131"
TOO_DEEP = "DM132"
TOO_LARGE = "DM133"
BROKEN_ARCHIVE = "DM134"
LINK_OR_SPECIAL = "DM135"
ENCRYPTED_MEMBER = "DM136"
TIMEOUT = "DM137"
INTERNAL = "DM139"

ARCHIVE_SUFFIXES = frozenset({".zip"})
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1


@dataclass(frozen=True)
class Limits:
    """Bounds on what a scan reads."""

    max_file_bytes: int = MAX_BYTES              # one document (file or member)
    max_depth: int = 3                           # archive levels: a zip in a zip in a zip
    max_archive_total: int = 16 * 1024**3        # declared uncompressed bytes of one archive tree
    max_nested_bytes: int = 256 * 1024 * 1024    # a nested archive is held in memory
    max_members: int = 200_000                   # members of one archive
    max_ratio: int = 200                         # compression ratio above which a large member is a bomb
    ratio_min_bytes: int = 10 * 1024 * 1024      # ratio is only judged from this size
    max_archive_ratio: int = 100                 # whole archive: declared bytes / archive bytes
    archive_ratio_min_bytes: int = 64 * 1024 * 1024  # ...judged from this many declared bytes


@dataclass(frozen=True)
class Source:
    """A document to read: a file, or a member reached through a chain of archive members."""

    path: str                     # row key, relative to the scanned root
    fs_path: str                  # absolute path of the file or of the outermost archive
    members: tuple[str, ...]      # raw member names inside fs_path (empty for a plain file)
    size: int
    mtime_ns: int
    stamp: str = ""               # see file_stamp(); "" = unknown, the state check hashes the file

    @property
    def name(self) -> str:
        """File name used to choose the reader."""
        return PurePosixPath((self.members[-1] if self.members else self.fs_path).replace("\\", "/")).name


@dataclass(frozen=True)
class Rejected:
    """An entry refused without reading; becomes an error row."""

    path: str
    size: int
    mtime_ns: int
    code: str
    reason: str


Item = Source | Rejected


def display_name(name: str) -> str:
    """A file or member name as one unambiguous piece of a row path.

    ``%`` and the member separator ``!`` are written ``%25`` and ``%21``, and bytes that are not
    UTF-8 (``surrogateescape``) ``%XX``, so no two inputs share a row path: a member ``x.txt`` of
    ``a.zip`` is ``a.zip!x.txt`` and a plain file named ``a.zip!x.txt`` is ``a.zip%21x.txt``.
    """
    out = []
    for ch in name:
        if ch in "%!":
            out.append(f"%{ord(ch):02X}")
        elif "\udc80" <= ch <= "\udcff":
            out.append(f"%{ord(ch) - 0xDC00:02X}")
        elif "\ud800" <= ch <= "\udfff":
            out.append(f"%u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


STABLE_NS = 2_000_000_000  # a file changed this recently gets no stamp (a second change could keep its ctime)


def file_stamp(st: os.stat_result, now_ns: int | None = None) -> str:
    """What identifies this version of a file without reading it: device, inode and change time.

    Every write, ``touch``, rename or copy sets the ctime to the current time, and nobody can set
    it back. "" when that cannot be relied on: on Windows (ctime is the creation time there) and
    for a file changed in the last two seconds, which could change again within the same tick.
    """
    if os.name == "nt":
        return ""
    now = time.time_ns() if now_ns is None else now_ns
    if st.st_ctime_ns > now - STABLE_NS:
        return ""
    return f"{st.st_dev}:{st.st_ino}:{st.st_ctime_ns}"


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}MB"


def _unsupported(suffix: str) -> str:
    kinds = "、".join(sorted(SUPPORTED_SUFFIXES | ARCHIVE_SUFFIXES))
    return f"不支持的文件类型“{suffix or '（无扩展名）'}”，支持的类型：{kinds}"


def walk(root: str | os.PathLike[str], *, exclude: str | os.PathLike[str] | None = None,
         limits: Limits = Limits()) -> Iterator[Item]:
    """Every document under ``root`` (a directory, a file or a .zip), in a stable order."""
    root_path = Path(root).absolute()
    excluded = Path(exclude).resolve() if exclude is not None else None
    if root_path.is_dir():
        yield from _walk_dir(root_path, root_path.resolve(), excluded, limits)
    else:
        yield from _walk_file(root_path, display_name(root_path.name), limits, confine_root(root_path))


def _walk_dir(root: Path, real_root: Path, excluded: Path | None, limits: Limits) -> Iterator[Item]:
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Rejected(prefix.rstrip("/") or ".", 0, 0, "DM118", f"无法读取目录（{os_reason(exc)}）")
            continue
        subdirs: list[tuple[Path, str]] = []
        for entry in entries:
            rel = prefix + display_name(entry.name)
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    yield from _walk_link(path, rel, real_root, limits)
                elif entry.is_dir(follow_symlinks=False):
                    if excluded is None or path.resolve() != excluded:
                        subdirs.append((path, rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    yield from _walk_file(path, rel, limits, real_root)
                else:
                    yield Rejected(rel, 0, 0, LINK_OR_SPECIAL, "不是普通文件（设备、管道或套接字），已跳过")
            except OSError as exc:
                yield Rejected(rel, 0, 0, "DM118", f"无法读取文件信息（{os_reason(exc)}）")
        stack.extend(reversed(subdirs))


def _walk_link(path: Path, rel: str, real_root: Path, limits: Limits) -> Iterator[Item]:
    try:
        target = Path(os.path.realpath(path, strict=True))
        st = target.stat()
    except (OSError, RuntimeError) as exc:  # a loop (ELOOP) or a dangling link
        if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
            yield Rejected(rel, 0, 0, LINK_OR_SPECIAL, "符号链接形成循环，已拒绝")
        else:
            yield Rejected(rel, 0, 0, LINK_OR_SPECIAL, "符号链接无效（目标不存在）")
        return
    if not target.is_relative_to(real_root):
        yield Rejected(rel, 0, 0, LINK_OR_SPECIAL, "符号链接指向扫描目录之外，已拒绝")
    elif stat.S_ISDIR(st.st_mode):
        yield Rejected(rel, 0, 0, LINK_OR_SPECIAL, "符号链接指向目录，不跟随（其内容按原位置扫描）")
    elif stat.S_ISREG(st.st_mode):
        yield from _walk_file(target, rel, limits, real_root)
    else:
        yield Rejected(rel, 0, 0, LINK_OR_SPECIAL, "符号链接指向的不是普通文件（设备、管道或套接字），已跳过")


def _walk_file(path: Path, rel: str, limits: Limits, real_root: Path) -> Iterator[Item]:
    try:
        st = path.stat()
    except OSError as exc:
        yield Rejected(rel, 0, 0, "DM118", f"无法读取文件（{os_reason(exc)}）")
        return
    if not stat.S_ISREG(st.st_mode):
        yield Rejected(rel, 0, 0, LINK_OR_SPECIAL, "不是普通文件，已跳过")
        return
    suffix = path.suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        yield from _walk_archive(str(path), rel, st, limits, real_root)
    elif suffix not in SUPPORTED_SUFFIXES:
        yield Rejected(rel, st.st_size, st.st_mtime_ns, "DM111", _unsupported(suffix))
    else:
        yield Source(rel, str(path), (), st.st_size, st.st_mtime_ns, file_stamp(st))


# ---------------------------------------------------------------- archives


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as text: names stored without the UTF-8 flag are tried as UTF-8, then GBK."""
    name = info.filename
    if not info.flag_bits & _UTF8_FLAG:
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            return name
        for codec in ("utf-8", "gbk"):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                continue
    return name


def unsafe_reason(name: str) -> str | None:
    """Why an archive member name is refused (absolute path, drive letter or ``..``), or None."""
    n = name.replace("\\", "/")
    if n.startswith("/") or _DRIVE_RE.match(n):
        return "压缩包成员使用绝对路径，已拒绝（防止路径穿越）"
    if ".." in n.split("/"):
        return "压缩包成员路径包含“..”，已拒绝（防止路径穿越）"
    return None


def _member_mtime_ns(info: zipfile.ZipInfo) -> int:
    try:
        return calendar.timegm((*info.date_time, 0, 0, 0)) * 1_000_000_000
    except (TypeError, ValueError, OverflowError):
        return 0


def _walk_archive(fs_path: str, rel: str, st: os.stat_result, limits: Limits, real_root: Path) -> Iterator[Item]:
    size, mtime_ns = st.st_size, st.st_mtime_ns
    try:
        handle = open_confined(fs_path, real_root)
    except ReadError as exc:
        yield Rejected(rel, size, mtime_ns, exc.code, exc.message)
        return
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        handle.close()
        yield Rejected(rel, size, mtime_ns, BROKEN_ARCHIVE, "压缩包已损坏或不是有效的.zip文件")
        return
    with handle, archive:
        budget = [limits.max_archive_total]
        yield from _walk_members(archive, fs_path, (), rel, size, mtime_ns, 1, budget, limits, file_stamp(st))


def _walk_members(archive: zipfile.ZipFile, fs_path: str, chain: tuple[str, ...], rel: str, size: int,
                  mtime_ns: int, depth: int, budget: list[int], limits: Limits, stamp: str) -> Iterator[Item]:
    """Members of an open archive; ``stamp`` is the outer file's (a member's adds its CRC)."""
    infos = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    if len(infos) > limits.max_members:
        yield Rejected(rel, size, mtime_ns, TOO_LARGE, f"压缩包内文件过多（{len(infos)}个，上限{limits.max_members}个），疑似压缩炸弹")
        return
    declared = sum(i.file_size for i in infos)
    if declared > budget[0]:
        yield Rejected(rel, size, mtime_ns, TOO_LARGE,
                       f"压缩包解压后总大小{_mb(declared)}超过上限{_mb(limits.max_archive_total)}，疑似压缩炸弹")
        return
    if declared > limits.archive_ratio_min_bytes and declared > limits.max_archive_ratio * max(size, 1):
        yield Rejected(rel, size, mtime_ns, TOO_LARGE,
                       f"压缩包解压后总大小{_mb(declared)}是压缩后大小{_mb(size)}的{declared // max(size, 1)}倍，"
                       f"超过上限{limits.max_archive_ratio}倍，疑似压缩炸弹")
        return
    budget[0] -= declared
    counts: dict[str, int] = {}
    for info in infos:
        counts[info.filename] = counts.get(info.filename, 0) + 1
    for info in infos:
        name = member_name(info)
        path = f"{rel}!{display_name(name)}"
        mtime = _member_mtime_ns(info)
        reason = unsafe_reason(name)
        if reason:
            yield Rejected(path, info.file_size, mtime, UNSAFE_PATH, reason)
            continue
        if counts[info.filename] > 1:
            yield Rejected(path, info.file_size, mtime, BROKEN_ARCHIVE, "压缩包内有多个同名成员，无法确定读取哪一个")
            continue
        if info.flag_bits & _ENCRYPTED_FLAG:
            yield Rejected(path, info.file_size, mtime, ENCRYPTED_MEMBER, "压缩包成员已加密（需要密码），无法读取")
            continue
        if info.file_size > limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            yield Rejected(path, info.file_size, mtime, TOO_LARGE, "压缩比异常，疑似压缩炸弹，已拒绝")
            continue
        suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
        if suffix in ARCHIVE_SUFFIXES:
            yield from _walk_nested(archive, info, fs_path, chain, path, mtime, depth, budget, limits, stamp)
        elif suffix not in SUPPORTED_SUFFIXES:
            yield Rejected(path, info.file_size, mtime, "DM111", _unsupported(suffix))
        elif info.file_size > limits.max_file_bytes:
            yield Rejected(path, info.file_size, mtime, "DM117",
                           f"文件过大（{_mb(info.file_size)}），超过上限{_mb(limits.max_file_bytes)}")
        else:
            yield Source(path, fs_path, (*chain, info.filename), info.file_size, mtime,
                         f"{stamp}:{info.CRC:08x}" if stamp else "")


def _walk_nested(archive: zipfile.ZipFile, info: zipfile.ZipInfo, fs_path: str, chain: tuple[str, ...],
                 path: str, mtime: int, depth: int, budget: list[int], limits: Limits, stamp: str) -> Iterator[Item]:
    if depth >= limits.max_depth:
        yield Rejected(path, info.file_size, mtime, TOO_DEEP, f"压缩包嵌套超过{limits.max_depth}层，已拒绝")
        return
    if info.file_size > limits.max_nested_bytes:
        yield Rejected(path, info.file_size, mtime, TOO_LARGE,
                       f"内层压缩包过大（{_mb(info.file_size)}），超过上限{_mb(limits.max_nested_bytes)}")
        return
    try:
        data = _read_member(archive, info, limits.max_nested_bytes)
        inner = zipfile.ZipFile(io.BytesIO(data))
    except ReadError as exc:
        yield Rejected(path, info.file_size, mtime, exc.code, exc.message)
        return
    except (zipfile.BadZipFile, ValueError, EOFError):
        yield Rejected(path, info.file_size, mtime, BROKEN_ARCHIVE, "内层压缩包已损坏或不是有效的.zip文件")
        return
    with inner:
        yield from _walk_members(inner, fs_path, (*chain, info.filename), path, info.file_size, mtime,
                                 depth + 1, budget, limits, stamp)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Bytes of one member, never more than ``limit``; failures become ReadError."""
    if info.flag_bits & _ENCRYPTED_FLAG:
        raise ReadError("压缩包成员已加密（需要密码），无法读取", code=ENCRYPTED_MEMBER)
    if info.file_size > limit:
        raise ReadError(f"文件过大（{_mb(info.file_size)}），超过上限{_mb(limit)}", code="DM117")
    try:
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
    except RuntimeError:
        raise ReadError("压缩包成员已加密（需要密码），无法读取", code=ENCRYPTED_MEMBER) from None
    except NotImplementedError:
        raise ReadError("压缩包成员使用了不支持的压缩方式", code=BROKEN_ARCHIVE) from None
    except Exception as exc:  # noqa: BLE001 - BadZipFile (CRC), zlib.error, EOFError, OSError
        raise ReadError(f"压缩包成员已损坏（{type(exc).__name__}）", code=BROKEN_ARCHIVE) from None
    if len(data) > limit:
        raise ReadError(f"文件过大，超过上限{_mb(limit)}", code="DM117")
    return data


def confine_root(root: str | os.PathLike[str]) -> Path:
    """The real path every read must stay under (a directory, or the one file scanned)."""
    return Path(os.path.realpath(root))


def os_reason(exc: BaseException) -> str:
    """Why a file could not be read or written, in Chinese (never ``[Errno 2] …``)."""
    if isinstance(exc, UnicodeDecodeError):
        return "不是UTF-8编码的文本"
    code = getattr(exc, "errno", None) or 0
    return {errno.ENOENT: "文件不存在", errno.EACCES: "没有读取权限", errno.EPERM: "没有权限",
            errno.EISDIR: "这是一个目录，不是文件", errno.ENOTDIR: "路径中有一部分不是目录",
            errno.ELOOP: "符号链接循环", errno.ENOSPC: "磁盘空间不足", errno.EROFS: "文件系统只读"}.get(code, "输入输出错误")


def _fd_path(fd: int, path: str) -> Path:
    """Where an open file really is (the kernel's view where /proc tells)."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return Path(os.path.realpath(path))


def open_confined(path: str, root: Path | None) -> BinaryIO:
    """Open a regular file for reading without following a last-moment symlink, and only under ``root``.

    ``O_NOFOLLOW`` refuses a file replaced by a symlink after the walk; the opened file's real path
    is checked against ``root`` so a directory swapped for a link cannot lead outside either.
    ``O_NONBLOCK`` keeps a pipe swapped in from blocking the open. Failures raise ReadError.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ReadError("文件在扫描期间被替换为符号链接，已拒绝读取", code=LINK_OR_SPECIAL) from None
        if exc.errno == errno.ENOENT:
            raise ReadError("文件不存在（扫描期间被删除）", code="DM118") from None
        raise ReadError(f"无法读取文件（{os_reason(exc)}）", code="DM118") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ReadError("不是普通文件（设备、管道或套接字），已跳过", code=LINK_OR_SPECIAL)
        if root is not None and not _fd_path(fd, path).is_relative_to(root):
            raise ReadError("文件的实际位置在扫描目录之外（扫描期间被替换），已拒绝读取", code=LINK_OR_SPECIAL)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class ArchiveCache:
    """Open archives kept per process, so members of one archive do not reopen it each time.

    ``root`` confines every file opened through the cache (see :func:`open_confined`).
    """

    def __init__(self, max_entries: int = 4, root: Path | None = None) -> None:
        self._open: OrderedDict[tuple[str, tuple[str, ...]], zipfile.ZipFile] = OrderedDict()
        self._max = max_entries
        self.root = root

    def get(self, fs_path: str, chain: tuple[str, ...], limits: Limits) -> zipfile.ZipFile:
        """The archive at ``fs_path`` followed through ``chain`` of nested archive members."""
        key = (fs_path, chain)
        if key in self._open:
            self._open.move_to_end(key)
            return self._open[key]
        if chain:
            parent = self.get(fs_path, chain[:-1], limits)
            try:
                info = parent.getinfo(chain[-1])
            except KeyError:
                raise ReadError("压缩包内找不到该成员（压缩包在扫描期间被修改）", code="DM118") from None
            data = _read_member(parent, info, limits.max_nested_bytes)
            try:
                archive = zipfile.ZipFile(io.BytesIO(data))
            except (zipfile.BadZipFile, ValueError, EOFError):
                raise ReadError("内层压缩包已损坏或不是有效的.zip文件", code=BROKEN_ARCHIVE) from None
        else:
            handle = open_confined(fs_path, self.root)
            try:
                archive = zipfile.ZipFile(handle)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError):
                handle.close()
                raise ReadError("压缩包已损坏或不是有效的.zip文件", code=BROKEN_ARCHIVE) from None
            archive._dingmi_handle = handle  # type: ignore[attr-defined]  # closed with the archive
        self._open[key] = archive
        while len(self._open) > self._max:
            _close(self._open.popitem(last=False)[1])
        return archive

    def close(self) -> None:
        """Close every cached archive."""
        while self._open:
            _close(self._open.popitem()[1])


def _close(archive: zipfile.ZipFile) -> None:
    archive.close()
    handle = getattr(archive, "_dingmi_handle", None)
    if handle is not None:
        handle.close()


def load_bytes(source: Source, limits: Limits, cache: ArchiveCache) -> bytes:
    """The raw bytes of a source, at most ``limits.max_file_bytes``; failures raise ReadError."""
    limit = limits.max_file_bytes
    if source.members:
        archive = cache.get(source.fs_path, source.members[:-1], limits)
        try:
            info = archive.getinfo(source.members[-1])
        except KeyError:
            raise ReadError("压缩包内找不到该成员（压缩包在扫描期间被修改）", code="DM118") from None
        return _read_member(archive, info, limit)
    try:
        with open_confined(source.fs_path, cache.root) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise ReadError(f"文件过大（{_mb(size)}），超过上限{_mb(limit)}", code="DM117")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ReadError(f"无法读取文件（{os_reason(exc)}）", code="DM118") from None
    if len(data) > limit:
        raise ReadError(f"文件过大，超过上限{_mb(limit)}", code="DM117")
    return data
