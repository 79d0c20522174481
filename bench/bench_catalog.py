"""Large catalogs: load time, peak memory and throughput with the reference catalog (92 entries) beside
the reference plus a generated organisation catalog of N entries (``gen_catalog.py``), in one run.

Loading is what ``dingmi suggest --catalog FILE`` does (``load_engine([FILE], bundle)``), each time in
a fresh process (median of ``--load-runs``): seconds in ``load_engine`` after the imports, and the
process's peak RSS (VmHWM). Throughput is chars/s of ``Engine.suggest`` on ~300k characters of
official text (the training corpus, as ``bench_engine.py`` reads it), single process, median of
``--repeats`` passes taken in turn across the four engines. Targets (issue 10): load ≤ 2 s and
≤ 500 MB, throughput no more than 2× lower than with 92 entries.

    python bench/bench_catalog.py [--entries 5000] [--mb 0.3] [--repeats 3] [--load-runs 5]
    python bench/bench_catalog.py --write big.jsonl        # only write the generated catalog
    python bench/bench_catalog.py --profile                # cProfile of load and suggest, N entries
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_engine import make_documents
from gen_catalog import DEFAULT_ENTRIES, DEFAULT_SEED, generate_catalog, write_catalog

from dingmi.bundle import default_bundle_dir, ensure_default_bundle
from dingmi.engine import Engine, load_engine

LOAD_TARGET_S = 2.0
PEAK_TARGET_MB = 500.0
SLOWDOWN_TARGET = 2.0

# a fresh interpreter: imports, then load_engine timed alone; peak RSS of this process only (VmHWM
# restarts at exec, unlike ru_maxrss, which would count the benchmark process it was forked from)
LOAD = (
    "import json, sys, time\n"
    "from dingmi.engine import load_engine\n"
    "args = json.loads(sys.argv[1])\n"
    "t = time.perf_counter()\n"
    "e = load_engine(args['catalogs'], args['bundle'])\n"
    "s = time.perf_counter() - t\n"
    "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "print(json.dumps({'seconds': s, 'peak_mb': int(hwm.split()[1]) / 1024, 'entries': len(e.catalog)}))\n"
)


def measure_load(catalogs: list[str], bundle: str | None, runs: int) -> dict[str, float]:
    """Median load seconds and peak MB of ``load_engine`` in fresh processes."""
    rows = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", LOAD, json.dumps({"catalogs": catalogs, "bundle": bundle})],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"seconds": statistics.median(r["seconds"] for r in rows),
            "peak_mb": statistics.median(r["peak_mb"] for r in rows), "entries": rows[0]["entries"]}


def measure_rates(engines: dict[tuple[str, str], Engine], docs: list[str], repeats: int) -> dict[tuple[str, str], float]:
    """Median chars/s of each engine; each repeat runs every engine in turn, so load drifts hit all alike."""
    chars = sum(map(len, docs))
    times: dict[tuple[str, str], list[float]] = {name: [] for name in engines}
    for engine in engines.values():
        engine.suggest(docs[0])  # first-call costs (lazy loads) are not throughput
    for _ in range(repeats):
        for name, engine in engines.items():
            t = time.perf_counter()
            for d in docs:
                engine.suggest(d)
            times[name].append(time.perf_counter() - t)
    return {name: chars / statistics.median(ts) for name, ts in times.items()}


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def print_table(n: int, loads: dict[tuple[str, str], dict[str, float]], rates: dict[tuple[str, str], float]) -> None:
    big = f"92+{n:,}"
    print(f"| {'measure':<26} | {'92 entries':>11} | {big + ' entries':>15} | {'change':>8} | {'target':>10} | "
          f"{'value/target':>12} | meets |")
    print(f"|{'-' * 28}|{'-' * 13}|{'-' * 17}|{'-' * 10}|{'-' * 12}|{'-' * 14}|-------|")
    for path in ("rules", "bundle"):
        if (path, "small") not in loads:
            continue
        small, large = loads[(path, "small")], loads[(path, "large")]
        s, t = small["seconds"], large["seconds"]
        print(f"| {'load s, ' + path:<26} | {s:>11.2f} | {t:>15.2f} | {t - s:>+7.2f}s | {'≤ 2 s':>10} | "
              f"{t / LOAD_TARGET_S:>12.2f} | {verdict(t <= LOAD_TARGET_S):<5} |")
        s, t = small["peak_mb"], large["peak_mb"]
        print(f"| {'peak MB after load, ' + path:<26} | {s:>11.0f} | {t:>15.0f} | {t - s:>+6.0f}MB | {'≤ 500 MB':>10} | "
              f"{t / PEAK_TARGET_MB:>12.2f} | {verdict(t <= PEAK_TARGET_MB):<5} |")
    for path in ("rules", "bundle"):
        if (path, "small") not in rates:
            continue
        s, t = rates[(path, "small")], rates[(path, "large")]
        drop = s / t
        print(f"| {'chars/s, ' + path:<26} | {s:>11,.0f} | {t:>15,.0f} | {drop:>6.1f}x↓ | {'≤ 2x drop':>10} | "
              f"{drop / SLOWDOWN_TARGET:>12.2f} | {verdict(drop <= SLOWDOWN_TARGET):<5} |")


def profile(fn: Callable[[], object], top: int) -> None:
    """cProfile of one call: the functions with the most own time, with their share of the total."""
    prof = cProfile.Profile()
    prof.runcall(fn)
    stats = pstats.Stats(prof)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"total {total:.2f} s (under the profiler); share of it")
    for title, col in (("own time (tottime)", 2), ("cumulative time", 3)):
        print(f"by {title}:")
        for (file, line, name), (_, calls, tt, ct, _) in sorted(stats.stats.items(), key=lambda kv: -kv[1][col])[:top]:  # type: ignore[attr-defined]
            where = f"{Path(file).name}:{line}:{name}" if line else name
            print(f"  own {tt / total:6.1%}  cum {ct / total:6.1%}  {calls:>10,} calls  {where}")


def run_profile(catalog: str, bundle: str | None, docs: list[str], top: int) -> None:
    print(f"## load_engine([{Path(catalog).name}], bundle={'default' if bundle else None})")
    profile(lambda: load_engine([catalog], bundle), top)
    engines = {"rules": load_engine([catalog])}
    if bundle:
        engines["bundle"] = load_engine([catalog], bundle)
    for label, engine in (("92", load_engine()), (f"{len(engines['rules'].catalog):,}", engines["rules"])):
        scored = [len(engine.analyse(d).matches) for d in docs]
        print(f"\nentries the matcher scores per document with {label} entries: mean {statistics.mean(scored):.1f}, "
              f"max {max(scored)}")
    for name, engine in engines.items():
        engine.suggest(docs[0])  # first-call costs (lazy loads) are not what the profile is about
        print(f"\n## suggest, {name} path, {sum(map(len, docs)):,} chars")
        profile(lambda e=engine: [e.suggest(d) for d in docs], top)  # type: ignore[misc]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=DEFAULT_ENTRIES, help="entries of the generated catalog")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--mb", type=float, default=0.3, help="millions of characters of text for throughput")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--load-runs", type=int, default=5)
    ap.add_argument("--write", metavar="FILE", help="write the generated catalog to FILE and stop")
    ap.add_argument("--no-bundle", action="store_true", help="rules path only")
    ap.add_argument("--profile", action="store_true", help="cProfile load and suggest with the generated catalog")
    ap.add_argument("--top", type=int, default=25, help="rows per profile")
    args = ap.parse_args()
    entries = generate_catalog(args.entries, args.seed)
    if args.write:
        print(f"{write_catalog(args.write, entries)}: {len(entries)} entries")
        return
    bundle = None
    if not args.no_bundle:
        path = default_bundle_dir()
        bundle = str(path) if ensure_default_bundle(path) else None
    docs = make_documents(args.mb)
    with tempfile.TemporaryDirectory() as tmp:
        catalog = str(write_catalog(Path(tmp) / f"generated_{args.entries}.jsonl", entries))
        if args.profile:
            run_profile(catalog, bundle, docs, args.top)
            return
        paths = {"rules": None, "bundle": bundle} if bundle else {"rules": None}
        loads = {(p, size): measure_load(cats, b, args.load_runs)
                 for p, b in paths.items() for size, cats in (("small", []), ("large", [catalog]))}
        engines = {(p, size): load_engine(cats, b) for p, b in paths.items()
                   for size, cats in (("small", []), ("large", [catalog]))}
        rates = measure_rates(engines, docs, args.repeats)
    n_docs, chars = len(docs), sum(map(len, docs))
    print(f"generated catalog: {len(entries):,} entries (seed {args.seed}), loaded beside the 92 reference entries "
          f"({loads[('rules', 'large')]['entries']:,} in all)")
    print(f"throughput text: {n_docs} documents, {chars:,} characters; median of {args.repeats} passes, "
          f"one process; load: median of {args.load_runs} fresh processes\n")
    print_table(len(entries), loads, rates)


if __name__ == "__main__":
    main()
