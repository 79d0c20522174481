"""Scope-of-secrets catalogs (保密事项范围) in the JSONL interchange format, validated on load."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dingmi.errors import CatalogError

ENTRY_LEVELS = ("绝密", "机密", "秘密", "内部")
REQUIRED = ("id", "regulation", "domain", "item", "text", "level")
OPTIONAL_STR = ("issuer", "year", "period", "source", "note")


def corpus_dir() -> Path:
    """The project's data folder: ``DINGMI_CORPUS_DIR`` or ``corpus/`` beside the source tree."""
    env = os.environ.get("DINGMI_CORPUS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "corpus"


def default_catalog_path() -> Path:
    """The shipped public reference catalog."""
    return corpus_dir() / "catalogs" / "reference.jsonl"


@dataclass(frozen=True)
class CatalogEntry:
    """One scope entry: a matter, its level and (optionally) its period."""

    id: str
    regulation: str
    domain: str
    item: str
    text: str
    level: str
    period: str = ""
    issuer: str = ""
    year: str = ""
    source: str = ""
    note: str = ""
    uncertain: bool = False
    catalog: str = ""  # name of the catalog file it came from

    def cite(self) -> str:
        """How a responsible person cites it: 《规定》第三条（一）."""
        return f"《{self.regulation}》{self.item}"


@dataclass(frozen=True)
class CatalogSource:
    """A loaded catalog file."""

    name: str
    path: str
    sha256: str
    entries: int


@dataclass
class Catalog:
    """All loaded entries; entries of every source compete on equal terms."""

    entries: list[CatalogEntry]
    sources: list[CatalogSource] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_id = {e.id: e for e in self.entries}

    def __getitem__(self, entry_id: str) -> CatalogEntry:
        return self._by_id[entry_id]

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def version(self) -> str:
        """``name@sha12`` of each source, joined with ``+``."""
        return "+".join(f"{s.name}@{s.sha256[:12]}" for s in self.sources)

    @property
    def sha256(self) -> str:
        """One digest over all sources, in load order."""
        h = hashlib.sha256()
        for s in self.sources:
            h.update(s.sha256.encode())
        return h.hexdigest()


def _fail(path: Path, line: int, field_name: str, message: str) -> CatalogError:
    return CatalogError(f"目录文件 {path} 第{line}行，字段“{field_name}”：{message}", code="DM201")


def _parse_entry(obj: object, path: Path, line: int, catalog_name: str) -> CatalogEntry:
    if not isinstance(obj, dict):
        raise _fail(path, line, "(整行)", "每行应为一个JSON对象")
    for name in REQUIRED:
        value = obj.get(name)
        if not isinstance(value, str) or not value.strip():
            raise _fail(path, line, name, "缺少必填字段或为空")
    level = obj["level"].strip()
    if level not in ENTRY_LEVELS:
        raise _fail(path, line, "level", f"未知密级“{level}”，应为 绝密、机密、秘密 或 内部")
    kwargs: dict[str, object] = {}
    for name in OPTIONAL_STR:
        value = obj.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise _fail(path, line, name, "应为字符串")
        kwargs[name] = value.strip()
    period = str(kwargs["period"])
    if level == "内部" and period:
        raise _fail(path, line, "period", "内部事项不是国家秘密，不应规定保密期限")
    uncertain = obj.get("uncertain", False)
    if not isinstance(uncertain, bool):
        raise _fail(path, line, "uncertain", "应为 true 或 false")
    return CatalogEntry(
        id=obj["id"].strip(),
        regulation=obj["regulation"].strip(),
        domain=obj["domain"].strip(),
        item=obj["item"].strip(),
        text=obj["text"].strip(),
        level=level,
        uncertain=uncertain,
        catalog=catalog_name,
        **kwargs,  # type: ignore[arg-type]
    )


def read_catalog_file(path: str | os.PathLike[str]) -> tuple[list[CatalogEntry], CatalogSource]:
    """Read and validate one JSONL catalog file; any bad line raises CatalogError naming file, line, field."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CatalogError(f"无法读取目录文件 {p}：{exc.strerror or exc}", code="DM202") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        raise CatalogError(f"目录文件 {p} 第{bad_line}行不是UTF-8编码", code="DM203") from exc
    entries: list[CatalogEntry] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(p, lineno, "(整行)", f"不是有效的JSON（{exc.msg}，第{exc.colno}列）") from exc
        entry = _parse_entry(obj, p, lineno, p.stem)
        if entry.id in seen:
            raise _fail(p, lineno, "id", f"条目编号“{entry.id}”与第{seen[entry.id]}行重复")
        seen[entry.id] = lineno
        entries.append(entry)
    if not entries:
        raise CatalogError(f"目录文件 {p} 没有任何条目", code="DM204")
    return entries, CatalogSource(p.stem, str(p), hashlib.sha256(raw).hexdigest(), len(entries))


def load_catalogs(paths: Iterable[str | os.PathLike[str]]) -> Catalog:
    """Load several catalog files into one catalog; an id defined twice across files is an error."""
    entries: list[CatalogEntry] = []
    sources: list[CatalogSource] = []
    origin: dict[str, str] = {}
    for path in paths:
        file_entries, source = read_catalog_file(path)
        for e in file_entries:
            if e.id in origin:
                raise CatalogError(
                    f"目录文件 {source.path} 的条目编号“{e.id}”已在 {origin[e.id]} 中定义；"
                    "各目录的条目编号必须唯一",
                    code="DM205",
                )
            origin[e.id] = source.path
        entries.extend(file_entries)
        sources.append(source)
    return Catalog(entries, sources)


def load_default(extra: Sequence[str | os.PathLike[str]] = ()) -> Catalog:
    """The shipped reference catalog plus any organisation catalogs."""
    return load_catalogs([default_catalog_path(), *extra])
