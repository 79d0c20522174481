"""Cheap screen + entry scoring: one Aho-Corasick pass finds every catalog term, then each entry
whose terms occur is scored by weighted coverage, local co-occurrence and its qualifiers."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

import ahocorasick

import re

from dingmi.profiles import EntryProfile
from dingmi.qualifiers import DocState, gate
from dingmi.text import Sentence


MIN_COVERAGE = 0.2  # entries with less of their weighted terms present are not scored (cheap screen)
MIN_SCORE = 0.03    # entries that cannot reach this score are dropped before the detailed scoring

# a term right after these words is mentioned as absent: 未附控制点坐标表, 不含等高线, 已删除…
_NEGATED = re.compile(r"(未附|未含|未包含|不含|不包含|不包括|不涉及|未涉及|没有|并无|无|删除了?|去除了?|不附|不得含有)[^，,。;]{0,5}$")


# …or right before these: “评分标准不在公布范围之内”, “…除外”, “另行下发” (the document does not contain it)
_EXCLUDED_AFTER = re.compile(r"[^，,。;]{0,6}?(?:不在[^，,。;]{0,8}范围|不予公布|除外|另行(?:下发|通知|印发))")


@dataclass
class EntryMatch:
    """How well one entry fits one document, with the sentences that carry it."""

    profile: EntryProfile
    score: float
    coverage: float
    window: float
    title: float
    gate: float
    matched: list[str]
    reasons: list[str]
    evidence: list[Sentence] = field(default_factory=list)
    head_ok: bool = True
    require_ok: bool = True
    excluded: bool = False
    rule_score: float = 0.0  # the rule score, kept when a learned scorer re-ranks ``score``
    prob: float | None = None  # P(matter) from the learned scorer, when one is loaded
    vetoable: bool = False  # the scorer was trained on examples of this entry, so its "no" counts

    @property
    def entry_id(self) -> str:
        return self.profile.entry.id

    @property
    def level(self) -> str:
        return self.profile.entry.level


class Matcher:
    """Scores every entry of a catalog against a document."""

    def __init__(self, profiles: list[EntryProfile]) -> None:
        self.profiles = profiles
        self._form_keys: dict[str, set[str]] = defaultdict(set)
        extra_forms: set[str] = set()
        for p in profiles:
            for t in p.terms:
                for f in t.forms:
                    self._form_keys[f].add(t.key)
            for group in p.require:
                extra_forms.update(group)
            extra_forms.update(p.exclude)
        self._automaton = ahocorasick.Automaton()
        for form in set(self._form_keys) | extra_forms:
            self._automaton.add_word(form, form)
        self._automaton.make_automaton()
        # key -> (profile index, share of that entry's weight): coverage without touching other entries
        self._by_key: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for n, p in enumerate(profiles):
            for t in p.terms:
                self._by_key[t.key].append((n, t.weight / p.total_weight))

    def scan(self, norm: str) -> dict[str, list[int]]:
        """Positions (start offsets) of every term form found in the text, except negated mentions."""
        found: dict[str, list[int]] = defaultdict(list)
        for end, form in self._automaton.iter(norm):
            start = end - len(form) + 1
            if not _NEGATED.search(norm[max(0, start - 8) : start]) and not _EXCLUDED_AFTER.match(norm, end + 1, end + 16):
                found[form].append(start)
        return found

    def match(self, norm: str, sentences: list[Sentence], state: DocState,
              title_span: tuple[int, int] | None) -> list[EntryMatch]:
        """All entries with at least one term in the document, best first."""
        forms = self.scan(norm)
        if not forms or not sentences:
            return []
        starts = [s.start for s in sentences]
        key_sents: dict[str, set[int]] = defaultdict(set)
        key_in_title: set[str] = set()
        for form, positions in forms.items():
            for key in self._form_keys.get(form, ()):
                for pos in positions:
                    key_sents[key].add(max(0, bisect.bisect_right(starts, pos) - 1))
                    if title_span and title_span[0] <= pos < title_span[1]:
                        key_in_title.add(key)
        coverage: dict[int, float] = defaultdict(float)
        for key in key_sents:
            for n, share in self._by_key.get(key, ()):
                coverage[n] += share
        scored = (
            self._score(self.profiles[n], key_sents, key_in_title, forms, sentences, state)
            for n, cov in coverage.items()
            if cov >= MIN_COVERAGE
        )
        out = [m for m in scored if m is not None]
        out.sort(key=lambda m: (-m.score, m.entry_id))
        return out

    def _score(self, p: EntryProfile, key_sents: dict[str, set[int]], key_in_title: set[str],
               forms: dict[str, list[int]], sentences: list[Sentence], state: DocState) -> EntryMatch | None:
        total = p.total_weight
        matched = [t for t in p.terms if t.key in key_sents]
        coverage = sum(t.weight for t in matched) / total
        g, reasons = gate(p.qualifiers, state)
        specificity = min(1.0, 0.5 + total / 16)  # few distinctive terms: cannot match confidently on them
        if min(1.0, 0.8 * coverage + 0.2 + 0.12 * len(reasons)) * g * specificity < MIN_SCORE:
            return None  # cannot reach a score worth showing, whatever the details
        title = sum(t.weight for t in matched if t.key in key_in_title) / total
        per_sent: dict[int, float] = defaultdict(float)
        near: dict[int, float] = defaultdict(float)  # weight of distinct terms within one sentence of i
        for t in matched:
            sents = key_sents[t.key]
            for i in sents:
                per_sent[i] += t.weight
            for j in {k for i in sents for k in (i - 1, i, i + 1)}:
                near[j] += t.weight
        window = max(near.values()) / total if near else 0.0
        require_ok = all(any(f in forms for f in group) for group in p.require)
        excluded = any(f in forms for f in p.exclude)
        head_ok = not p.head or bool(p.head & key_sents.keys())
        if not require_ok:
            g *= 0.15
        if excluded:
            g *= 0.3
        if not head_ok:
            g *= 0.4  # the matter itself (试题, 时间路线, 转换参数…) is not in the document
        # each qualifier the document explicitly satisfies (scale, tier, area…) is evidence too
        bonus = 0.12 * len(reasons) if coverage >= 0.25 and g >= 0.5 else 0.0
        score = min(1.0, 0.35 * coverage + 0.45 * window + 0.2 * min(1.0, title * 2) + bonus) * g * specificity
        best = sorted(per_sent.items(), key=lambda kv: -kv[1])
        top = best[0][1] if best else 0.0
        evidence = [sentences[i] for i, w in best[:3] if w >= 0.5 * top and w > 0]
        evidence.sort(key=lambda s: s.start)
        keys = [t.key for t in sorted(matched, key=lambda t: -t.weight)]  # most distinctive first
        return EntryMatch(p, score, coverage, window, title, g, keys, reasons, evidence, head_ok, require_ok, excluded, score)
