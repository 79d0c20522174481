"""Engine throughput beside plain jieba and a pyahocorasick scan, measured in one run.

Prints a table of chars/s (single core, median of repeats), the ratios, and the wall time and peak
memory of ``dingmi suggest`` on one 3,000-character file including start-up.

    python bench/bench_engine.py [--mb 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import ahocorasick
import jieba

from dingmi.bundle import default_bundle_dir, ensure_default_bundle
from dingmi import qualifiers
from dingmi.disclose import passage_signals
import dingmi.engine as engine_mod
from dingmi.engine import Engine, load_engine
from dingmi.learned import LearnedScorer
from dingmi.matcher import Matcher

ROOT = Path(__file__).resolve().parents[1]
MEASURE = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "sys.exit(f'dingmi failed: {status}') if status else print(usage.ru_maxrss)\n"
)


SECRET_LEVELS = ("绝密", "机密", "秘密")


def corpus_texts(kind: str = "all") -> list[str]:
    """Official-style documents of the project's training corpus (synthetic): ``ordinary`` (public and
    internal), ``secret`` (state secrets: every one a candidate) or ``all``."""
    texts = []
    for f in sorted((ROOT / "corpus" / "labeled").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                secret = row.get("expected_level") in SECRET_LEVELS
                if kind == "all" or secret == (kind == "secret"):
                    texts.append(row["text"])
    return texts


def make_documents(mb: float, seed: int = 7, kind: str = "all") -> list[str]:
    """About ``mb`` million characters of distinct documents: the corpus in a shuffled order, and past its
    size further copies with every digit redrawn (dates, figures, item numbers), so that no passage
    repeats verbatim and no cache of the engine makes the benchmark easier than an archive."""
    rng = random.Random(seed)
    base = corpus_texts(kind)
    docs, size = [], 0
    while size < mb * 1_000_000:
        order = rng.sample(base, len(base))
        for d in order:
            if docs and len(docs) >= len(base):
                d = re.sub(r"\d", lambda _: str(rng.randrange(10)), d)
            docs.append(d)
            size += len(d)
            if size >= mb * 1_000_000:
                break
    return docs


def clear_text_caches() -> None:
    """Empty the engine's caches keyed by passage or section text (a repeat starts cold)."""
    for cached in (passage_signals, qualifiers._tiers, qualifiers._exam_timing_at, qualifiers._event_timing_at,
                   qualifiers._publication_clauses, qualifiers._title_reads):
        cached.cache_clear()


def fresh(fn: Callable[[list[str]], object]) -> Callable[[list[str]], object]:
    """``fn`` with the engine's per-text caches emptied first (each repeat starts cold)."""
    def run(docs: list[str]) -> object:
        clear_text_caches()
        return fn(docs)
    return run


class StageClock:
    """Exclusive wall time per stage: a stage's time excludes the stages it calls."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.within: dict[str, float] = defaultdict(float)
        self._stack: list[float] = []

    def wrap(self, label: str, fn: Callable) -> Callable:
        def timed(*args: object, **kwargs: object) -> object:
            t = time.perf_counter()
            self._stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - t
                inner = self._stack.pop()
                self.spent[label] += elapsed - inner
                self.within[label] += elapsed
                if self._stack:
                    self._stack[-1] += elapsed
        return timed


def print_profile(engine_: Engine, docs: list[str]) -> None:
    """Where the time of ``suggest`` goes, stage by stage (exclusive shares of the total)."""
    clock = StageClock()
    targets = [
        (engine_mod, "make_view", "clean view (Cf, page lines, PDF wraps)"), (engine_mod, "normalize", "normalise"),
        (engine_mod, "parse_header", "header (GB/T 9704)"), (engine_mod, "split_passages", "passages (segmentation)"),
        (engine_mod, "passage_signals", "passage signals (disclosure)"), (Matcher, "scan", "screen (Aho-Corasick)"),
        (Matcher, "match", "entry scoring (per passage)"), (LearnedScorer, "rescore", "learned entry scorer"),
        (LearnedScorer, "doc_probs", "document classifier (spaCy)"), (Engine, "_decide", "decision"),
        (Engine, "_explain", "explanation"), (Engine, "_lowering", "lowering (glue; its re-run is in the rows above)"),
        (Engine, "suggest", "other"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in targets]
    for (owner, name, label), (_, _, fn) in zip(targets, saved):
        setattr(owner, name, clock.wrap(label, fn))
    try:
        clear_text_caches()
        for d in docs:
            engine_.suggest(d)
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)
    total = clock.within["other"]
    print(f"\nwhere the time goes (rules + bundle, {len(docs)} documents, {total:.1f} s; exclusive shares):\n")
    print(f"| {'stage':<50} | {'share':>6} |")
    print(f"|{'-' * 52}|{'-' * 8}|")
    for label, spent in sorted(clock.spent.items(), key=lambda kv: -kv[1]):
        print(f"| {label:<50} | {spent / total:>6.1%} |")
    print(f"| {'of all: the lowering re-check (inclusive)':<50} | {clock.within[targets[-2][2]] / total:>6.1%} |")


def median_rate(fn, docs: list[str], repeats: int) -> float:
    chars = sum(map(len, docs))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(docs)
        times.append(time.perf_counter() - t)
    return chars / statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=1.0, help="million characters per text set")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    engine = load_engine()
    bundle = default_bundle_dir()
    learned = load_engine(bundle=bundle) if ensure_default_bundle(bundle) else None
    tk = jieba.Tokenizer()
    tk.initialize()
    auto = ahocorasick.Automaton()
    for p in engine.matcher.profiles:
        for t in p.terms:
            for f in t.forms:
                auto.add_word(f, f)
    auto.make_automaton()

    runs = {
        "jieba.lcut (plain)": lambda ds: [tk.lcut(d) for d in ds],
        "pyahocorasick scan": lambda ds: [list(auto.iter(d)) for d in ds],
        "dingmi rules (suggest)": fresh(lambda ds: [engine.suggest(d) for d in ds]),
    }
    if learned is not None:
        runs["dingmi rules + bundle"] = fresh(lambda ds: [learned.suggest(d) for d in ds])
    sets = {"ordinary": make_documents(args.mb, kind="ordinary"), "secret-dense": make_documents(args.mb, kind="secret")}
    print(f"single process, one core, median of {args.repeats}; ordinary = public and internal documents of the "
          f"training corpus, secret-dense = its state-secret documents (every one a candidate)")
    for name, docs in sets.items():
        print(f"- {name}: {len(docs)} documents, {sum(map(len, docs)):,} characters")
    rates = {k: {name: median_rate(fn, docs, args.repeats) for name, docs in sets.items()} for k, fn in runs.items()}
    print(f"\n| {'what':<24} | " + " | ".join(f"{n + ' chars/s':>22} | {'vs jieba':>8}" for n in sets) + " |")
    print(f"|{'-' * 26}|" + "|".join(f"{'-' * 24}|{'-' * 10}" for _ in sets) + "|")
    for k, by_set in rates.items():
        cells = [f"{r:>22,.0f} | {r / rates['jieba.lcut (plain)'][n]:>7.2f}x" for n, r in by_set.items()]
        print(f"| {k:<24} | " + " | ".join(cells) + " |")
    print("\ntargets (issue 10): rules ≥ 5×; rules + bundle ≥ 3× on ordinary text, ≥ 2× on secret-dense text")
    if learned is not None:
        print_profile(learned, sets["ordinary"] + sets["secret-dense"])
    print()

    cold_start()


COLD_REPEATS = 7


def cold_start(repeats: int = COLD_REPEATS) -> None:
    """The command line as a whole process: wall time and peak RSS, medians of ``repeats`` rounds that
    run every command in turn, beside a bare interpreter start. ``suggest`` reads one 3,000-character
    file (the OS file cache is warm; the data directory's cache is warmed by one untimed run); the
    first run after a bundle is built (empty data directory, so the bundle's numbers and the catalog's
    cuts are computed and kept) is measured apart. On its own:
    ``python -c "import sys; sys.path[:0] = ['bench']; import bench_engine; bench_engine.cold_start()"``.
    """
    import os
    import shutil

    bundle = default_bundle_dir()
    ensure_default_bundle(bundle)
    exe = shutil.which("dingmi")
    help_cmd = [exe, "--help"] if exe else [sys.executable, "-m", "dingmi", "--help"]
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "doc.txt"
        f.write_text((corpus_texts()[0] * 10)[:3000], encoding="utf-8")
        suggest = [sys.executable, "-m", "dingmi", "suggest", str(f), "--json"]
        subprocess.run(suggest, capture_output=True, check=True)  # fills the cache of the default data directory
        rows = [  # label, command, empty data directory, targets (s, MB)
            ("python -c pass (interpreter start)", [sys.executable, "-c", "pass"], False, None),
            ("dingmi --help", help_cmd, False, (0.3, None)),
            ("suggest --json --no-model", [*suggest, "--no-model"], False, None),
            ("suggest --json, default bundle", suggest, False, (1.0, 300)),
            ("  same, first run after a build", suggest, True, None),
        ]
        walls: dict[str, list[float]] = defaultdict(list)
        peaks: dict[str, list[float]] = defaultdict(list)
        for _ in range(repeats):
            for label, cmd, empty, _ in rows:
                env = None
                if empty:
                    env = {**os.environ, "DINGMI_BUNDLE": str(bundle), "DINGMI_DATA_DIR": tempfile.mkdtemp(dir=tmp)}
                t = time.perf_counter()
                # a small intermediate process starts dingmi: a child's peak RSS counts what its parent
                # had at fork time, and this benchmark process is large
                out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True,
                                     env=env)
                walls[label].append(time.perf_counter() - t)
                peaks[label].append(int(out.stdout.split()[-1]) / 1024)
    base = statistics.median(walls[rows[0][0]])
    print(f"\ncold start: whole process, median of {repeats} rounds\n")
    print(f"| {'what':<36} | {'wall s':>7} | {'vs python':>9} | {'peak RSS MB':>11} | {'target':<20} |")
    print(f"|{'-' * 38}|{'-' * 9}|{'-' * 11}|{'-' * 13}|{'-' * 22}|")
    for label, _, _, target in rows:
        wall, peak = statistics.median(walls[label]), statistics.median(peaks[label])
        goal = "" if target is None else f"≤ {target[0]} s" + (f", ≤ {target[1]} MB" if target[1] else "")
        met = "" if target is None else (" ✓" if wall <= target[0] and (target[1] is None or peak <= target[1]) else " ✗")
        print(f"| {label:<36} | {wall:>7.3f} | {wall / base:>8.1f}x | {peak:>11.0f} | {goal + met:<20} |")


if __name__ == "__main__":
    main()
