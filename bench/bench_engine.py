"""Engine throughput beside plain jieba and a pyahocorasick scan, measured in one run.

Prints a table of chars/s (single core, median of repeats), the ratios, and the wall time and peak
memory of ``dingmi suggest`` on one 3,000-character file including start-up.

    python bench/bench_engine.py [--mb 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ahocorasick
import jieba

from dingmi.bundle import default_bundle_dir, ensure_default_bundle
from dingmi.engine import load_engine

ROOT = Path(__file__).resolve().parents[1]
MEASURE = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "sys.exit(f'dingmi failed: {status}') if status else print(usage.ru_maxrss)\n"
)


def corpus_texts() -> list[str]:
    """Official-style documents: the project's training corpus (synthetic)."""
    texts = []
    for f in sorted((ROOT / "corpus" / "labeled").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


def make_documents(mb: float, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    base = corpus_texts()
    docs, size = [], 0
    while size < mb * 1_000_000:
        d = rng.choice(base)
        docs.append(d)
        size += len(d)
    return docs


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
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    docs = make_documents(args.mb)
    chars = sum(map(len, docs))
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

    rates = {
        "dingmi rules (suggest)": median_rate(lambda ds: [engine.suggest(d) for d in ds], docs, args.repeats),
        "jieba.lcut (plain)": median_rate(lambda ds: [tk.lcut(d) for d in ds], docs, args.repeats),
        "pyahocorasick scan": median_rate(lambda ds: [list(auto.iter(d)) for d in ds], docs, args.repeats),
    }
    if learned is not None:
        rates["dingmi rules + bundle"] = median_rate(lambda ds: [learned.suggest(d) for d in ds], docs, args.repeats)
    print(f"documents: {len(docs)}, characters: {chars:,} (single process, one core, median of {args.repeats})\n")
    print(f"| {'what':<26} | {'chars/s':>12} | {'vs jieba':>8} |")
    print(f"|{'-' * 28}|{'-' * 14}|{'-' * 10}|")
    for name, r in rates.items():
        print(f"| {name:<26} | {r:>12,.0f} | {r / rates['jieba.lcut (plain)']:>7.2f}x |")

    doc = (corpus_texts()[0] * 10)[:3000]
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "doc.txt"
        f.write_text(doc, encoding="utf-8")
        print()
        for label, extra in (("rules only (--no-model)", ["--no-model"]), ("with default bundle", [])):
            walls, peaks = [], []
            for _ in range(5):
                t = time.perf_counter()
                # a small intermediate process starts dingmi: a child's peak RSS counts what its parent
                # had at fork time, and this benchmark process is large
                out = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "dingmi", "suggest",
                                      str(f), "--json", *extra], capture_output=True, text=True, check=True)
                walls.append(time.perf_counter() - t)
                peaks.append(int(out.stdout.split()[-1]) / 1024)
            print(f"`dingmi suggest` 3,000 chars, {label}: median wall {statistics.median(walls):.2f} s, "
                  f"peak RSS {statistics.median(peaks):.0f} MB (targets: ≤ 2 s, ≤ 400 MB)")


if __name__ == "__main__":
    main()
