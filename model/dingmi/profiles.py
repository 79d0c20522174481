"""Per-entry match profiles: weighted terms derived from the entry text, plus optional expert edits.

A profile needs nothing but the catalog entry: terms come from segmenting its text, synonyms from
``corpus/lexicon.toml``, qualifiers from its wording. Expert files ``corpus/entries/*.toml`` may add
terms, required term groups and excluding terms per entry id; entries without one work as they are.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dingmi.catalog import Catalog, CatalogEntry, corpus_dir
from dingmi.errors import CatalogError
from dingmi.nlp import cut, make_tokenizer
from dingmi.qualifiers import EntryQualifiers, entry_qualifiers
from dingmi.text import normalize

STOPWORDS = frozenset(
    """的 及 以及 和 或 与 中 在 之 等 有关 相关 其他 其它 各类 各种 情况 问题 工作 国家 方面 部分 内容 有 会 后 前
    对 给 造成 规定 属于 按 管理 事项 包括 其 上述 我国 我 于 一旦 泄露 公开 或者 并且 能够 导致 使 处理 时 不 应 应当 作为
    未经 批准 得 擅自 以上 以下 之间 之前 之后 启用 尚未 公布 已 被 由 为 所 从 同时 符合 下述 三个 条件 定为 含 不含
    全国 省级 地区 市 级 统一 按国家 级事项 国家级 材料 事项管理 期间 完毕 结束 考试结束 使用 将 会给 造成 损害 严重 特别
    威胁 后会 公开或 一般 相当 当 精度 优于 高于 超过 大于 等于 比例尺 范围 连续 覆盖 万 千 以外 涉及 构成 成果 资料
    及其 绝密 机密 秘密 绝密级 机密级 秘密级 国家机密 国家秘密 国家绝密 正在 研究 做出 作出 结论 启封 处理完毕 不宜 不利
    以前 成立 针对 采取 获取 参加 制定 引起 较大 重要 重大 安全 利益 影响 基本 基础 相当于 空间 要素""".split()
)


@dataclass
class Term:
    """A concept the entry speaks of: its key, its surface forms and its weight."""

    key: str
    forms: tuple[str, ...]
    weight: float


@dataclass
class EntryProfile:
    """Everything the matcher knows about one entry."""

    entry: CatalogEntry
    terms: list[Term]
    qualifiers: EntryQualifiers
    head: frozenset[str] = frozenset()  # keys of the matter's head noun phrase (after the last 的)
    require: list[tuple[str, ...]] = field(default_factory=list)  # each group: at least one form present
    exclude: tuple[str, ...] = ()

    total_weight: float = 1.0  # sum of term weights, set at build time

    def __post_init__(self) -> None:
        self.total_weight = sum(t.weight for t in self.terms) or 1.0


def load_lexicon(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Synonym groups: every member maps to its whole group."""
    path = path or corpus_dir() / "lexicon.toml"
    groups = tomllib.loads(path.read_text(encoding="utf-8"))["synonyms"]
    out: dict[str, tuple[str, ...]] = {}
    for name, members in groups.items():
        forms = tuple(dict.fromkeys(normalize(m) for m in [name, *members]))
        for m in forms:
            out.setdefault(m, forms)
    return out


def load_expert_profiles(folder: Path | None = None) -> dict[str, dict[str, list]]:
    """Expert edits per entry id from ``corpus/entries/*.toml`` (validated)."""
    folder = folder or corpus_dir() / "entries"
    out: dict[str, dict[str, list]] = {}
    for f in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            data = tomllib.loads(f.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CatalogError(f"条目配置文件 {f} 格式错误：{exc}", code="DM210") from exc
        for entry_id, spec in data.items():
            for key, value in spec.items():
                if key not in ("terms", "require", "exclude"):
                    raise CatalogError(f"条目配置文件 {f} 条目 {entry_id}：未知字段“{key}”", code="DM211")
                if not isinstance(value, list):
                    raise CatalogError(f"条目配置文件 {f} 条目 {entry_id}：字段“{key}”应为列表", code="DM211")
            out[entry_id] = spec
    return out


_CLEAN = re.compile(r"\(.*?\)|（.*?）|[;；。,，、:：\"“”…]+")


def build_profiles(catalog: Catalog, lexicon: dict[str, tuple[str, ...]] | None = None,
                   expert: dict[str, dict[str, list]] | None = None) -> list[EntryProfile]:
    """Profiles for every entry of the catalog, with term weights by inverse entry frequency."""
    lexicon = load_lexicon() if lexicon is None else lexicon  # {} = no synonyms (generic matching only)
    expert = load_expert_profiles() if expert is None else expert
    tk = make_tokenizer(list(lexicon), memo=f"profiles {catalog.sha256}")  # entry cuts kept in the data dir
    raw: list[tuple[CatalogEntry, list[str]]] = []
    for e in catalog.entries:
        text = normalize(e.text)
        words = [w for w in cut(tk, _CLEAN.sub(" ", text)) if _keep(w)]
        extra = expert.get(e.id, {}).get("terms", [])
        keys = list(dict.fromkeys(lexicon.get(w, (w,))[0] for w in [*words, *map(normalize, extra)]))
        head = frozenset(lexicon.get(w, (w,))[0] for w in _head_words(tk, text))
        raw.append((e, keys, head))
    tk.save()
    df = Counter(k for _, keys, _ in raw for k in set(keys))
    n = len(raw)
    profiles = []
    for e, keys, head in raw:
        terms = [
            Term(k, lexicon.get(k, (k,)), math.log((n + 1) / (df[k] + 0.5)) * (1.0 if len(k) > 1 else 0.5))
            for k in keys
        ]
        spec = expert.get(e.id, {})
        profiles.append(
            EntryProfile(
                entry=e,
                terms=terms,
                qualifiers=entry_qualifiers(normalize(e.text), e.level, normalize(e.regulation), normalize(e.period)),
                head=head,
                require=[tuple(normalize(w) for w in group) for group in spec.get("require", [])],
                exclude=tuple(normalize(w) for w in spec.get("exclude", [])),
            )
        )
    return profiles


def _head_words(tk: object, text: str) -> list[str]:
    """Head nouns of the matter: in each clause, the last word of each coordinated part after the last 的.

    ``…在启用之前的试题(包括副题)、参考答案和评分标准`` → 试题, 参考答案, 评分标准. Where that part is
    generic (``的有关情况``, ``的部分``), the matter is what the 的-phrase names: ``…命题工作及参与人员的有关情况``
    → 命题, 人员 (split at 及/与 only: 、 and 和 also join modifiers, 全国、省级和地区级);
    ``…材料中涉及个人隐私的部分`` → 个人隐私 (what lies in the material). A part that begins with 其 refers
    back to the part before it (``命题工作及其人员``: the persons of that work) and adds no head.
    """
    heads = []
    for clause in re.split(r"[,，;；。]", re.sub(r"\(.*?\)|（.*?）", "", text)):
        if "的" not in clause:
            continue
        before, tail = clause.rsplit("的", 1)
        words = _part_heads(tk, tail, r"[、和及与或]")
        if not words and _GENERIC_TAIL.fullmatch(tail) and not _HARM.search(before):
            before = re.split(r"涉及", before)[-1]
            words = _part_heads(tk, before, r"以及|及|与", refers_back=True)
        heads.extend(words)
    return heads


_GENERIC_TAIL = re.compile(r"\s*(?:有关|相关|具体)?(?:情况|部分)\s*")  # …的有关情况, …的部分: the 的-phrase is the matter
_HARM = re.compile(r"泄露|造成|损害|损失|使(?!用)")  # …泄露后会造成损失的部分, …使我国…被动的部分: a consequence, not a matter


def _part_heads(tk: object, phrase: str, coordination: str, refers_back: bool = False) -> list[str]:
    """The last kept word of each part of a noun phrase split at ``coordination`` (parts starting with 其
    skipped when ``refers_back``)."""
    heads = []
    for part in re.split(coordination, phrase):
        if refers_back and part.startswith("其") and heads:
            continue
        words = [w for w in cut(tk, part) if _keep(w)]  # type: ignore[arg-type]
        if words:
            heads.append(words[-1])
    return heads


def _keep(word: str) -> bool:
    w = word.strip()
    if len(w) < 2 or w in STOPWORDS:
        return False
    return not re.match(r"[\d.:×x±′″'\-—()（）]", w) and not re.fullmatch(r"[a-z]", w)
