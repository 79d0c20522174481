"""Safe walking: zip-slip, absolute paths, nesting depth, decompressed size, links, name encodings."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from dingmi.scan.walk import (
    ArchiveCache,
    Limits,
    Rejected,
    Source,
    load_bytes,
    unsafe_reason,
    walk,
)
from scan.scanfiles import zip_bytes


def items(root: Path, **limits: int) -> dict[str, Source | Rejected]:
    return {i.path: i for i in walk(root, limits=Limits(**limits))}


def test_when_member_escapes_then_rejected_and_nothing_written(tmp_path):
    archive = tmp_path / "in" / "a.zip"
    archive.parent.mkdir()
    archive.write_bytes(zip_bytes({"../evil.txt": b"x", "/etc/abs.txt": b"y", "C:/win.txt": b"z",
                                   "a\\..\\..\\b.txt": b"w", "good/ok.txt": "正文".encode()}))
    got = items(archive.parent)
    for name in ("a.zip!../evil.txt", "a.zip!/etc/abs.txt", "a.zip!C:/win.txt", "a.zip!a\\..\\..\\b.txt"):
        assert isinstance(got[name], Rejected) and got[name].code == "DM131"
    assert isinstance(got["a.zip!good/ok.txt"], Source)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.zip", "in"]


@pytest.mark.parametrize("name", ["dir/file.txt", "..txt", "a..b/c.txt", "文件/说明.md"])
def test_when_member_name_is_ordinary_then_safe(name):
    assert unsafe_reason(name) is None


def test_when_archives_nest_too_deep_then_rejected(tmp_path):
    data = zip_bytes({"leaf.txt": "最内层".encode()})
    for level in range(3):
        data = zip_bytes({f"level{level}.zip": data, f"doc{level}.txt": "正文".encode()})
    (tmp_path / "outer.zip").write_bytes(data)
    got = items(tmp_path, max_depth=3)
    assert isinstance(got["outer.zip!doc2.txt"], Source)
    assert isinstance(got["outer.zip!level2.zip!level1.zip!doc0.txt"], Source)
    deep = got["outer.zip!level2.zip!level1.zip!level0.zip"]
    assert isinstance(deep, Rejected) and deep.code == "DM132"


def test_when_declared_size_exceeds_bound_then_archive_rejected(tmp_path):
    (tmp_path / "big.zip").write_bytes(zip_bytes({"a.txt": b"a" * 5000, "b.txt": b"b" * 5000}))
    got = items(tmp_path, max_archive_total=8000)
    assert list(got) == ["big.zip"] and got["big.zip"].code == "DM133"


def test_when_member_ratio_is_a_bomb_then_rejected(tmp_path):
    (tmp_path / "bomb.zip").write_bytes(zip_bytes({"zeros.txt": b"0" * 2_000_000}))
    got = items(tmp_path, ratio_min_bytes=1_000_000, max_ratio=100)
    assert got["bomb.zip!zeros.txt"].code == "DM133"


def test_when_nested_archive_too_large_or_member_too_large_then_rejected(tmp_path):
    inner = zip_bytes({"x.txt": os.urandom(3000).hex().encode()})
    (tmp_path / "a.zip").write_bytes(zip_bytes({"inner.zip": inner, "huge.txt": b"z" * 4000}))
    got = items(tmp_path, max_nested_bytes=1000, max_file_bytes=3000)
    assert got["a.zip!inner.zip"].code == "DM133"
    assert got["a.zip!huge.txt"].code == "DM117"


def test_when_zip_is_broken_then_one_error_row(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"PK\x05\x06 truncated")
    assert [(i.path, i.code) for i in walk(tmp_path)] == [("bad.zip", "DM134")]


class _GbkName(zipfile.ZipInfo):
    """A member name stored in GBK without the UTF-8 flag, as Chinese Windows archivers do."""

    __slots__ = ()

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("gbk"), self.flag_bits


def test_when_member_name_is_gbk_without_utf8_flag_then_decoded(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(_GbkName("公文/通知.txt"), "正文".encode())
    (tmp_path / "gbk.zip").write_bytes(buf.getvalue())
    got = items(tmp_path)
    source = got["gbk.zip!公文/通知.txt"]
    assert isinstance(source, Source) and load_bytes(source, Limits(), ArchiveCache()) == "正文".encode()


def test_when_symlink_leaves_root_then_rejected(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("外部文件", encoding="utf-8")
    root = tmp_path / "root"
    root.mkdir()
    (root / "inside.txt").write_text("内部", encoding="utf-8")
    (root / "link.txt").symlink_to(outside)
    (root / "ok-link.txt").symlink_to(root / "inside.txt")
    got = items(root)
    assert got["link.txt"].code == "DM135"
    assert isinstance(got["ok-link.txt"], Source)


def test_when_excluded_dir_then_skipped(tmp_path):
    (tmp_path / "a.txt").write_text("正文", encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.jsonl").write_text("{}", encoding="utf-8")
    assert [i.path for i in walk(tmp_path, exclude=tmp_path / "out")] == ["a.txt"]


def test_when_root_is_a_zip_then_members_are_named_after_it(tmp_path):
    archive = tmp_path / "卷宗.zip"
    archive.write_bytes(zip_bytes({"a/1.txt": "正文".encode(), "b.pdf": b"%PDF", "c.xls": b"x"}))
    got = {i.path: getattr(i, "code", "") for i in walk(archive)}
    assert got == {"卷宗.zip!a/1.txt": "", "卷宗.zip!b.pdf": "", "卷宗.zip!c.xls": "DM111"}
