"""Latency of authenticated API calls while 16 threads flood ``POST /login`` with unknown names.

Starts ``dingmi serve`` on 127.0.0.1 (a throw-away data directory, see ``bench_service.py``),
measures ``GET /v1/me`` alone, then again while a separate process runs 16 threads that each post
sign-in attempts with new unknown names as fast as the server answers. Two server settings:

- ``defended``: the shipped defaults (per-client and per-name rate limits, bounded password checks);
- ``no-rate-limit``: rate limits set out of reach, so every attempt gets a real argon2 check: this
  measures what running checks off the event loop on a bounded pool does on its own.

Each setting is run ``--runs`` times; the table gives the median of each figure over the runs.
Target (issue 11): p95 of ``/v1/me`` under the flood ≤ 500 ms. Loopback only; bounded in time
(about ``runs × 2 × (baseline + flood)`` seconds plus start-ups).

    python bench/bench_login_flood.py                       # SQLite, 3 runs of 10 s floods
    python bench/bench_login_flood.py --seconds 15 --runs 5
    python bench/bench_login_flood.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import sys
import threading
import time
from dataclasses import dataclass

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_service import local_service, scratch_postgres  # noqa: E402

FLOOD_THREADS = 16
PROBE_INTERVAL = 0.02
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
SETTINGS = {
    "defended": {},
    "no-rate-limit": {
        "DINGMI_SIGNIN_PER_CLIENT_PER_MINUTE": "1000000000",
        "DINGMI_SIGNIN_PER_NAME_PER_MINUTE": "1000000000",
    },
}


@dataclass
class Probe:
    """``/v1/me`` latencies (ms) and the flood's answers in one phase."""

    latencies: list[float]
    flood_answers: dict[int, int]
    seconds: float

    def q(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))] if ordered else float("nan")


def _flood_thread(url: str, n: int, stop: threading.Event, answers: dict[int, int], lock: threading.Lock) -> None:
    with httpx.Client(base_url=url, timeout=120) as client:
        csrf = CSRF_RE.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
        i = 0
        while not stop.is_set():
            try:
                status = client.post(
                    "/login", data={"csrf": csrf, "username": f"nobody-{n}-{i}", "password": "guess-" + str(i)}
                ).status_code
            except httpx.HTTPError:
                status = 0
            with lock:
                answers[status] = answers.get(status, 0) + 1
            i += 1


def flood(url: str, seconds: float, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Run in its own process: 16 threads posting sign-ins for ``seconds``; report the answers."""
    stop = threading.Event()
    answers: dict[int, int] = {}
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_flood_thread, args=(url, n, stop, answers, lock), daemon=True)
        for n in range(FLOOD_THREADS)
    ]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    queue.put(answers)


def probe(url: str, token: str, seconds: float) -> list[float]:
    """``GET /v1/me`` every 20 ms for ``seconds``; latencies in ms (a failed call counts as its time)."""
    out: list[float] = []
    with httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {token}"}) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            client.get("/v1/me")
            out.append((time.perf_counter() - t0) * 1000)
            time.sleep(PROBE_INTERVAL)
    return out


def run_once(url: str, token: str, seconds: float) -> tuple[Probe, Probe]:
    """Baseline, then the same probe under the flood (which starts 1 s earlier)."""
    quiet = Probe(probe(url, token, min(seconds, 3.0)), {}, min(seconds, 3.0))
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    flooder = multiprocessing.Process(target=flood, args=(url, seconds + 1.0, queue))
    flooder.start()
    time.sleep(1.0)
    loud = probe(url, token, seconds)
    answers = queue.get(timeout=300)
    flooder.join(timeout=60)
    return quiet, Probe(loud, answers, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each flood (s)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="admin URL; a scratch database is created and dropped")
    parser.add_argument("--only", choices=sorted(SETTINGS), default=None)
    args = parser.parse_args()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"GET /v1/me under a {FLOOD_THREADS}-thread POST /login flood (unknown names), {backend}, "
          f"{os.cpu_count()} CPU(s), {args.runs} run(s) of {args.seconds:g} s; medians over the runs")
    header = f"{'setting':<14} {'quiet p50':>9} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'logins/s':>9}  answers"
    print(header)
    print("-" * (len(header) + 20))
    for name, env in SETTINGS.items():
        if args.only and name != args.only:
            continue
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        rows: list[tuple[Probe, Probe]] = []
        try:
            for _ in range(args.runs):
                with scratch_postgres(args.postgres) as db_url, local_service(1, db_url) as (url, token):
                    assert url.startswith("http://127.0.0.1:"), "loopback only"
                    rows.append(run_once(url, token, args.seconds))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        med = statistics.median
        answers: dict[int, int] = {}
        for _, loud in rows:
            for status, n in loud.flood_answers.items():
                answers[status] = answers.get(status, 0) + n
        rate = med(sum(loud.flood_answers.values()) / loud.seconds for _, loud in rows)
        print(
            f"{name:<14} {med(q.q(0.5) for q, _ in rows):>7.1f}ms {med(l.q(0.5) for _, l in rows):>6.1f}ms "
            f"{med(l.q(0.95) for _, l in rows):>6.1f}ms {med(l.q(0.99) for _, l in rows):>6.1f}ms "
            f"{med(max(l.latencies) for _, l in rows):>6.1f}ms {rate:>9.1f}  "
            + ", ".join(f"{s}×{n}" for s, n in sorted(answers.items()))
        )


if __name__ == "__main__":
    main()
