"""Benchmark: client overhead per request of a run (target: under 1 ms beyond the server's time).

Usage: python bench/run_overhead.py [--requests N] [--concurrency N] [--scenario NAME]

Starts the loopback chat server of the tests (tests/runs_server.py, on uvloop) in its own
process, then sends a suite of distinct prompts through the real run pipeline (plan, HTTP
client, SSE parser, retries, SQLite writes, progress bar) with 100 requests in flight. The
server records its own handling time per request, from the end of the request body to its last
byte written. Overhead per request is the run's recorded latency minus that handling time: it
covers building and sending the request, loopback transfer, parsing the stream and waiting for
the client's event loop.

The same requests are then sent by a baseline client that does nothing but write the request
and watch for the end of the answer (``run_baseline.py``). Its overhead is what this machine, the
kernel's loopback and the server's event loop cost any client; the difference between the two
is what modelvs adds. Prints the median, 95th percentile and maximum per scenario and client,
the client's CPU time per request and the load average, since other processes add delay.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httptools
import httpx
import uvloop

from modelvs.catalog.load import load_catalog
from modelvs.runs.endpoints import Endpoint
from modelvs.runs.execute import run_plan
from modelvs.runs.plan import RunOptions, plan_new_run
from modelvs.runs.store import RunStore
from modelvs.runs.suite import load_suite
from modelvs.store.db import make_engine, upgrade
from run_baseline import run_baseline

ROOT = Path(__file__).resolve().parents[1]
CATALOG_MODEL = "qwen3-vl-4b-instruct"


@dataclass(frozen=True)
class Scenario:
    """How the server answers: content chunks per answer and the pause before each."""

    name: str
    chunks: int
    chunk_delay_s: float


SCENARIOS = {
    # About 50 tokens per second for 32 tokens: a short answer from a real server.
    "streaming": Scenario("streaming", chunks=32, chunk_delay_s=0.02),
    # The server answers at once: the client's work is all there is, the worst case.
    "immediate": Scenario("immediate", chunks=32, chunk_delay_s=0.0),
}


@dataclass(frozen=True)
class Result:
    client: str
    scenario: Scenario
    requests: int
    elapsed_s: float
    client_cpu_s: float
    overhead_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.overhead_ms)

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.overhead_ms)

    @property
    def p95_ms(self) -> float:
        values = sorted(self.overhead_ms)
        return values[int(len(values) * 0.95)]


def start_server(scenario: Scenario) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "tests.runs_server", "--chunks", str(scenario.chunks)]
    command += ["--chunk-delay-s", str(scenario.chunk_delay_s), "--uvloop"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    port = int(server.stdout.readline())
    return server, f"http://127.0.0.1:{port}/v1"


def server_times(base_url: str) -> dict[str, float]:
    """Return the server's handling time of each request, by prompt text, in seconds."""
    records = httpx.get(base_url.removesuffix("/v1") + "/_records", timeout=30).json()
    return {record["prompt"]: record["handling_s"] for record in records}


def write_suite(folder: Path, prefix: str, count: int) -> Path:
    lines = [f"id: {prefix}", "prompts:"]
    lines += [
        f"  - {{id: p{i}, category: bench, text: '{prefix} prompt {i}'}}" for i in range(count)
    ]
    path = folder / f"{prefix}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def measure_modelvs(scenario: Scenario, requests: int, concurrency: int, folder: Path) -> Result:
    server, base_url = start_server(scenario)
    engine = make_engine(f"sqlite:///{folder / f'{scenario.name}.sqlite3'}")
    try:
        upgrade(engine)
        store = RunStore(engine)
        catalog = load_catalog()
        endpoint = Endpoint(name="bench", base_url=base_url, model="m", catalog_model=CATALOG_MODEL)
        options = RunOptions(concurrency=concurrency, retries=0, timeout_s=30)

        # A warm-up run loads every code path once; the timed run opens its own connections.
        warm = write_suite(folder, f"warm-{scenario.name}", concurrency * 2)
        warm_plan = plan_new_run(store, catalog, load_suite(warm), [endpoint], options)
        run_plan(warm_plan, store, {"bench": None}, show_progress=False)

        suite = write_suite(folder, f"timed-{scenario.name}", requests)
        plan = plan_new_run(store, catalog, load_suite(suite), [endpoint], options)
        cpu_started_s = time.process_time()
        report = run_plan(plan, store, {"bench": None}, show_progress=True)
        cpu_s = time.process_time() - cpu_started_s
        if report.failed:
            raise SystemExit(f"{report.failed} requests failed; see modelvs runs show")

        handling_s = server_times(base_url)
        details = store.details(plan.run_id)
        texts = {prompt.prompt_id: prompt.text for prompt in details.prompts}
        overhead_ms = [
            ((item.latency_s or 0) - handling_s[texts[item.prompt_id]]) * 1000
            for item in details.items
        ]
        return Result("modelvs", scenario, requests, report.elapsed_s, cpu_s, overhead_ms)
    finally:
        engine.dispose()
        server.terminate()
        server.wait(10)


def measure_baseline(scenario: Scenario, requests: int, concurrency: int) -> Result:
    server, base_url = start_server(scenario)
    try:
        run_baseline(base_url, [f"warm prompt {i}" for i in range(concurrency * 2)], concurrency)
        prompts = [f"timed prompt {i}" for i in range(requests)]
        started_s = time.perf_counter()
        latencies, cpu_s = run_baseline(base_url, prompts, concurrency)
        elapsed_s = time.perf_counter() - started_s
        handling_s = server_times(base_url)
        overhead_ms = [(latencies[p] - handling_s[p]) * 1000 for p in prompts]
        return Result("baseline", scenario, requests, elapsed_s, cpu_s, overhead_ms)
    finally:
        server.terminate()
        server.wait(10)


def print_result(result: Result) -> None:
    values = sorted(result.overhead_ms)
    print(
        f"  {result.client}: {result.requests} requests in {result.elapsed_s:.1f} s"
        f" ({result.requests / result.elapsed_s:.0f}/s),"
        f" client CPU {result.client_cpu_s / result.requests * 1000:.2f} ms per request"
    )
    print(
        f"    overhead per request: median {result.median_ms:.3f} ms"
        f"  mean {result.mean_ms:.3f} ms  p95 {result.p95_ms:.3f} ms"
        f"  max {values[-1]:.3f} ms  min {values[0]:.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="Timed requests (default 2000).")
    parser.add_argument(
        "--concurrency", type=int, default=100, help="Requests in flight (default 100)."
    )
    parser.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        action="append",
        help="Scenario to run; repeat for several (default: all).",
    )
    args = parser.parse_args()

    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs,"
        f" {args.concurrency} requests in flight, httptools {httptools.__version__},"
        f" uvloop {uvloop.__version__}, {time.strftime('%Y-%m-%d')},"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for name in args.scenario or list(SCENARIOS):
            scenario = SCENARIOS[name]
            print(
                f"{scenario.name}: {scenario.chunks} chunks,"
                f" {scenario.chunk_delay_s * 1000:g} ms apart"
            )
            ours = measure_modelvs(scenario, args.requests, args.concurrency, Path(folder))
            print_result(ours)
            floor = measure_baseline(scenario, args.requests, args.concurrency)
            print_result(floor)
            print(
                f"  added by modelvs: median {ours.median_ms - floor.median_ms:.3f} ms,"
                f" mean {ours.mean_ms - floor.mean_ms:.3f} ms,"
                f" p95 {ours.p95_ms - floor.p95_ms:.3f} ms"
            )
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
