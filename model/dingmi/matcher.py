"""Entry matching at passage level.

One Aho-Corasick pass finds every catalog term in the document (cheap screen). For each entry
whose terms occur, every passage is scored as a possible 密点 of that entry:

    subject   — the entry's terms in the passage and in its scope (title, headings, lead-in),
                with the matter's head noun (试题, 坐标, 方案…) among them;
    disclosure — the passage carries concrete content rather than naming the topic (disclose.py);
    gate      — the entry's qualifiers (启用前, 尚未公布, scale, tier…) checked against the passage's
                own section (qualifiers.py), not the whole document.

An entry's score is its best passage: adding unrelated text elsewhere never lowers it.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import ahocorasick

from dingmi.disclose import PassageSignals, is_formal
from dingmi.header import Header
from dingmi.passages import Passage
from dingmi.profiles import EntryProfile
from dingmi.qualifiers import DocState, EntryQualifiers, SectionState, gate

MIN_COVERAGE = 0.2  # entries with less of their weighted terms in the whole document are not scored
# at most this many entries are scored per document, the best-covered first: more than any catalog of a
# few hundred entries offers one document, so only collections of thousands of entries are cut
MAX_CANDIDATES = 128
EVIDENCE_SHARE = 0.6  # passages within this share of an entry's best passage are evidence too
INTERNAL_FLOOR = 0.45  # least disclosure credited to a passage for a 内部 entry
SECTION_CONCRETE = 0.15  # a passage with this much concrete content is a candidate wherever its section names the entry

# a term right after these words is mentioned as absent: 未附控制点坐标表, 不含等高线, 已删除, 不公布评分细则…
_NEGATED = re.compile(r"(未附|未含|未包含|不含|不包含|不包括|不涉及|未涉及|没有|并无|无|删除了?|去除了?|不附|不得含有|不予?公布|不予?公开|不提供)[^,，。;；]{0,5}$")
# …or right before these: “评分标准不在公布范围之内”, “…除外”, “另行下发” (the document does not contain it)
_EXCLUDED_AFTER = re.compile(r"[^,，。;；]{0,6}?(?:不在[^,，。;；]{0,8}范围|不予公布|除外|另行(?:下发|通知|印发))")


@dataclass
class EntryMatch:
    """How well one entry fits one document, with the passages that disclose it."""

    profile: EntryProfile
    score: float
    coverage: float  # weighted share of the entry's terms in the best passage's own document
    window: float  # weighted share in the best passage's subject (passage + scope)
    title: float  # weighted share named in the title of the best passage's document
    gate: float
    matched: list[str]
    reasons: list[str]
    evidence: list[Passage] = field(default_factory=list)
    require_ok: bool = True
    excluded: bool = False
    rule_score: float = 0.0  # the rule score, kept when a learned scorer re-ranks ``score``
    prob: float | None = None  # P(matter) from the learned scorer, when one is loaded
    vetoable: bool = False  # the scorer was trained on examples of this entry, so its "no" counts
    best: int = -1  # index of the best passage
    pairs: list[PassagePair] = field(default_factory=list)  # every passage scored for this entry
    best_pair: PassagePair | None = None  # the pair of the best passage
    part_cov: dict[int, float] = field(default_factory=dict)  # document of the text → coverage there
    doc_coverage: float = 0.0  # coverage over the whole text (a document naming none of the terms)
    part_title: dict[int, float] = field(default_factory=dict)  # document of the text → share named in its title

    @property
    def entry_id(self) -> str:
        return self.profile.entry.id

    @property
    def level(self) -> str:
        return self.profile.entry.level


@dataclass(slots=True)
class PassagePair:
    """One passage scored as a possible 密点 of one entry."""

    index: int  # passage index
    local: float  # weighted share of the entry's terms in the passage and its scope
    head: bool  # the matter's head noun is in the passage or its scope
    in_passage: float  # weighted share of the entry's terms in the passage itself
    in_section: float  # weighted share of the entry's terms in the passage's section (title included)
    gate: float  # the entry's qualifiers checked against the passage's section
    score: float  # rule score of the pair: subject × disclosure × gate


@dataclass
class DocContext:
    """Per-document inputs of the matcher: passages, their signals and the scoped qualifier states."""

    norm: str
    passages: list[Passage]
    signals: list[PassageSignals]
    disclose: list[float]
    sections: dict[int, str]  # section → its text (title included)
    header: Header  # the first document's
    doc_state: DocState  # the first document's
    about_share: dict[int, float]  # section → share of its body passages that speak about secrecy
    by_section: dict[int, list[int]]  # section → its non-heading passages
    # each further document pasted after the first (part → its header and state): read as its own
    part_headers: dict[int, Header] = field(default_factory=dict)
    part_states: dict[int, DocState] = field(default_factory=dict)
    title_spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # each document's title in the text
    states: dict[int, SectionState] = field(default_factory=dict)  # section → its qualifier signals (lazy)
    gates: dict[tuple[int, int, bool], tuple[float, list[str]]] = field(default_factory=dict)  # (section, qualifier id, 已公布) → gate
    features: dict[int, list[float]] = field(default_factory=dict)  # passage → what it does (learned layer, lazy)

    @cached_property
    def no_floor(self) -> list[bool]:
        """Passages a 内部 matter is never credited in for being named: the title and the 版头/落款 elements,
        headings, duties (不得透露…), mentions (现将…如下) and passages about secrecy state no deliberation,
        draft or list."""
        titles = self.title_spans
        return [p.heading or s.requirement or s.mention or s.about or is_formal(p.text)
                or (p.part in titles and titles[p.part][0] <= p.start and p.end <= titles[p.part][1])
                for p, s in zip(self.passages, self.signals)]

    def state_of(self, part: int) -> DocState:
        """The state of one document of the text (its form, declarations, dates)."""
        return self.part_states.get(part, self.doc_state)

    @cached_property
    def section_part(self) -> dict[int, int]:
        """Section → the document of the text it belongs to."""
        return {p.section: p.part for p in self.passages}

    @cached_property
    def concrete_in(self) -> dict[int, list[int]]:
        """Section → body passages with concrete content, of that section or of the part it preambles."""
        out: dict[int, list[int]] = defaultdict(list)
        for sec, ps in self.by_section.items():
            for i in ps:
                if self.signals[i].concrete >= SECTION_CONCRETE:
                    out[sec].append(i)
                    if self.passages[i].preamble != sec:
                        out[self.passages[i].preamble].append(i)
        return out

    def gate(self, sec: int, qualifier_id: int, q: EntryQualifiers, forms: frozenset[str]) -> tuple[float, list[str]]:
        """An entry's qualifiers checked in one section (cached per section, distinct qualifiers — same
        ``qualifier_id`` — and 已公布 reading)."""
        if sec not in self.states:
            part = self.section_part.get(sec, 0)
            self.states[sec] = SectionState(self.sections.get(sec, ""), self.part_headers.get(part, self.header),
                                            self.state_of(part))
        state = self.states[sec]
        published = state.published_for(forms)
        key = (sec, qualifier_id, published)
        if key not in self.gates:
            self.gates[key] = gate(q, state, published)
        return self.gates[key]


class Matcher:
    """Scores every entry of a catalog against a document's passages."""

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
        if len(self._automaton):
            self._automaton.make_automaton()
        # entries with the same qualifiers share their gate in a section: one id per distinct set
        kinds: dict[str, int] = {}
        self._qualifier_id = [kinds.setdefault(repr(p.qualifiers), len(kinds)) for p in profiles]
        self._by_key: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for n, p in enumerate(profiles):
            for t in p.terms:
                self._by_key[t.key].append((n, t.weight / p.total_weight))

    def scan(self, norm: str) -> dict[str, list[int]]:
        """Positions (start offsets) of every term form found in the text, except negated mentions."""
        found: dict[str, list[int]] = defaultdict(list)
        if not len(self._automaton):
            return found
        for end, form in self._automaton.iter(norm):
            start = end - len(form) + 1
            if not _NEGATED.search(norm[max(0, start - 8) : start]) and not _EXCLUDED_AFTER.match(norm, end + 1, end + 16):
                found[form].append(start)
        return found

    def match(self, ctx: DocContext) -> list[EntryMatch]:
        """All entries with enough of their terms in the document, best first."""
        forms = self.scan(ctx.norm)
        passages = ctx.passages
        if not forms or not passages:
            return []
        starts = [p.start for p in passages]
        key_pass: dict[str, set[int]] = defaultdict(set)
        key_title: dict[int, set[str]] = defaultdict(set)  # each document's title → the keys named in it
        titles = list(ctx.title_spans.items())
        for form, positions in forms.items():
            for key in self._form_keys.get(form, ()):
                for pos in positions:
                    i = bisect.bisect_right(starts, pos) - 1
                    if i >= 0 and pos < passages[i].end:
                        key_pass[key].add(i)
                    for part, (s, e) in titles:
                        if s <= pos < e:
                            key_title[part].add(key)
        in_titles = set().union(*key_title.values())
        coverage: dict[int, float] = defaultdict(float)
        for key in sorted(key_pass.keys() | in_titles):  # sorted: sums in a fixed order, same result every run
            for n, share in self._by_key.get(key, ()):
                coverage[n] += share
        candidates = [n for n, cov in coverage.items() if cov >= MIN_COVERAGE]
        if len(candidates) > MAX_CANDIDATES:  # a large catalog: the best-covered entries only
            candidates = sorted(candidates, key=lambda n: (-coverage[n], self.profiles[n].entry.id))[:MAX_CANDIDATES]
        doc = _DocScan(ctx, forms, key_pass, key_title, in_titles)
        out = []
        for n in candidates:
            m = self._score(self.profiles[n], self._qualifier_id[n], coverage[n], doc)
            if m is not None:
                out.append(m)
        out.sort(key=lambda m: (-m.score, m.entry_id))
        return out

    def _score(self, p: EntryProfile, qualifier_id: int, coverage: float, doc: _DocScan) -> EntryMatch | None:
        """The entry's best passage and its evidence: every candidate passage scored as
        subject × disclosure × gate (see the module docstring)."""
        ctx = doc.ctx
        total = p.total_weight
        t = _EntryTerms(p, doc)
        weight_in, keys_in = t.weight_in, t.keys_in
        candidates = _candidates(t, doc)
        require_ok = all(any(f in doc.forms for f in group) for group in p.require)
        excluded = any(f in doc.forms for f in p.exclude)
        specificity = min(1.0, 0.5 + total / 16)  # few distinctive terms: cannot match confidently on them
        best_i, best_s, best_w, best_pair = -1, 0.0, 0.0, None
        scored: dict[int, float] = {}
        pairs: list[PassagePair] = []
        gates: dict[int, tuple[float, list[str]]] = {}
        # place (section, preamble, part) → the entry's share named in the section and its preamble, the
        # coverage of the part, and the gate in the section
        places: dict[int, tuple[float, float, float]] = {}
        by_scope: dict[tuple, tuple[float, bool]] = {}  # scope → (local, head) of a passage without terms
        forms_here = frozenset(f for term in t.matched for f in term.forms if f in doc.forms)
        # a work secret (内部) is the matter itself — a deliberation, a draft, a list — more than concrete
        # content, so a passage that names it counts nearly as much as one that details it
        floor = INTERNAL_FLOOR if p.entry.level == "内部" else 0.0
        passages, disclose, head_keys, scopes, place_of = ctx.passages, ctx.disclose, p.head, doc.scopes, doc.places
        weight = t.weight
        # each document's title: its keys and half its weight count for the passages of that document
        titles = {part: (keys, t.title_w[part] * 0.5) for part, keys in t.title_keys.items()}
        for i in candidates:
            scope = scopes[i]
            own = keys_in.get(i)
            part = passages[i].part
            title_keys, title_half = titles.get(part, (_NO_KEYS, 0.0))
            shared = scope if not part else (part, scope)  # a scope of the first document, or (document, scope)
            hit = None if own is not None else by_scope.get(shared)  # without terms: shared by the scope
            if hit is None:
                # the entry's weighted share in the passage, the title (half weight) and the headings or
                # lead-ins above it (terms new in each, in scope order); the head noun among them or not
                w = (0.0 if own is None else weight_in[i]) + title_half
                keys = _NO_KEYS if own is None else own
                if title_keys:
                    keys = keys | title_keys
                for j in scope:
                    above = keys_in.get(j)
                    if above:
                        new = above - keys
                        if new:
                            keys = keys | new
                            w += sum(weight[k] for k in sorted(new))
                w = w / total
                hit = (w if w < 1.0 else 1.0, not head_keys or not head_keys.isdisjoint(keys))
                if own is None:
                    by_scope[shared] = hit
            local, head = hit
            if own is None:
                in_passage = 0.0
            else:
                in_passage = weight_in[i] / total
                in_passage = in_passage if in_passage < 1.0 else 1.0
            place = places.get(place_of[i])
            if place is None:
                ps = passages[i]
                g = gates.get(ps.section)
                if g is None:
                    g = gates[ps.section] = ctx.gate(ps.section, qualifier_id, p.qualifiers, forms_here)
                place = (_section_share(t, ps.section, ps.preamble, ps.part, total), t.part_cov.get(ps.part, 0.0), g[0])
                places[place_of[i]] = place
            share, part_cov, gate_value = place
            in_sec = share if share > local else local  # max(local, share)
            subject = (0.45 * local + 0.25 * in_sec + 0.3 * part_cov) * (1.0 if head else 0.45)
            d = disclose[i]
            s = subject * (floor if floor > d and not ctx.no_floor[i] else d) * gate_value
            scored[i] = s
            pair = PassagePair(i, local, head, in_passage, in_sec if in_sec < 1.0 else 1.0, gate_value, s)
            pairs.append(pair)
            if s > best_s:
                best_i, best_s, best_w, best_pair = i, s, local, pair
        if best_i < 0:
            return None
        g, reasons = gates[passages[best_i].section]
        penalty = (1.0 if require_ok else 0.15) * (0.3 if excluded else 1.0)
        # a section that mostly speaks about secrecy (rules, reports) damps what it seems to disclose
        about = 1.0 - 0.5 * min(1.0, ctx.about_share.get(passages[best_i].section, 0.0) * 2)
        score = min(1.0, 1.6 * best_s) * penalty * specificity * about
        g *= penalty
        cut = EVIDENCE_SHARE * best_s
        # besides the best passage, a 密点 carries concrete content of its own: a heading, a duty or a
        # sentence that names the matter in a section about it is not one (a 内部 matter is named, not detailed)
        signals = ctx.signals
        evidence = sorted((passages[i] for i, s in scored.items()
                           if s >= cut and s > 0 and (i == best_i or floor or signals[i].concrete >= SECTION_CONCRETE)),
                          key=lambda x: x.start)
        keys = [term.key for term in sorted(t.matched, key=lambda term: -term.weight)]
        part_title = {part: w / total for part, w in t.title_w.items()}
        home = passages[best_i].part
        return EntryMatch(
            p, score, t.part_cov.get(home, coverage), best_w, part_title.get(home, 0.0), g, keys, reasons,
            evidence, require_ok, excluded, rule_score=score, best=best_i, pairs=pairs, best_pair=best_pair,
            part_cov=t.part_cov, doc_coverage=coverage, part_title=part_title,
        )


_NO_KEYS: frozenset[str] = frozenset()


class _DocScan:
    """Per-document inputs shared by every entry scored: where each term key was found, and which
    passages each heading or lead-in passage scopes."""

    __slots__ = ("ctx", "forms", "key_pass", "key_title", "in_titles", "children", "scopes", "places")

    def __init__(self, ctx: DocContext, forms: dict[str, list[int]], key_pass: dict[str, set[int]],
                 key_title: dict[int, set[str]], in_titles: set[str]) -> None:
        self.ctx = ctx
        self.forms = forms
        self.key_pass = key_pass
        self.key_title = key_title  # document of the text → keys named in its title
        self.in_titles = in_titles  # keys named in any title
        self.children: dict[int, list[int]] = defaultdict(list)
        for j, p in enumerate(ctx.passages):
            for i in p.scope:
                self.children[i].append(j)
        self.scopes = [p.scope for p in ctx.passages]
        ids: dict[tuple[int, int, int], int] = {}  # one number per (section, preamble, part)
        self.places = [ids.setdefault((p.section, p.preamble, p.part), len(ids)) for p in ctx.passages]


class _EntryTerms:
    """Where one entry's terms occur in a document: per passage, per section and part, and in each title."""

    __slots__ = ("matched", "weight", "weight_in", "keys_in", "title_keys", "title_w", "title_share", "sec_keys", "part_cov")

    def __init__(self, p: EntryProfile, doc: _DocScan) -> None:
        key_pass, in_titles, passages = doc.key_pass, doc.in_titles, doc.ctx.passages
        self.matched = matched = [t for t in p.terms if t.key in key_pass or t.key in in_titles]
        self.weight = weight = {t.key: t.weight for t in matched}
        weight_in: dict[int, float] = {}
        keys_in: dict[int, set[str]] = {}
        for t in matched:  # summed in the entry's term order
            for i in key_pass.get(t.key, ()):
                if i in keys_in:
                    weight_in[i] += t.weight
                    keys_in[i].add(t.key)
                else:
                    weight_in[i] = 0.0 + t.weight
                    keys_in[i] = {t.key}
        self.weight_in, self.keys_in = weight_in, keys_in
        # each document's title (part → the entry's keys there and their weight)
        self.title_keys = title_keys = {part: {t.key for t in matched if t.key in ks} for part, ks in doc.key_title.items()}
        self.title_w = {part: sum(t.weight for t in matched if t.key in ks) for part, ks in doc.key_title.items()}
        self.title_share: dict[int, float] = {}  # part → share named in its title alone (see _section_share)
        # coverage is read within the passage's own document: text pasted after it never changes it;
        # the subject may be set anywhere in the section (a short notice names it once, then details it)
        part_keys: dict[int, set[str]] = defaultdict(set)
        self.sec_keys = sec_keys = defaultdict(set)
        for i, ks in keys_in.items():
            ps = passages[i]
            part_keys[ps.part] |= ks
            sec_keys[ps.section] |= ks
        total = p.total_weight
        self.part_cov = {part: sum(weight[k] for k in sorted(ks | title_keys.get(part, _NO_KEYS))) / total
                         for part, ks in part_keys.items()}


def _candidates(t: _EntryTerms, doc: _DocScan) -> set[int]:
    """Passages scored for an entry: those naming its terms, the passages they scope, and the concrete
    passages of a section (or of a part whose preamble) naming it. Built in one fixed order: the set's
    iteration order decides between equally scored passages; ``iter`` keeps the one-by-one insertion
    (a set built from a plain dict is sized in advance, which would change that order)."""
    candidates = set(iter(t.weight_in))
    children = doc.children
    for i in t.weight_in:
        candidates.update(children.get(i, ()))
    concrete_in = doc.ctx.concrete_in
    for sec in t.sec_keys:
        candidates.update(concrete_in.get(sec, ()))
    return candidates


def _section_share(t: _EntryTerms, section: int, preamble: int, part: int, total: float) -> float:
    """The entry's weighted share named in a section, its part's preamble and its document's title."""
    sec_keys = t.sec_keys
    title_keys = t.title_keys.get(part, _NO_KEYS)
    if section not in sec_keys and preamble not in sec_keys:  # the title's share (most sections)
        share = t.title_share.get(part)
        if share is None:
            share = t.title_share[part] = sum(t.weight[k] for k in sorted(title_keys)) / total
        return share
    ks = sec_keys.get(section, _NO_KEYS) | sec_keys.get(preamble, _NO_KEYS) | title_keys
    return sum(t.weight[k] for k in sorted(ks)) / total
