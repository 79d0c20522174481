"""From a document to a classification suggestion with its basis.

read → normalise (offsets kept) → header → sentences → scan & score entries → qualifiers →
decide (highest matter, 派生, 不明确事项, authority) → explain.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from dingmi import __version__
from dingmi.catalog import Catalog, load_default
from dingmi.derive import SourceMarking, meta_score, secret_signals, source_markings, strongest
from dingmi.explain import lowering_advice, rationale, unclear_report
from dingmi.header import Header, parse_header
from dingmi.learned import DocFeatures, LearnedScorer
from dingmi.levels import authority_ceiling, default_period, is_secret, marking, rank
from dingmi.matcher import EntryMatch, Matcher
from dingmi.profiles import build_profiles, load_expert_profiles
from dingmi.qualifiers import DocState, doc_state
from dingmi.suggestion import EntryRef, Evidence, Suggestion
from dingmi.text import Sentence, normalize, split_sentences

MATCH_THRESHOLD = 0.42   # an entry at or above this is a matter found in the document
STRONG_OTHER = 0.6       # a higher-level entry beside the best one counts only from this score
LEARNED_FROM = 0.1       # the learned scorer runs only where some entry is at least this close
VETO_BELOW = 0.05        # a rule finding the learned scorer gives less than this is dropped
REVIEW_BELOW = 0.6       # confidence below this asks for review
MAX_CHARS = 2_000_000    # longer documents are scored on their first MAX_CHARS characters


@dataclass
class Analysis:
    """Everything the engine reads off one document before deciding."""

    norm: str
    header: Header
    sentences: list[Sentence]
    state: DocState
    matches: list[EntryMatch]
    doc: DocFeatures
    source: SourceMarking | None


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


class Engine:
    """Loaded once; ``suggest`` is thread-safe and keeps no per-document state."""

    def __init__(self, catalog: Catalog, scorer: LearnedScorer | None = None, model_version: str = "",
                 expert: dict[str, dict[str, list]] | None = None) -> None:
        self.catalog = catalog
        self.scorer = scorer
        expert = load_expert_profiles() if expert is None else {k: dict(v) for k, v in expert.items()}
        for entry_id, terms in (scorer.learned_terms if scorer else {}).items():
            spec = expert.setdefault(entry_id, {})
            spec["terms"] = [*spec.get("terms", []), *terms]
        self.matcher = Matcher(build_profiles(catalog, expert=expert))
        self.model_version = model_version or f"rules-{__version__}"

    # ------------------------------------------------------------------ public
    def suggest(self, text: str, *, authority: str | None = None, title: str = "") -> Suggestion:
        """Suggest level, period, marking, basis and evidence for one document."""
        ceiling = authority_ceiling(authority)
        body = text[:MAX_CHARS]
        a = self.analyse(body, title)
        if self.scorer is not None and wants_learned(a.matches):
            self.scorer.rescore(a.matches, a.norm, a.state, a.doc)
        decision = self._decide(a)
        return self._explain(body, a.header, decision, ceiling, authority)

    # ------------------------------------------------------------------ steps
    def analyse(self, body: str, title: str = "") -> Analysis:
        """Normalise, read the header, split, scan and score every entry by the rules."""
        norm = normalize(body)
        header = parse_header(body, title)
        sentences = split_sentences(norm)
        state = doc_state(norm, header)
        title_span = None
        if header.title:
            i = norm.find(normalize(header.title))
            if i >= 0:
                title_span = (i, i + len(header.title))
        matches = self.matcher.match(norm, sentences, state, title_span)
        meta = meta_score(norm)
        if meta >= 3:  # a document about secrecy work: damp weak matches
            for m in matches:
                m.score *= 0.45
                m.rule_score = m.score
            matches.sort(key=lambda m: (-m.score, m.entry_id))
        signals, asked = secret_signals(norm)
        source = strongest(source_markings(norm, header.marking_span))
        doc = DocFeatures(meta, signals, asked, source is not None, len(norm))
        if self.scorer is not None and wants_learned(matches):
            doc.p_secret, doc.p_internal = self.scorer.doc_probs(body)
        return Analysis(norm, header, sentences, state, matches, doc, source)

    def _decide(self, a: Analysis) -> Decision:
        found = _matters(a.matches, self.scorer.threshold if self.scorer else None)
        flags: list[str] = []
        level = max((m.level for m in found), key=rank, default="非密")
        period = ""
        if found:
            at_level = [m for m in found if m.level == level]
            period = next((m.profile.entry.period for m in at_level if m.profile.entry.period), "")
            domains = {m.profile.entry.domain for m in found}
            if len(domains) > 1 and len({m.level for m in found}) > 1:
                flags.append("conflict")
        decision = Decision(a.matches, found, level, period, flags)
        if a.source:  # 派生定密: the source's level and period, whatever the content seems to warrant
            decision.level, decision.period = a.source.level, a.source.period
            decision.source_level, decision.source_period = a.source.level, a.source.period
            flags.append("derived")
        if not found and not a.source:
            secret_like = a.doc.secret_words >= 2 or bool(a.doc.asked_level)
            if secret_like and a.doc.meta < 3:
                decision.level = a.doc.asked_level or "秘密"
                flags.append("unclear_matter")
        return decision

    def _explain(self, text: str, header: Header, d: Decision, ceiling: str | None, authority: str | None) -> Suggestion:
        flags = list(d.flags)
        level = d.level
        period = d.period if "derived" in flags else default_period(level, d.period)
        confidence = self._confidence(d)
        if confidence < REVIEW_BELOW or "unclear_matter" in flags:
            flags.append("needs_review")
        existing = header.existing()
        if existing:
            diff = rank(existing.level) - rank(level)
            flags.append("marking_consistent" if diff == 0 else "marking_over" if diff > 0 else "marking_under")
        if ceiling is not None and is_secret(level) and rank(level) > rank(ceiling) and "derived" not in flags:
            flags.append("exceeds_authority")
        evidence = [
            Evidence(s.start, s.end, text[s.start : s.end], m.entry_id)
            for m in (d.found or d.matches[:1] if level != "非密" else d.found)
            for s in m.evidence
        ]
        evidence = _dedupe(evidence)
        entries = [
            EntryRef(m.entry_id, m.profile.entry.regulation, m.profile.entry.item, m.level, round(m.score, 4))
            for m in d.matches[:5]
            if m.score >= 0.1
        ]
        suggestion = Suggestion(
            level=level,
            period=period,
            marking=marking(level, period),
            entries=entries,
            evidence=evidence,
            rationale="",
            confidence=round(confidence, 3),
            flags=flags,
            header=header.to_dict(),
            model_version=self.model_version,
            catalog_version=self.catalog.version,
        )
        suggestion.lowering = lowering_advice(d.found, level, text)
        if "unclear_matter" in flags:
            suggestion.report = unclear_report(level, header, authority)
        suggestion.rationale = rationale(suggestion, d, ceiling)
        return suggestion

    def _confidence(self, d: Decision) -> float:
        raw = raw_confidence(d)
        return self.scorer.calibrate(raw) if self.scorer else raw


def wants_learned(matches: list[EntryMatch]) -> bool:
    """The learned layer runs only where some entry is already close (cheap screen first)."""
    return bool(matches) and matches[0].rule_score >= LEARNED_FROM


def _matters(matches: list[EntryMatch], learned_threshold: float | None = None) -> list[EntryMatch]:
    """The matters found: the rules' best entry plus others strong in their own right, and any entry
    the learned scorer is confident about. The scorer may add what the rules missed (P ≥ threshold)
    and may veto a rule finding only when it is nearly certain it is wrong (P < VETO_BELOW) and was
    trained on examples of that entry: an organisation's new entries are never vetoed.

    An entry of a higher level than the best one must be nearly as well supported, so a
    weak higher-level candidate does not raise the level (最小化、精准化).
    """
    by_rule = sorted((m for m in matches if m.rule_score >= MATCH_THRESHOLD and not _vetoed(m)),
                     key=lambda m: -m.rule_score)
    out: list[EntryMatch] = []
    if by_rule:
        best = by_rule[0]
        out.append(best)
        for m in by_rule[1:]:
            if rank(m.level) > rank(best.level) and m.rule_score < max(STRONG_OTHER, 0.75 * best.rule_score):
                continue
            out.append(m)
    if learned_threshold is not None:
        out += [m for m in matches if m.prob is not None and m.prob >= learned_threshold and m not in out]
    out.sort(key=lambda m: (-m.score, m.entry_id))
    return out


def _vetoed(m: EntryMatch) -> bool:
    return m.vetoable and m.prob is not None and m.prob < VETO_BELOW


def raw_confidence(d: Decision) -> float:
    """Uncalibrated confidence from the deciding score and its margin (a bundle calibrates it)."""
    if "unclear_matter" in d.flags:
        return 0.3
    if "derived" in d.flags:
        return 0.9
    top = d.matches[0].score if d.matches else 0.0
    if not d.found:
        return max(0.5, min(0.97, 1.0 - top * 1.6))
    second = d.matches[1].score if len(d.matches) > 1 else 0.0
    return max(0.35, min(0.97, 0.45 + 0.6 * (top - MATCH_THRESHOLD) + 0.5 * (top - second)))


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    seen: set[tuple[int, int]] = set()
    out = []
    for e in sorted(evidence, key=lambda e: (e.start, e.entry_id)):
        if (e.start, e.end) not in seen:
            seen.add((e.start, e.end))
            out.append(e)
    return out


def load_engine(catalog_paths: Sequence[str | os.PathLike[str]] = (), bundle: str | os.PathLike[str] | None = None) -> Engine:
    """The shipped catalog plus organisation catalogs; with a bundle, its learned scorer too."""
    catalog = load_default(catalog_paths)
    if bundle is None:
        return Engine(catalog)
    from dingmi.bundle import load_bundle

    scorer, meta = load_bundle(bundle)
    return Engine(catalog, scorer, f"{meta.get('name', 'bundle')}@{meta['files']['pair_model.joblib'][:12]}")
