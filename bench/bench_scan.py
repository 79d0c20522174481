"""Archive scan scaling and resume cost, with the default model bundle and with the rules alone.

Generates a mixed archive (≥ 2,000 files, ≥ 50 MB of text: .txt in UTF-8 and GBK, .md, .html,
.docx, .pdf, some inside .zip files, a few broken files; sizes vary, a few files are ten times the
average) from the labelled corpus in a temp directory. Then, for each engine (``--no-model`` and
``--model DIR``, by default the default bundle archive staff run), ``--repeats`` times, side by side:

- a full scan with 1 worker and one with 2 workers (fresh output directories, in alternating
  order), wall time including start-up (catalog, walk, engine load, outputs);
- resuming the finished 2-worker scan: in-process, as the ``dingmi scan`` command (interpreter
  start-up included), and in-process once more with the outputs to regenerate.

    python bench/bench_scan.py [--files 2000] [--mb 50] [--repeats 3] [--model DIR] [--modes rules,model]
                               [--patience 300] [--keep DIR] [--engine-share]

The machine is shared: each round first waits (up to ``--patience`` seconds) for two busy processes
to get 1.8 CPUs, and the table shows how the workers spent the steady time — on a CPU, waiting for
one (other load), idle (the scan's own loss) — so a ratio set by other work is recognisable.

Targets (issue 10), on medians over the repeats: 2 workers ≥ 1.8× one worker; resuming a
finished scan ≤ 5% of its full (2-worker) time. ``--engine-share`` adds issue 6's comparison of a
1-worker scan of the .txt files with the engine's own ``suggest`` throughput (target ≥ 70%).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dingmi.scan.progress import PlainProgress
from dingmi.scan.runner import RunOptions, run

ROOT = Path(__file__).resolve().parents[1]
MARKINGS = ["", "", "", "秘密★10年", "机密★20年", "绝密★30年", "秘密", "机密★长期", "秘密★6个月"]


def seed_texts() -> list[str]:
    """The labelled training documents (synthetic official-style texts)."""
    texts = []
    for f in sorted((ROOT / "corpus" / "labeled").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


def make_text(rng: random.Random, seeds: list[str], chars: int) -> str:
    """A document of about ``chars`` characters: a header, varied seed paragraphs, a date line."""
    parts = []
    marking = rng.choice(MARKINGS)
    if marking:
        parts.append(marking)
    size = 0
    while size < chars:
        body = rng.choice(seeds)
        year = str(rng.randint(1995, 2026))
        body = body.replace("2026", year).replace("2025", str(int(year) - 1))
        parts.append(body)
        size += len(body)
    parts.append(f"{rng.randint(1995, 2026)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日")
    return "\n".join(parts)


def write_pdf(path: Path, text: str) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 10)
    y = 800
    for para in text.split("\n"):
        for start in range(0, max(len(para), 1), 48):
            c.drawString(40, y, para[start:start + 48])
            y -= 14
            if y < 40:
                c.showPage()
                c.setFont("STSong-Light", 10)
                y = 800
    c.save()


def write_docx(path: Path, text: str) -> None:
    from docx import Document

    doc = Document()
    for para in text.split("\n"):
        doc.add_paragraph(para)
    doc.save(str(path))


@dataclass
class Archive:
    root: Path
    txt_root: Path
    files: int
    text_bytes: int
    chars: int
    txt_texts: list[str]


def generate(base: Path, n_files: int, mb: float, seed: int = 6) -> Archive:
    """Write the mixed archive under ``base/archive`` and the .txt subset under ``base/txt``."""
    rng = random.Random(seed)
    seeds = seed_texts()
    root, txt_root = base / "archive", base / "txt"
    per_file = int(mb * 1_000_000 / 3 / n_files * 1.15)  # UTF-8 Chinese is ~3 bytes a character
    # sizes vary as in a real archive: most files short, a few ten times the average (mean 1.0)
    scales = [0.4] * 60 + [1.0] * 25 + [2.0] * 10 + [4.0] * 4 + [10.0]
    kinds = ["txt"] * 60 + ["gbk"] * 10 + ["md"] * 8 + ["html"] * 8 + ["docx"] * 8 + ["pdf"] * 3 + ["zip"] * 3
    zipped: list[tuple[str, bytes]] = []
    txt_texts: list[str] = []
    text_bytes = chars = 0
    for i in range(n_files):
        kind = kinds[i % len(kinds)]
        sub = root / f"dept{i % 12:02d}" / str(1995 + i % 30)
        sub.mkdir(parents=True, exist_ok=True)
        if i % 500 == 7:  # a few broken files among the good ones
            (sub / f"broken{i}.docx").write_bytes(b"PK\x03\x04 broken")
            continue
        chars_wanted = int(per_file * rng.choice(scales) / (sum(scales) / len(scales)))
        text = make_text(rng, seeds, chars_wanted // 4 if kind == "pdf" else chars_wanted)
        text_bytes += len(text.encode("utf-8"))
        chars += len(text)
        name = f"doc{i:05d}"
        if kind in ("txt", "gbk"):
            data = text.encode("gb18030" if kind == "gbk" else "utf-8")
            (sub / f"{name}.txt").write_bytes(data)
            txt_dir = txt_root / sub.relative_to(root)
            txt_dir.mkdir(parents=True, exist_ok=True)
            (txt_dir / f"{name}.txt").write_bytes(data)
            txt_texts.append(text)
        elif kind == "md":
            (sub / f"{name}.md").write_text("# 文件\n\n" + text, encoding="utf-8")
        elif kind == "html":
            body = "".join(f"<p>{p}</p>" for p in text.split("\n"))
            (sub / f"{name}.html").write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
        elif kind == "docx":
            write_docx(sub / f"{name}.docx", text)
        elif kind == "pdf":
            write_pdf(sub / f"{name}.pdf", text)
        else:
            zipped.append((f"{name}.txt", text.encode("utf-8")))
    for z in range(0, len(zipped), 25):
        with zipfile.ZipFile(root / f"bundle{z // 25:03d}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in zipped[z:z + 25]:
                archive.writestr(f"卷宗/{name}", data)
    files = sum(1 for _ in root.rglob("*") if _.is_file() and _.suffix != ".zip") + len(zipped)
    return Archive(root, txt_root, files, text_bytes, chars, txt_texts)


def _cpu_split() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _schedstat(pid: int) -> tuple[int, int] | None:
    """Nanoseconds a process has spent on a CPU and waiting for one (Linux /proc), or None."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            on_cpu, waiting, _ = f.read().split()
    except (OSError, ValueError):
        return None
    return int(on_cpu), int(waiting)


class Stopwatch(PlainProgress):
    """Progress that also records when the workers were ready, when the last file finished, and how
    the workers spent the time in between: on a CPU, waiting for one (other load), or idle."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.ready = self.done_at = self.sampled = 0.0
        self.base: dict[int, tuple[int, int]] = {}
        self.sched: dict[int, tuple[int, int]] = {}

    def _sample(self) -> None:
        self.sampled = time.perf_counter()
        try:
            with open(f"/proc/self/task/{os.getpid()}/children") as f:
                pids = [int(p) for p in f.read().split()]
        except OSError:
            return
        for pid in pids:
            stat = _schedstat(pid)
            if stat is not None:
                self.sched[pid] = stat

    def start(self, files: int, size: int) -> None:
        self.ready = time.perf_counter()
        self._sample()
        self.base = dict(self.sched)
        super().start(files, size)

    def advance(self, size: int) -> None:
        super().advance(size)
        if time.perf_counter() - self.sampled > 0.2 or self.done == self.files:
            self._sample()

    def close(self) -> None:
        self.done_at = time.perf_counter()
        super().close()

    def shares(self, workers: int) -> tuple[float, float, float]:
        """Of workers x steady time: the share on a CPU, waiting for a CPU, and idle."""
        total = workers * (self.done_at - self.ready) * 1e9
        if not self.sched or total <= 0:
            return float("nan"), float("nan"), float("nan")
        on_cpu = sum(v[0] - self.base.get(p, (0, 0))[0] for p, v in self.sched.items())
        waiting = sum(v[1] - self.base.get(p, (0, 0))[1] for p, v in self.sched.items())
        return on_cpu / total, waiting / total, max(0.0, 1 - (on_cpu + waiting) / total)


@dataclass
class Timing:
    wall: float      # whole run: catalog, walk, engine load, files, outputs
    startup: float   # run start -> workers ready (catalog, walk, engine load, processes)
    steady: float    # workers ready -> last file done
    files: int
    processed: int
    cpu: float       # this process and its (joined) workers
    main_cpu: float  # this process alone (walk, engine preload, state DB commits, outputs)
    shares: tuple[float, float, float] = (float("nan"),) * 3  # workers on a CPU / waiting for one / idle


def timed_scan(root: Path, out: Path, workers: int, bundle: str | None) -> Timing:
    """Run one scan in-process and time it."""
    watch = Stopwatch()
    t, (own, children) = time.perf_counter(), _cpu_split()
    summary = run(RunOptions(root=root, out_dir=out, workers=workers, bundle=bundle, progress=watch))
    end = time.perf_counter()
    own2, children2 = _cpu_split()
    startup = watch.ready - t if watch.ready else 0.0
    steady = watch.done_at - watch.ready if watch.ready else 0.0
    return Timing(end - t, startup, steady, summary.files, summary.processed,
                  own2 - own + children2 - children, own2 - own, watch.shares(workers))


def cli_resume(root: Path, out: Path, bundle: str | None) -> float:
    """Wall time of ``dingmi scan`` rerun on a finished output directory (a new interpreter)."""
    model_args = ["--model", bundle] if bundle else ["--no-model"]
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dingmi", "scan", str(root), "--out", str(out), "--workers", "2",
                           *model_args], check=False, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if done.returncode != 0 or "本次处理0个" not in done.stdout:  # e.g. the checkout is being edited meanwhile
        print(f"  (dingmi scan resume failed or redid work, not counted: {(done.stdout + done.stderr)[-300:]})")
        return float("nan")
    return wall


def _burn(n: int) -> None:
    total = 0
    for i in range(n):
        total += i * i


def parallel_capacity(n: int = 15_000_000) -> float:
    """How many CPUs two busy processes actually get now (2.0 on an idle 2-core machine)."""
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_burn, [10, 10])
        t = time.perf_counter()
        pool.map(_burn, [n])
        one = time.perf_counter() - t
        t = time.perf_counter()
        pool.map(_burn, [n, n])
        two = time.perf_counter() - t
    return 2 * one / two


def load_average() -> str:
    try:
        return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        return "?"


def engine_rate(texts: list[str], bundle: str | None) -> float:
    from dingmi.engine import load_engine

    engine = load_engine((), bundle)
    engine.suggest(texts[0])  # lazy parts (jieba dictionary) load outside the timing
    t = time.perf_counter()
    for text in texts:
        engine.suggest(text)
    return sum(map(len, texts)) / (time.perf_counter() - t)


@dataclass
class Repeat:
    capacity: float
    one: Timing
    two: Timing
    resume: Timing
    resume_cli: float
    regenerate: Timing

    @property
    def speedup(self) -> float:
        return self.one.wall / self.two.wall


def quiet_capacity(patience: float) -> float:
    """Wait up to ``patience`` seconds for the machine to give two busy processes >= 1.8 CPUs; the last probe."""
    deadline = time.monotonic() + patience
    while True:
        capacity = parallel_capacity()
        if capacity >= 1.8 or time.monotonic() >= deadline:
            return capacity
        time.sleep(min(20.0, max(0.0, deadline - time.monotonic())))


def measure(arc: Archive, base: Path, name: str, bundle: str | None, repeats: int, patience: float) -> list[Repeat]:
    """``repeats`` side-by-side rounds of 1-worker scan, 2-worker scan and resumes."""
    got = []
    for r in range(repeats):
        capacity = quiet_capacity(patience)
        out1, out2 = base / f"{name}-1w-{r}", base / f"{name}-2w-{r}"
        if r % 2 == 0:  # alternate which goes first: drifting load on the machine hits both alike
            one, two = timed_scan(arc.root, out1, 1, bundle), timed_scan(arc.root, out2, 2, bundle)
        else:
            two = timed_scan(arc.root, out2, 2, bundle)
            one = timed_scan(arc.root, out1, 1, bundle)
        resume = timed_scan(arc.root, out2, 2, bundle)
        resume_cli = cli_resume(arc.root, out2, bundle)
        (out2 / "report.html").unlink()  # the outputs are regenerated from the state DB
        regenerate = timed_scan(arc.root, out2, 2, bundle)
        assert resume.processed == regenerate.processed == 0, "a resume redid work"
        got.append(Repeat(capacity, one, two, resume, resume_cli, regenerate))
        print(f"  [{name} {r + 1}/{repeats}] CPUs available {capacity:.2f}; 1 worker {one.wall:.1f} s, "
              f"2 workers {two.wall:.1f} s ({one.wall / two.wall:.2f}x; workers waited for a CPU "
              f"{two.shares[1]:.0%}, idle {two.shares[2]:.0%}); resume {resume.wall:.2f} s, CLI {resume_cli:.2f} s",
              flush=True)
        shutil.rmtree(out1, ignore_errors=True)
        shutil.rmtree(out2, ignore_errors=True)
    return got


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    last = len(header) - 1
    for r in rows:
        print("  ".join(c.ljust(w) if i in (0, last) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def report(name: str, arc: Archive, reps: list[Repeat]) -> list[str]:
    """Print the table of one engine; return its target lines."""
    med = statistics.median

    def scan_row(label: str, pick: str) -> tuple[str, ...]:
        ts = [getattr(r, pick) for r in reps]
        wall = med(t.wall for t in ts)
        busy, waiting, idle = (med(t.shares[i] for t in ts) for i in range(3))
        return (label, f"{arc.files / wall:,.1f}", f"{arc.chars / wall:,.0f}", f"{wall:.1f}",
                f"{med(t.startup for t in ts):.2f}", f"{med(t.steady for t in ts):.1f}",
                f"{med(t.cpu for t in ts):.1f} ({med(t.main_cpu for t in ts):.1f})",
                f"{busy:.0%} / {waiting:.0%} / {idle:.0%}")

    def resume_row(label: str, walls: list[float]) -> tuple[str, ...]:
        walls = [w for w in walls if w == w] or [float("nan")]  # NaN: a command run that failed
        return (label, "", "", f"{med(walls):.2f}", "", "", "", "")

    print(f"\n== {name} (medians of {len(reps)}) ==")
    table(("run", "files/s", "chars/s", "wall s", "start-up s", "steady s", "cpu s (main)",
           "workers cpu / wait / idle"), [
        scan_row("full scan, 1 worker", "one"),
        scan_row("full scan, 2 workers", "two"),
        resume_row("resume finished scan (in-process)", [r.resume.wall for r in reps]),
        resume_row("resume finished scan (dingmi scan command)", [r.resume_cli for r in reps]),
        resume_row("resume, outputs regenerated (in-process)", [r.regenerate.wall for r in reps]),
    ])
    speedup = med(r.speedup for r in reps)
    resume = med([r.resume_cli / r.two.wall for r in reps if r.resume_cli == r.resume_cli] or [float("nan")])
    regen = med(r.regenerate.wall / r.two.wall for r in reps)
    capacity = med(r.capacity for r in reps)
    return [
        f"{name}: 2 workers vs 1 worker  {speedup:.2f}x  (target >= 1.80x: {verdict(speedup >= 1.8)}); "
        f"per round {', '.join(f'{r.speedup:.2f}' for r in reps)}; CPUs available (median) {capacity:.2f}",
        f"{name}: resume a finished scan {resume:.1%} of the full 2-worker scan, as the command "
        f"(target <= 5%: {verdict(resume <= 0.05)}); in-process {med(r.resume.wall / r.two.wall for r in reps):.1%}, "
        f"outputs regenerated {regen:.1%}",
    ]


def engine_share(arc: Archive, base: Path, bundle: str | None, repeats: int) -> str:
    """Issue 6: a 1-worker scan of the .txt files against the engine's own throughput on the same texts."""
    txt_chars = sum(map(len, arc.txt_texts))
    scans = [timed_scan(arc.txt_root, base / f"out-txt-{r}", 1, bundle) for r in range(repeats)]
    eng = statistics.median(engine_rate(arc.txt_texts, bundle) for _ in range(repeats))
    wall = statistics.median(t.wall for t in scans)
    share = txt_chars / eng / wall
    return (f"{'model' if bundle else 'rules'}: .txt scan, 1 worker {txt_chars / wall:,.0f} chars/s vs engine.suggest "
            f"{eng:,.0f} chars/s: {share:.0%} (issue 6 target >= 70%: {verdict(share >= 0.7)})")


def main() -> None:
    from dingmi.bundle import default_bundle_dir

    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--mb", type=float, default=50.0)
    ap.add_argument("--keep", type=Path, default=None, help="generate here and keep it")
    ap.add_argument("--model", type=Path, default=None, help="model bundle (default: the default bundle)")
    ap.add_argument("--modes", default="rules,model", help="rules (--no-model), model (--model), or both")
    ap.add_argument("--repeats", type=int, default=3, help="side-by-side rounds; medians are reported")
    ap.add_argument("--engine-share", action="store_true", help="also issue 6's .txt scan vs engine comparison")
    ap.add_argument("--patience", type=float, default=300.0,
                    help="seconds to wait before each round for a quiet machine (two busy processes get >= 1.8 CPUs)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # kill PID: the temp directory is still removed
    source_bundle = (args.model or default_bundle_dir()).absolute()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"rules", "model"}:
        raise SystemExit("--modes takes rules, model or both")
    base = args.keep or Path(tempfile.mkdtemp(prefix="dingmi-bench-scan-"))
    try:
        bundle = str(base / "bundle")
        if "model" in modes:  # a snapshot: a rebuild of the default bundle during the run cannot change it
            from dingmi.bundle import verify

            shutil.copytree(source_bundle, bundle, dirs_exist_ok=True)
            verify(bundle)
        t = time.perf_counter()
        arc = generate(base, args.files, args.mb)
        print(f"archive: {arc.files} files, {arc.text_bytes / 1e6:.1f} MB of text ({arc.chars:,} chars), "
              f"generated in {time.perf_counter() - t:.0f} s; {os.cpu_count()} CPUs; model bundle {source_bundle}"
              f"{' (copied for the run)' if 'model' in modes else ''}")
        load_before = load_average()
        results = {m: measure(arc, base, m, bundle if m == "model" else None, args.repeats, args.patience)
                   for m in modes}
        lines = []
        for m in modes:
            lines += report("model bundle (--model)" if m == "model" else "rules only (--no-model)", arc, results[m])
        if args.engine_share:
            lines += [engine_share(arc, base, bundle if m == "model" else None, args.repeats) for m in modes]
        print("\n== issue 10 targets ==")
        print("\n".join(lines))
        print(f"\nwall = the whole run (catalog, walk, engine load, files, outputs); start-up = run start to workers "
              f"ready; steady = workers ready to last file.\ncpu s counts this process and its workers, (main) this "
              f"process alone. Resume ratios divide by the same round's 2-worker scan.\n"
              f"workers cpu / wait / idle: how the workers spent workers x steady time (Linux schedstat): on a CPU, "
              f"runnable but waiting for a CPU (other load on the machine), idle (the scan's own loss: waiting for "
              f"work, the end).\n"
              f"load average before / after: {load_before} / {load_average()}. 'CPUs available' is what two busy "
              f"pure-Python processes got just before each round (2.00 on an idle 2-core machine; a round waits up to "
              f"--patience for >= 1.80);\nthe 1 -> 2 worker ratio cannot exceed what the workers get during the round: "
              f"a 2-worker 'wait' share above a few % means other work on the machine, not the scan, set the ratio.")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
