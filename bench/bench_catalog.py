"""Large catalogs: load time, peak memory and throughput with the reference catalog (92 entries) beside
the reference plus a generated organisation catalog of N entries (``gen_catalog.py``), in one run.

Loading is what ``dingmi suggest --catalog FILE`` does (``load_engine([FILE], bundle)``), each time in
a fresh process: seconds in ``load_engine`` after the imports, and the process's peak RSS (VmHWM).
The engine keeps a catalog's entry cuts in the data directory, so a catalog's first load (a data
directory holding only the bundle's cache) and the later ones (its cuts kept) are measured apart,
median of ``--load-runs`` each. Throughput is chars/s of ``Engine.suggest`` on ~300k characters of
ordinary official text (``bench_engine.make_documents(kind="ordinary")``: the training corpus,
distinct documents, the engine's passage cache emptied before each pass), single process, median of
``--repeats`` passes taken in turn across the four engines. Targets (issue 10): load ≤ 2 s and
≤ 500 MB, throughput no more than 2× lower than with 92 entries. The benchmark's data directory is
a temporary one; only the default bundle is read from the user's.

    python bench/bench_catalog.py [--entries 5000] [--mb 0.3] [--repeats 3] [--load-runs 5]
    python bench/bench_catalog.py --write big.jsonl        # only write the generated catalog
    python bench/bench_catalog.py --profile                # cProfile of load and suggest, N entries
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_engine import fresh, make_documents
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
    "t0 = time.perf_counter()\n"
    "from dingmi.engine import load_engine\n"
    "args = json.loads(sys.argv[1])\n"
    "t = time.perf_counter()\n"
    "e = load_engine(args['catalogs'], args['bundle'])\n"
    "s = time.perf_counter() - t\n"
    "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "print(json.dumps({'seconds': s, 'imports': t - t0, 'peak_mb': int(hwm.split()[1]) / 1024,\n"
    "                  'entries': len(e.catalog)}))\n"
)
WARM_BUNDLE = "import sys\nfrom dingmi.bundle import load_bundle\nload_bundle(sys.argv[1])\n"

Key = tuple[str, str]  # (path: rules|bundle, size: small|large)


def _run(code: str, args: list[str], data_dir: Path) -> str:
    env = {**os.environ, "DINGMI_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                          env=env).stdout


def base_data_dir(scratch: Path, bundle: str | None) -> Path:
    """A data directory holding only the bundle's cache (what a user has before adding a catalog)."""
    base = scratch / "base"
    base.mkdir()
    if bundle:
        _run(WARM_BUNDLE, [bundle], base)
    return base


def measure_load(catalogs: list[str], bundle: str | None, runs: int, base: Path, scratch: Path) -> dict[str, dict]:
    """Medians of load seconds and peak MB in fresh processes: the catalog's first load, then later ones."""
    def once(data_dir: Path) -> dict[str, float]:
        out = _run(LOAD, [json.dumps({"catalogs": catalogs, "bundle": bundle})], data_dir)
        return json.loads(out.strip().splitlines()[-1])

    first, later = [], []
    for _ in range(runs):
        d = Path(tempfile.mkdtemp(dir=scratch))
        shutil.copytree(base, d, dirs_exist_ok=True)
        first.append(once(d))
    for _ in range(runs):
        later.append(once(d))  # the last directory now holds the catalog's cuts
    return {name: {k: statistics.median(r[k] for r in rows) for k in ("seconds", "imports", "peak_mb", "entries")}
            for name, rows in (("first", first), ("later", later))}


def measure_rates(engines: dict[Key, Engine], docs: list[str], repeats: int) -> dict[Key, float]:
    """Median chars/s of each engine; each repeat runs every engine in turn, so load drifts hit all alike."""
    chars = sum(map(len, docs))
    times: dict[Key, list[float]] = {name: [] for name in engines}
    for engine in engines.values():
        engine.suggest(docs[0])  # first-call costs (lazy loads) are not throughput
    for _ in range(repeats):
        for name, engine in engines.items():
            run = fresh(lambda ds, e=engine: [e.suggest(d) for d in ds])  # type: ignore[misc]
            t = time.perf_counter()
            run(docs)
            times[name].append(time.perf_counter() - t)
    return {name: chars / statistics.median(ts) for name, ts in times.items()}


def _row(measure: str, small: float, large: float, change: str, target: str, ratio: float, fmt: str) -> None:
    print(f"| {measure:<33} | {small:>11{fmt}} | {large:>16{fmt}} | {change:>11} | {target:>10} | {ratio:>12.2f} | "
          f"{'yes' if ratio <= 1 else 'NO':<5} |")


def print_table(n: int, loads: dict[Key, dict[str, dict]], rates: dict[Key, float]) -> None:
    big = f"92+{n:,}"
    print(f"| {'measure':<33} | {'92 entries':>11} | {big + ' entries':>16} | {'change':>11} | {'target':>10} | "
          f"{'value/target':>12} | meets |")
    print(f"|{'-' * 35}|{'-' * 13}|{'-' * 18}|{'-' * 13}|{'-' * 12}|{'-' * 14}|-------|")
    for path in ("rules", "bundle"):
        if (path, "small") not in loads:
            continue
        for when, label in (("first", "first load"), ("later", "later loads")):
            s, t = loads[(path, "small")][when]["seconds"], loads[(path, "large")][when]["seconds"]
            _row(f"load s, {path}, {label}", s, t, f"{t - s:+.2f} s", "≤ 2 s", t / LOAD_TARGET_S, ".2f")
        for when, label in (("first", "first load"), ("later", "later loads")):
            s, t = loads[(path, "small")][when]["peak_mb"], loads[(path, "large")][when]["peak_mb"]
            _row(f"peak MB, {path}, {label}", s, t, f"{t - s:+.0f} MB", "≤ 500 MB", t / PEAK_TARGET_MB, ".0f")
    for path in ("rules", "bundle"):
        if (path, "small") in rates:
            s, t = rates[(path, "small")], rates[(path, "large")]
            _row(f"chars/s, {path}", s, t, f"{s / t:.1f}x lower", "≤ 2x lower", s / t / SLOWDOWN_TARGET, ",.0f")


def profile(fn: Callable[[], object], top: int) -> None:
    """cProfile of one call: the functions with the most own and cumulative time, as shares of the total."""
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
    for when in ("first", "later"):
        print(f"## load_engine([{Path(catalog).name}], bundle={'default' if bundle else None}), {when} load")
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
        print(f"\n## suggest, {name} path, {len(docs)} documents, {sum(map(len, docs)):,} chars")
        profile(lambda e=engine: fresh(lambda ds: [e.suggest(d) for d in ds])(docs), top)  # type: ignore[misc]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=DEFAULT_ENTRIES, help="entries of the generated catalog")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--mb", type=float, default=0.3, help="millions of characters of ordinary text for throughput")
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
    docs = make_documents(args.mb, kind="ordinary")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        catalog = str(write_catalog(scratch / f"generated_{args.entries}.jsonl", entries))
        base = base_data_dir(scratch, bundle)
        os.environ["DINGMI_DATA_DIR"] = str(shutil.copytree(base, scratch / "this_process"))
        if args.profile:
            run_profile(catalog, bundle, docs, args.top)
            return
        paths = {"rules": None, "bundle": bundle} if bundle else {"rules": None}
        sizes = {"small": [], "large": [catalog]}
        loads = {(p, size): measure_load(cats, b, args.load_runs, base, scratch)
                 for p, b in paths.items() for size, cats in sizes.items()}
        engines = {(p, size): load_engine(cats, b) for p, b in paths.items() for size, cats in sizes.items()}
        rates = measure_rates(engines, docs, args.repeats)
    imports = statistics.median(v[w]["imports"] for v in loads.values() for w in ("first", "later"))
    print(f"generated catalog: {len(entries):,} entries (seed {args.seed}), loaded beside the 92 reference entries "
          f"({int(loads[('rules', 'large')]['first']['entries']):,} in all)")
    print(f"throughput text: {len(docs)} ordinary documents, {sum(map(len, docs)):,} characters; median of "
          f"{args.repeats} passes, one process; load: median of {args.load_runs} fresh processes each, after "
          f"imports of {imports:.2f} s (median)\n")
    print_table(len(entries), loads, rates)


if __name__ == "__main__":
    main()
