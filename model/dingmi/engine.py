"""From a document to a classification suggestion with its basis.

read → clean view (offsets kept) → normalise → header → passages with their scope → scan & score
each entry on each passage (subject × disclosure × scoped qualifiers) → decide (highest matter,
派生, 不明确事项, authority) → explain (evidence = the disclosing passages; lowering re-checked).
"""

from __future__ import annotations

import bisect
import os
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from dingmi import __version__
from dingmi.catalog import Catalog, load_default
from dingmi.derive import SourceMarking, meta_score, secret_signals, source_markings, strongest
from dingmi.disclose import PassageSignals, disclosure, is_formal, passage_signals
from dingmi.explain import rationale, unclear_report
from dingmi.header import Header, parse_header
from dingmi.learned import DocFeatures, LearnedScorer, best_pair
from dingmi.levels import authority_ceiling, default_period, entry_period, is_secret, longest_period, marking, rank
from dingmi.matcher import SECTION_CONCRETE, DocContext, EntryMatch, Matcher
from dingmi.passages import Passage, split_passages
from dingmi.profiles import build_profiles, load_expert_profiles
from dingmi.qualifiers import doc_state
from dingmi.suggestion import EntryRef, Evidence, Lowering, Suggestion
from dingmi.text import normalize
from dingmi.textview import TextView, make_view

MATCH_THRESHOLD = 0.3    # an entry at or above this is a matter found (best macro-F1 on the training corpus)
LEARNED_FROM = 0.02      # the learned scorer runs only where some entry is at least this close
STRONG_OTHER = 0.6       # a higher-level matter beside the best one counts only from this score
CLOSE = 0.75             # …and from this share of the best one's score
REVIEW_BELOW = 2 / 3     # a suggestion wrong one time in three or more (calibrated) asks for review
RESTATES = 0.7           # a passage with this share of an entry's terms and no concrete content restates it
LOWERING_ROUNDS = 4      # how often lowering advice is re-checked and widened
# flags that put a person in charge whatever the confidence: a provisional, weak, withheld or self-declared basis
_REVIEW_FLAGS = frozenset({"unclear_matter", "higher_level_candidate", "classifier_disagrees", "weak_match",
                           "declared_not_secret"})


@dataclass
class Analysis:
    """Everything the engine reads off one document before deciding (offsets index ``view.text``)."""

    view: TextView
    norm: str
    header: Header
    passages: list[Passage]
    signals: list[PassageSignals]
    ctx: DocContext
    matches: list[EntryMatch]
    docs: dict[int, DocFeatures]  # each document of the text → its secret-like wording
    sources: dict[int, SourceMarking]  # each document of the text that forwards a marked source → the strongest
    unclear: dict[int, list[Passage]]  # each document of the text → its passages handled as secret
    spans: dict[int, tuple[int, int]]  # each document of the text → its span (the first starts at 0)

    @property
    def source(self) -> SourceMarking | None:
        """The strongest source any document of the text forwards (派生定密)."""
        return strongest(list(self.sources.values()))


@dataclass
class Decision:
    """The matters found and the level they give."""

    matches: list[EntryMatch]
    found: list[EntryMatch]
    level: str
    period: str
    flags: list[str]
    source_level: str = ""
    source_period: str = ""
    internal_by_model: bool = False  # 内部 from the document classifier: no 内部 entry matched
    unclear: list[Passage] = field(default_factory=list)  # passages of a 不明确事项, handled as secret
    set_aside: list[EntryMatch] = field(default_factory=list)  # weaker higher-level matters, for review


class Engine:
    """Loaded once; ``suggest`` is thread-safe and keeps no per-document state."""

    def __init__(self, catalog: Catalog, scorer: LearnedScorer | None = None, model_version: str = "",
                 expert: dict[str, dict[str, list]] | None = None, lexicon: bool = True) -> None:
        self.catalog = catalog
        self.scorer = scorer
        expert = load_expert_profiles() if expert is None else {k: dict(v) for k, v in expert.items()}
        for entry_id, terms in (scorer.learned_terms if scorer else {}).items():
            spec = expert.setdefault(entry_id, {})
            spec["terms"] = [*spec.get("terms", []), *terms]
        self.matcher = Matcher(build_profiles(catalog, lexicon=None if lexicon else {}, expert=expert))
        self.model_version = model_version or f"rules-{__version__}"

    # ------------------------------------------------------------------ public
    def suggest(self, text: str, *, authority: str | None = None, title: str = "", lowering: bool = True) -> Suggestion:
        """Suggest level, period, marking, basis, evidence and lowering for one document
        (``lowering=False``: no lowering advice, so no re-check — for callers that read the level only)."""
        ceiling = authority_ceiling(authority)
        a, decision = self._run(text, title)
        suggestion = self._explain(text, a, decision, ceiling, authority)
        if lowering:
            suggestion.lowering = self._lowering(text, title, decision, suggestion.evidence)
        return suggestion

    # ------------------------------------------------------------------ steps
    def _run(self, text: str, title: str) -> tuple[Analysis, Decision]:
        a = self.analyse(text, title)
        if self.scorer is not None and wants_learned(a.matches):
            self.scorer.rescore(a.matches, a.ctx)
        return a, self._decide(a)

    def analyse(self, text: str, title: str = "") -> Analysis:
        """Clean, normalise, read the header, split into passages, scan and score every entry."""
        view = make_view(text)
        norm = normalize(view.text)
        passages = split_passages(norm)
        # the header is the first document's own: text pasted after its 落款 has its own dates and titles
        spans = _part_spans(passages, len(norm))
        first_end = spans[0][1] if spans else len(norm)
        header = parse_header(view.text[:first_end], title)
        signals = [passage_signals(p.text) for p in passages]
        # a document pasted after the first is read as its own: its header (title, dates, marking) and its
        # state (form, declarations), so where it stands in the text never changes how it is read
        part_headers, part_states = {}, {}
        for part, (s, t) in spans.items():
            if part:
                part_headers[part] = parse_header(view.text[s:t])
                part_states[part] = doc_state(norm[s:t], part_headers[part])
        title_norm = normalize(header.title)
        titles = {0: title_norm, **{k: normalize(h.title) for k, h in part_headers.items()}}
        title_spans = {}  # each document's title in the text (the first one's title may be given apart)
        for part, name in titles.items():
            i = (norm.find(name, *spans[part]) if part else norm.find(name)) if name else -1
            if i >= 0:
                title_spans[part] = (i, i + len(name))
        signals = _answers(passages, signals, {k: bool(_SECRECY.search(name)) for k, name in titles.items()})
        # the title and the 版头/落款 elements name the document; they never disclose its content
        disclose = [0.05 if is_formal(p.text) or (titles.get(p.part) and p.text == titles[p.part]) else disclosure(s, p.heading)
                    for s, p in zip(signals, passages)]
        sections: dict[int, list[str]] = {}
        about: dict[int, list[bool]] = defaultdict(list)
        by_section: dict[int, list[int]] = defaultdict(list)
        for i, (p, sig) in enumerate(zip(passages, signals)):
            sections.setdefault(p.section, [titles[p.part]]).append(p.text)
            if not p.heading:
                about[p.section].append(sig.about)
                by_section[p.section].append(i)
        # the document's own state (its form, and what a section that says nothing falls back to) is read in
        # the first document: one pasted after its 落款 has a form and facts of its own
        state = doc_state(norm[:first_end], header)
        ctx = DocContext(
            norm, passages, signals, disclose, _scope_texts(passages, sections), header, state,
            {k: sum(v) / len(v) for k, v in about.items() if v}, by_section, part_headers, part_states, title_spans,
        )
        matches = self.matcher.match(ctx)
        # each document of the text: its secret-like wording (outside passages that speak about secrecy), and
        # the source it forwards — a marking in its body; its own marking (in its 版头) marks itself
        by_part: dict[int, list[int]] = defaultdict(list)
        for i, p in enumerate(passages):
            by_part[p.part].append(i)
        docs, unclear, sources = {}, {}, {}
        for part, (s, t) in spans.items():
            mine, said = [passages[i] for i in by_part[part]], [signals[i] for i in by_part[part]]
            signals_count, asked = secret_signals("\n".join(p.text for p, sig in zip(mine, said) if not sig.about))
            docs[part] = DocFeatures(meta_score(norm[s:t]), signals_count, asked)
            unclear[part] = _unclear_passages(mine, said, bool(asked))
            own = header.marking_span if part == 0 else part_headers[part].marking_span
            marks = [replace(m, start=m.start + s, end=m.end + s) for m in source_markings(norm[s:t], own)]
            source = strongest([m for m in marks if not _about_at(m.start, norm, passages, signals)])
            if source is not None:
                sources[part] = source
        return Analysis(view, norm, header, passages, signals, ctx, matches, docs, sources, unclear, spans)

    def _decide(self, a: Analysis) -> Decision:
        found, set_aside = _matters(a.matches, [p.part for p in a.passages], a.signals, self.scorer)
        flags: list[str] = []
        # 派生定密: a document that forwards a marked source takes the source's level and period, whatever its
        # content seems to warrant; the others are read by their content
        own = {part for part in a.spans if part not in a.sources}
        # a document's own determination: its state-secret matters go to the reviewer
        overruled = [m for m in found if is_secret(m.level) and a.passages[m.best].part in own
                     and a.ctx.state_of(a.passages[m.best].part).declared_not_secret]
        if overruled:
            set_aside = [*set_aside, *overruled]
            found = [m for m in found if all(m is not o for o in overruled)]
            flags.append("declared_not_secret")
        content = [m for m in found if a.passages[m.best].part in own]
        level = max((m.level for m in content), key=rank, default="非密")
        period = ""
        if content:
            at_level = [m for m in content if m.level == level]
            period = longest_period([entry_period(m.profile.entry.text, m.profile.entry.period) for m in at_level])
        domains = {m.profile.entry.domain for m in found}
        if len(domains) > 1 and len({m.level for m in found}) > 1:
            flags.append("conflict")
        decision = Decision(a.matches, found, level, period, flags)
        # a document of the text where no matter was found is read as a whole (不明确事项, the document
        # classifier) — each on its own, so where it stands in the text never changes its reading
        matched = {a.passages[m.best].part for m in found}
        for part in sorted(own):
            if not a.ctx.state_of(part).declared_not_secret:  # nothing overrules what a document states of itself
                self._read_whole(a, part, part in matched, decision)
        source = a.source
        if source is not None and rank(source.level) >= rank(decision.level):
            _derive(decision, source)
        decision.set_aside = [m for m in set_aside if rank(m.level) > rank(decision.level)]
        if decision.set_aside:  # a higher level is possible: the responsible person decides
            flags.append("higher_level_candidate")
        return decision

    def _read_whole(self, a: Analysis, part: int, matched: bool, decision: Decision) -> None:
        """One document of the text read as a whole: secret-like handling of concrete content no entry covers
        is a 不明确事项; where no matter was found, the document classifier may read a state secret
        (``weak_match``, ``classifier_disagrees``) or a work secret (内部)."""
        doc, unclear, state = a.docs[part], a.unclear[part], a.ctx.state_of(part)
        if (rank(decision.level) < rank("秘密") and unclear and doc.meta < 3 and not state.self_published
                and (doc.secret_words >= 2 or doc.asked_level)):
            decision.level = doc.asked_level or "秘密"  # 不明确事项: protect provisionally, report
            decision.period = ""
            decision.unclear = [*decision.unclear, *unclear]
            if "unclear_matter" not in decision.flags:
                decision.flags.append("unclear_matter")
            return
        if matched or self.scorer is None or self.scorer.nlp is None or state.self_published or decision.unclear:
            return
        s, t = a.spans[part]
        p_secret, p_internal = self.scorer.doc_probs(a.view.text[s:t])
        reads_secret = p_secret > 1.0 - p_secret - p_internal
        weak = _weak_match(a, part, self.scorer) if reads_secret else None
        if weak is not None and rank(weak.level) > rank(decision.level):
            # two models agree on a secret: the entry the scorer finds likeliest is the basis, for review
            decision.level, decision.found = weak.level, [*decision.found, weak]
            decision.period = entry_period(weak.profile.entry.text, weak.profile.entry.period)
            decision.flags.append("weak_match")
        elif decision.level == "非密" and p_internal > max(p_secret, 1.0 - p_secret - p_internal):  # INTERNAL
            decision.level = "内部"
            decision.internal_by_model = True
        elif decision.level == "非密" and reads_secret and "classifier_disagrees" not in decision.flags:
            decision.flags.append("classifier_disagrees")  # a state secret no entry matched: never a confident 非密

    def _explain(self, text: str, a: Analysis, d: Decision, ceiling: str | None, authority: str | None) -> Suggestion:
        flags = list(d.flags)
        level = d.level
        period = d.period if "derived" in flags else default_period(level, d.period)
        confidence = self._confidence(d)
        if confidence < REVIEW_BELOW or _REVIEW_FLAGS.intersection(flags):
            flags.append("needs_review")
        existing = a.header.existing()
        if existing:
            diff = rank(existing.level) - rank(level)
            flags.append("marking_consistent" if diff == 0 else "marking_over" if diff > 0 else "marking_under")
        if ceiling is not None and is_secret(level) and rank(level) > rank(ceiling) and "derived" not in flags:
            flags.append("exceeds_authority")
        entries = [
            EntryRef(m.entry_id, m.profile.entry.regulation, m.profile.entry.item, m.level, round(m.score, 4))
            for m in d.matches[:5]
            if m.score >= 0.1
        ]
        header = a.header.to_dict()
        if a.header.marking_span:
            header["marking_span"] = list(a.view.to_original(*a.header.marking_span))
        suggestion = Suggestion(
            level=level,
            period=period,
            marking=marking(level, period),
            entries=entries,
            evidence=_evidence(text, a, d, self.scorer),
            rationale="",
            confidence=round(confidence, 3),
            flags=flags,
            header=header,
            model_version=self.model_version,
            catalog_version=self.catalog.version,
        )
        if "unclear_matter" in flags:
            suggestion.report = unclear_report(level, a.header, authority)
        suggestion.rationale = rationale(suggestion, d, ceiling)
        return suggestion

    def _lowering(self, text: str, title: str, d: Decision, evidence: list[Evidence]) -> list[Lowering]:
        """What to remove to go one level lower — re-checked: the engine is run again on the text
        without those passages (widened while the level stays), and ``level_after`` is its answer."""
        level = d.level
        if rank(level) < rank("秘密") or "derived" in d.flags:
            return []
        spans = {(e.start, e.end): e for e in _at_level(evidence, d, level)}
        level_after = level
        for round_no in range(LOWERING_ROUNDS):
            if not spans:
                break
            cut, back = _delete(text, sorted(spans))
            a2, d2 = self._run(cut, title)
            level_after = d2.level  # always the answer for the spans as they now stand
            if rank(level_after) < rank(level) or round_no == LOWERING_ROUNDS - 1:
                break
            added = False
            # widened with every passage the rules hold for a 密点 (not only those listed): a level that did not
            # drop needs more removed, and fewer re-checks
            for e in _at_level(_evidence(cut, a2, d2, None), d2, level):
                # a passage of the shortened text may straddle a removed one: keep only what is left
                for s, t in _minus((back(e.start), back(e.end - 1) + 1), sorted(spans)):
                    spans[(s, t)] = Evidence(s, t, text[s:t], e.entry_id)
                    added = True
            if not added:
                break
        if not spans:
            return []
        remove = sorted(spans.values(), key=lambda e: e.start)
        if rank(level_after) >= rank(level):
            advice = f"删除上述{len(remove)}处{level}级密点后，经复核文件仍为{level_after}，需逐段脱密处理。"
        else:
            advice = (
                f"删除或概括上述{len(remove)}处{level}级密点（例如只写工作安排、不写具体内容或数值）后，经复核"
                + (f"文件可按{level_after}处理。" if level_after != "非密" else "文件可不再作为国家秘密（请复核是否属内部事项）。")
            )
        return [Lowering(level_after, remove, advice)]

    def _confidence(self, d: Decision) -> float:
        raw = raw_confidence(d)
        return self.scorer.calibrate(raw) if self.scorer else raw


def wants_learned(matches: list[EntryMatch]) -> bool:
    """The learned layer runs only where some entry is already close (cheap screen first)."""
    return bool(matches) and matches[0].rule_score >= LEARNED_FROM


def _weak_match(a: Analysis, part: int, scorer: LearnedScorer) -> EntryMatch | None:
    """In a document the classifier reads as a state secret, the state-secret entry the scorer finds most
    likely in that document, where it has at least half the P the scorer needs to add an entry
    on its own: two models agreeing on a secret are stronger evidence than either alone. Never on a
    passage that speaks about secrecy."""
    own = [m for m in a.matches if m.prob is not None and is_secret(m.level) and a.passages[m.best].part == part
           and not a.signals[m.best].about]
    best = max(own, key=lambda m: (m.prob, m.score), default=None)
    return best if best is not None and best.prob >= 0.5 * scorer.add_from else None


def _matters(matches: list[EntryMatch], parts: list[int], signals: list[PassageSignals],
             scorer: LearnedScorer | None = None) -> tuple[list[EntryMatch], list[EntryMatch]]:
    """The matters found. An entry counts when its best passage reaches the rule threshold; with a
    learned scorer, a rule finding it is confident is wrong (P under its veto level, chosen on held-out
    predictions) is dropped when the scorer was trained on examples of that entry
    (an organisation's new entries are never vetoed), and an entry it is confident about is added unless
    its passage speaks about secrecy or restates the entry itself (most of its terms and no concrete
    content: the text of a catalog or regulation, not a matter).
    A passage instantiates one matter, so where several entries claim the same best passage only the
    best-supported one counts (最小化、精准化): a higher-level second matter needs its own passage, and
    counts when strong; weaker ones are returned apart (set aside) so a reviewer sees them, and so is a
    higher-level entry that lost its passage to a better-supported one (a rival: one passage may disclose two
    matters, 储量 and 分储地点, and the reviewer decides)."""
    def found(m: EntryMatch) -> bool:
        if scorer is not None and m.prob is not None:
            sig = signals[m.best]
            restates = best_pair(m).in_passage >= RESTATES and sig.concrete < SECTION_CONCRETE
            if m.prob >= scorer.add_from and not sig.about and not restates:
                return True
            if m.vetoable and m.prob < scorer.veto_below:
                return False
        return m.rule_score >= MATCH_THRESHOLD

    by_passage: dict[int, EntryMatch] = {}
    rivals: list[EntryMatch] = []  # higher-level entries that lost their passage to a better-supported one
    for m in sorted((m for m in matches if found(m)), key=lambda m: (-m.score, m.entry_id)):
        winner = by_passage.setdefault(m.best, m)
        if winner is not m and rank(m.level) > rank(winner.level):
            rivals.append(m)
    out = sorted(by_passage.values(), key=lambda m: (-m.score, m.entry_id))
    # within one document, a weak higher-level matter beside the best-supported one does not raise the level
    best: dict[int, EntryMatch] = {}
    for m in out:
        best.setdefault(parts[m.best], m)
    kept: list[EntryMatch] = []
    set_aside: list[EntryMatch] = []
    for m in out:
        top = best[parts[m.best]]
        counts = rank(m.level) <= rank(top.level) or m.score >= max(STRONG_OTHER, CLOSE * top.score)
        (kept if counts else set_aside).append(m)
    return kept, set_aside + rivals


def _evidence(text: str, a: Analysis, d: Decision, scorer: LearnedScorer | None) -> list[Evidence]:
    """The 密点 in original offsets: the disclosing passages of each matter found (chosen by the
    scorer's evidence model where it has one, only when asked: a lowering re-check whose level drops
    needs none); for a 不明确事项 the concrete passages handled as secret; for a derived document without
    a matching entry the concrete passages after the source marking."""
    if scorer is not None:
        scorer.select_evidence(d.found, a.ctx)
    items: list[tuple[Passage, str]] = [(p, m.entry_id) for m in d.found for p in m.evidence]
    if "unclear_matter" in d.flags:
        items = [(p, "") for p in d.unclear]
    elif "derived" in d.flags and not items and a.source:
        items = [(p, "") for p, sig in zip(a.passages, a.signals)
                 if p.start > a.source.end and not p.heading and sig.concrete >= 0.5 and not sig.about][:5]
    out: dict[tuple[int, int], Evidence] = {}
    for p, entry_id in sorted(items, key=lambda x: x[0].start):
        s, t = a.view.to_original(p.start, p.end)
        out.setdefault((s, t), Evidence(s, t, text[s:t], entry_id))
    return list(out.values())


def _derive(d: Decision, source: SourceMarking) -> None:
    """The decision of a text whose highest level is a forwarded source's (派生定密): its level and period,
    with what the other documents' readings flagged set aside (they are no higher)."""
    d.level, d.period = source.level, source.period
    d.source_level, d.source_period = source.level, source.period
    d.flags[:] = [f for f in d.flags if f not in ("unclear_matter", "weak_match", "classifier_disagrees")] + ["derived"]
    d.unclear, d.internal_by_model = [], False


def _at_level(evidence: list[Evidence], d: Decision, level: str) -> list[Evidence]:
    """The evidence of the matters at ``level`` (unclear or derived evidence takes the document's)."""
    levels = {m.entry_id: m.level for m in d.found}
    return [e for e in evidence if levels.get(e.entry_id, d.level) == level]


def _delete(text: str, spans: list[tuple[int, int]]) -> tuple[str, Callable[[int], int]]:
    """The text without the spans, and a map from offsets in the result back to the original."""
    pieces, starts, kept = [], [], 0
    pos = 0
    for s, t in spans:
        s = max(s, pos)
        if s > pos:
            pieces.append(text[pos:s])
            starts.append((kept, pos))
            kept += s - pos
        pos = max(pos, t)
    pieces.append(text[pos:])
    starts.append((kept, pos))

    def back(i: int) -> int:
        j = bisect.bisect_right([k for k, _ in starts], i) - 1
        k, o = starts[max(j, 0)]
        return o + (i - k)

    return "".join(pieces), back


def _part_spans(passages: list[Passage], end: int) -> dict[int, tuple[int, int]]:
    """Each document of the text → its span (the first starts at 0, each ends where the next begins)."""
    starts: dict[int, int] = {}
    for p in passages:
        starts.setdefault(p.part, 0 if not starts else p.start)
    bounds = sorted(starts.items())
    return {k: (s, bounds[j + 1][1] if j + 1 < len(bounds) else end) for j, (k, s) in enumerate(bounds)}


def _scope_texts(passages: list[Passage], sections: dict[int, list[str]]) -> dict[int, str]:
    """The text qualifiers are read in for each section: the title, the part's preamble (where a notice
    states the status of what it is about: “成绩已于11月25日发布”) and the section itself."""
    preamble = {p.section: p.preamble for p in passages}
    return {k: "\n".join(v if preamble.get(k, k) == k else [*sections.get(preamble[k], []), *v[1:]])
            for k, v in sections.items()}


def _minus(span: tuple[int, int], removed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``span`` outside the (sorted, disjoint) ``removed`` spans."""
    out, (s, t) = [], span
    for a, b in removed:
        if b <= s or a >= t:
            continue
        if a > s:
            out.append((s, a))
        s = max(s, b)
    if s < t:
        out.append((s, t))
    return out


_EXAMPLE_BEFORE = re.compile(r"(?:[“\"‘]|如|例如|比如|诸如|写成|写为|标为|标注为|标成|误标|标注|标明)\s*$")


def _about_at(pos: int, norm: str, passages: list[Passage], signals: list[PassageSignals]) -> bool:
    """Whether a marking at ``pos`` is quoted or given as an example, or sits in a passage that speaks
    about secrecy, rather than marking a source this document forwards."""
    if _EXAMPLE_BEFORE.search(norm[max(0, pos - 6) : pos]):
        return True
    for p, sig in zip(passages, signals):
        if p.start <= pos < p.end:
            return sig.about
    return False


_SECRECY = re.compile(r"保密|秘密|涉密|定密|密级|解密|泄密")
_QUESTION = re.compile(r"^\s*(?:问|[一二三四五六七八九十\d]+\s*问|问\s*\d+)\s*[：:]")
_ANSWER = re.compile(r"^\s*答\s*[：:]")


def _answers(passages: list[Passage], signals: list[PassageSignals], on_secrecy: dict[int, bool]) -> list[PassageSignals]:
    """An answer (答：… up to the next question or heading) to a question about secrecy work — one that
    names it (问：哪些测绘成果属于国家秘密？), or any question of a Q&A whose title does (保密知识问答) —
    explains rules: it speaks about secrecy too, whatever figures it cites. An interview record's
    answers (问：你几点到达仓库？) state facts."""
    out, asked, answering = list(signals), False, False
    for i, (p, sig) in enumerate(zip(passages, signals)):
        if p.heading or _QUESTION.match(p.text):
            asked = not p.heading and sig.about and (on_secrecy.get(p.part, False) or bool(_SECRECY.search(p.text)))
            answering = False
            continue
        if _ANSWER.match(p.text):
            answering = asked
        if answering and not sig.about:
            out[i] = replace(sig, report=True)
    return out


def _unclear_passages(passages: list[Passage], signals: list[PassageSignals], asked: bool = False) -> list[Passage]:
    """Passages handled as secret: in a section whose wording protects its content (尚未公布、严格控制
    知悉范围、按机密级管理…), the passages that state something concrete, or else those with some
    concrete content (“…预案如下：储备库位于城北两处…”). Handling wording with nothing concrete to
    protect (a rule quoted, a question answered) is no 不明确事项 — unless the text asks a level for
    itself (“本事项列为机密级”): then what it handles so is the matter, concrete or not."""
    handled = {p.section for p, sig in zip(passages, signals) if sig.handling and not sig.about}
    body = [(p, sig) for p, sig in zip(passages, signals)
            if p.section in handled and not p.heading and not sig.about and not sig.mention and not sig.requirement]
    concrete = [p for p, sig in body if sig.concrete >= 0.5]
    return concrete or [p for p, sig in body if sig.concrete >= 0.2 or (asked and not sig.handling)][:3]


def raw_confidence(d: Decision) -> float:
    """Uncalibrated confidence from the deciding score and its margin (a bundle calibrates it)."""
    if "unclear_matter" in d.flags or "weak_match" in d.flags:  # provisional: a person decides
        return 0.3
    if d.internal_by_model:
        return 0.5
    if "derived" in d.flags:
        return 0.9
    top = d.matches[0].score if d.matches else 0.0
    if not d.found:
        return max(0.5, min(0.97, 1.0 - top * 1.6))
    second = d.matches[1].score if len(d.matches) > 1 else 0.0
    return max(0.35, min(0.97, 0.45 + 0.6 * (top - MATCH_THRESHOLD) + 0.5 * (top - second)))


def load_engine(catalog_paths: Sequence[str | os.PathLike[str]] = (), bundle: str | os.PathLike[str] | None = None,
                expert_edits: bool = True) -> Engine:
    """The shipped catalog plus organisation catalogs; with a bundle, its learned scorer too.
    ``expert_edits=False`` leaves out the optional expert edits (what any new catalog gets)."""
    catalog = load_default(catalog_paths)
    if bundle is None:
        return Engine(catalog, expert=None if expert_edits else {}, lexicon=expert_edits)
    from dingmi.bundle import load_bundle

    scorer, meta = load_bundle(bundle)
    return Engine(catalog, scorer, f"{meta.get('name', 'bundle')}@{meta['files']['pair_model.joblib'][:12]}",
                  expert=None if expert_edits else {}, lexicon=expert_edits)
