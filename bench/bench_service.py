"""Latency and throughput of ``POST /v1/suggestions`` with a 3,000-character document.

Starts ``dingmi serve`` (a real uvicorn process on 127.0.0.1) on a throw-away data directory,
creates a drafter with ``dingmi users add``, then sends the same document from 1, 8 and 32
concurrent clients (threads, one keep-alive connection each) and prints p50/p95 latency and
throughput as a table.

    python bench/bench_service.py                       # SQLite, 1 worker
    python bench/bench_service.py --workers 2           # one process per core
    python bench/bench_service.py --postgres postgresql://postgres@127.0.0.1:5432/test   # a scratch database
    python bench/bench_service.py --url http://host:8000 --token dm_...   # an already running service
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

DOC_CHARS = 3000
PARAGRAPHS = (
    "关于做好年度全市统计数据质量核查工作的通知",
    "各区统计局、市直有关部门：为进一步提高统计数据质量，根据上级有关要求，现就做好年度统计数据质量核查工作通知如下。",
    "一、核查范围包括规模以上工业、建筑业、批发零售业和服务业企业报送的年报数据，以及各部门提供的行政记录。",
    "二、各单位要对照原始记录和统计台账逐项核对，发现问题及时更正，并做好核查记录，确保数据真实、准确、完整。",
    "三、核查中涉及的企业名单和原始数据由专人保管，核查结束后统一归档，不得用于核查以外的用途。",
    "四、核查结果于十二月二十日前报送市统计局综合处，联系人及电话另行通知。",
)


def document(chars: int = DOC_CHARS) -> str:
    """A deterministic official-style document of exactly ``chars`` characters."""
    text = ""
    i = 0
    while len(text) < chars:
        text += PARAGRAPHS[i % len(PARAGRAPHS)] + "\n"
        i += 1
    return text[:chars]


@dataclass
class Result:
    """Measurements at one concurrency."""

    clients: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


def run_level(url: str, token: str, body: dict[str, str], clients: int, per_client: int, warmup: int) -> Result:
    """``clients`` threads each send ``warmup`` unmeasured then ``per_client`` measured requests."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    done_gate = threading.Barrier(clients + 1)

    def client() -> None:
        nonlocal errors
        with httpx.Client(base_url=url, timeout=60, headers=headers) as http:
            for _ in range(warmup):
                http.post("/v1/suggestions", json=body)
            start_gate.wait()
            mine: list[float] = []
            bad = 0
            for _ in range(per_client):
                t0 = time.perf_counter()
                r = http.post("/v1/suggestions", json=body)
                elapsed = (time.perf_counter() - t0) * 1000
                if r.status_code == 201:
                    mine.append(elapsed)
                else:
                    bad += 1
            with lock:
                latencies.extend(mine)
                errors += bad
            done_gate.wait()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.perf_counter()
    done_gate.wait()
    seconds = time.perf_counter() - t0
    for t in threads:
        t.join()
    return Result(clients, clients * per_client, errors, seconds, latencies)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def scratch_postgres(admin_url: str | None) -> Iterator[str | None]:
    """A throw-away PostgreSQL database created next to ``admin_url`` and dropped afterwards."""
    if not admin_url:
        yield None
        return
    from sqlalchemy import create_engine, text

    url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"dingmi_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def local_service(workers: int, database_url: str | None) -> Iterator[tuple[str, str]]:
    """A ``dingmi serve`` process on a private temporary data directory; yields (url, token)."""
    with tempfile.TemporaryDirectory(prefix="dingmi-bench-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir(mode=0o700)
        env = {**os.environ, "DINGMI_DATA_DIR": str(data)}
        env.pop("DINGMI_DATABASE_URL", None)
        if database_url:
            env["DINGMI_DATABASE_URL"] = database_url
        cli = [sys.executable, "-m", "dingmi"]
        added = subprocess.run(
            [*cli, "users", "add", "bench", "--role", "drafter"], capture_output=True, text=True, env=env
        )
        if added.returncode != 0:
            raise SystemExit(added.stderr.strip())
        token = added.stdout.strip().splitlines()[-1]
        port = free_port()
        proc = subprocess.Popen(
            [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (
                        httpx.get(f"{url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=1).status_code
                        == 200
                    ):
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"服务未能启动：{proc.stderr.read() if proc.stderr else ''}")
                time.sleep(0.1)
            yield url, token
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def print_table(results: list[Result], chars: int, backend: str, workers: int) -> None:
    print(f"POST /v1/suggestions, {chars}-character document, {backend}, {workers} worker(s), {os.cpu_count()} CPU(s)")
    header = f"{'clients':>7} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'req/s':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.clients:>7} {r.requests:>8} {r.errors:>6} {r.percentile(0.50):>8.1f} {r.percentile(0.95):>8.1f} "
            f"{max(r.latencies_ms, default=float('nan')):>8.1f} {r.throughput:>8.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8,32", help="comma-separated concurrency levels")
    parser.add_argument(
        "--requests", type=int, default=400, help="measured requests per level (at least one per client)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests per client before each level")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the local service")
    parser.add_argument("--chars", type=int, default=DOC_CHARS)
    parser.add_argument(
        "--postgres", metavar="URL", help="run the local service on a scratch database of this PostgreSQL server"
    )
    parser.add_argument("--url", help="benchmark this running service instead of starting one")
    parser.add_argument("--token", help="drafter token for --url")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    text = document(args.chars)
    body = {"text": text, "title": "统计数据质量核查通知"}
    backend = "PostgreSQL" if args.postgres else "SQLite"

    def measure(url: str, token: str) -> list[Result]:
        return [run_level(url, token, body, c, max(1, args.requests // c), args.warmup) for c in levels]

    if args.url:
        if not args.token:
            raise SystemExit("--url 需要同时提供 --token")
        results = measure(args.url, args.token)
        backend = args.url
    else:
        with scratch_postgres(args.postgres) as database_url, local_service(args.workers, database_url) as (url, token):
            results = measure(url, token)
    print_table(results, len(text), backend, args.workers)


if __name__ == "__main__":
    main()
