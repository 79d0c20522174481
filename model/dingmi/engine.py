"""From a document to a classification suggestion with its basis.

read → normalise (offsets kept) → header → sentences → scan & score entries → qualifiers →
decide (highest matter, 派生, 不明确事项, authority) → explain.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dingmi import __version__
from dingmi.catalog import Catalog, load_default
from dingmi.derive import meta_score, secret_signals, source_markings, strongest
from dingmi.explain import lowering_advice, rationale, unclear_report
from dingmi.header import Header, parse_header
from dingmi.levels import authority_ceiling, default_period, is_secret, marking, rank
from dingmi.matcher import EntryMatch, Matcher
from dingmi.profiles import build_profiles
from dingmi.qualifiers import doc_state
from dingmi.suggestion import EntryRef, Evidence, Suggestion
from dingmi.text import normalize, split_sentences

MATCH_THRESHOLD = 0.42   # an entry at or above this is a matter found in the document
STRONG_OTHER = 0.6       # a higher-level entry beside the best one counts only from this score
REVIEW_BELOW = 0.6       # confidence below this asks for review
MAX_CHARS = 2_000_000    # longer documents are scored on their first MAX_CHARS characters


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

    def __init__(self, catalog: Catalog, model_version: str = "") -> None:
        self.catalog = catalog
        self.matcher = Matcher(build_profiles(catalog))
        self.model_version = model_version or f"rules-{__version__}"

    # ------------------------------------------------------------------ public
    def suggest(self, text: str, *, authority: str | None = None, title: str = "") -> Suggestion:
        """Suggest level, period, marking, basis and evidence for one document."""
        ceiling = authority_ceiling(authority)
        body = text[:MAX_CHARS]
        norm = normalize(body)
        header = parse_header(body, title)
        sentences = split_sentences(norm)
        decision = self._decide(norm, header, sentences)
        return self._explain(body, header, decision, ceiling)

    def suggest_batch(self, texts: Iterable[str], *, authority: str | None = None) -> Iterable[Suggestion]:
        """Suggest for many documents with one loaded engine."""
        for t in texts:
            yield self.suggest(t, authority=authority)

    # ------------------------------------------------------------------ steps
    def _decide(self, norm: str, header: Header, sentences: list) -> Decision:
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
                m.score *= 0.6
            matches.sort(key=lambda m: (-m.score, m.entry_id))
        found = _matters(matches)
        flags: list[str] = []
        level = max((m.level for m in found), key=rank, default="非密")
        period = ""
        if found:
            at_level = [m for m in found if m.level == level]
            period = next((m.profile.entry.period for m in at_level if m.profile.entry.period), "")
            domains = {m.profile.entry.domain for m in found}
            if len(domains) > 1 and len({m.level for m in found}) > 1:
                flags.append("conflict")
        source = strongest(source_markings(norm, header.marking_span))
        decision = Decision(matches, found, level, period, flags)
        if source:  # 派生定密: the source's level and period, whatever the content seems to warrant
            decision.level, decision.period = source.level, source.period
            decision.source_level, decision.source_period = source.level, source.period
            flags.append("derived")
        if not found and not source:
            signals, asked = secret_signals(norm)
            if (signals >= 2 or asked) and meta < 3:
                decision.level = asked or "秘密"
                flags.append("unclear_matter")
        return decision

    def _explain(self, text: str, header: Header, d: Decision, ceiling: str | None) -> Suggestion:
        flags = list(d.flags)
        level = d.level
        period = d.period if "derived" in flags else default_period(level, d.period)
        top = d.matches[0].score if d.matches else 0.0
        second = d.matches[1].score if len(d.matches) > 1 else 0.0
        confidence = _confidence(d, top, second)
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
            suggestion.report = unclear_report(level, header, ceiling)
        suggestion.rationale = rationale(suggestion, d, ceiling)
        return suggestion


def _matters(matches: list[EntryMatch]) -> list[EntryMatch]:
    """The matters found: the best entry, plus others that are strong in their own right.

    An entry of a higher level than the best one must be nearly as well supported, so a
    weak higher-level candidate does not raise the level (最小化、精准化).
    """
    if not matches or matches[0].score < MATCH_THRESHOLD:
        return []
    best = matches[0]
    out = [best]
    for m in matches[1:]:
        if m.score < MATCH_THRESHOLD:
            break
        if rank(m.level) > rank(best.level) and m.score < max(STRONG_OTHER, 0.75 * best.score):
            continue
        out.append(m)
    return out


def _confidence(d: Decision, top: float, second: float) -> float:
    """Map score and margin to a probability-like number (calibrated in training; see README)."""
    if "unclear_matter" in d.flags:
        return 0.3
    if "derived" in d.flags:
        return 0.9
    if not d.found:
        return max(0.5, min(0.97, 1.0 - top * 1.6))
    margin = top - second
    return max(0.35, min(0.97, 0.45 + 0.6 * (top - MATCH_THRESHOLD) + 0.5 * margin))


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    seen: set[tuple[int, int]] = set()
    out = []
    for e in sorted(evidence, key=lambda e: (e.start, e.entry_id)):
        if (e.start, e.end) not in seen:
            seen.add((e.start, e.end))
            out.append(e)
    return out


def load_engine(catalog_paths: Sequence[str | os.PathLike[str]] = ()) -> Engine:
    """The shipped catalog plus organisation catalogs, ready to suggest."""
    return Engine(load_default(catalog_paths))
