"""Benchmark: client overhead per request of a run (target: under 1 ms beyond the server's time).

Usage: python bench/run_overhead.py [--requests N] [--concurrency N] [--scenario NAME]
       [--rounds N] [--server-loop uvloop|asyncio] [--pin]

Starts the loopback chat server of the tests (tests/runs_server.py) in its own process, then
sends a suite of distinct prompts through the real run pipeline (plan, HTTP client, SSE
parser, retries, SQLite writes, progress bar) with 100 requests in flight. The server records
its own handling time per request, from the end of the request body to its last byte written.
Overhead per request is the run's recorded latency minus that handling time.

In each round the same number of requests also goes through a bare client that only writes
the request and watches for the end of the answer (``run_baseline.py``), against the same
server and in alternating order. Its overhead is what loopback, process wake-ups and the
server's event loop cost any client on this machine. The difference is what modelvs adds.
Prints, per round and client, the median, mean, 95th percentile and extremes, the client's CPU
time per request, and the load average, because other processes add delay. With --pin the
server runs on the last CPU and the clients on the others (Linux only).
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
from importlib.metadata import version
from pathlib import Path

import httptools
import httpx

from modelvs.catalog.catalog import Catalog
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


def start_server(
    scenario: Scenario, loop: str, cpus: set[int] | None
) -> tuple[subprocess.Popen[str], str]:
    """Start the loopback server, on ``cpus`` only when given; return it and its base URL."""
    command = [sys.executable, "-m", "tests.runs_server", "--chunks", str(scenario.chunks)]
    command += ["--chunk-delay-s", str(scenario.chunk_delay_s)]
    if loop == "uvloop":
        command.append("--uvloop")
    # Set in the child before it starts, so that every thread of the server inherits it.
    pin = None if cpus is None else lambda: os.sched_setaffinity(0, cpus)
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, preexec_fn=pin)
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


@dataclass
class Bench:
    """One server and one run store, shared by every round of a scenario."""

    scenario: Scenario
    requests: int
    concurrency: int
    folder: Path
    base_url: str
    store: RunStore
    endpoint: Endpoint
    catalog: Catalog

    def send_modelvs(self, prefix: str, count: int, show_progress: bool) -> Result:
        """Send ``count`` prompts through the run pipeline and measure their overhead."""
        options = RunOptions(concurrency=self.concurrency, retries=0, timeout_s=30)
        suite = load_suite(write_suite(self.folder, prefix, count))
        plan = plan_new_run(self.store, self.catalog, suite, [self.endpoint], options)
        cpu_started_s = time.process_time()
        report = run_plan(plan, self.store, {"bench": None}, show_progress=show_progress)
        cpu_s = time.process_time() - cpu_started_s
        if report.failed:
            raise SystemExit(f"{report.failed} requests failed; see modelvs runs show")

        details = self.store.details(plan.run_id)
        texts = {prompt.prompt_id: prompt.text for prompt in details.prompts}
        latencies = {texts[item.prompt_id]: item.latency_s or 0.0 for item in details.items}
        return self._result("modelvs", latencies, report.elapsed_s, cpu_s)

    def send_baseline(self, prefix: str, count: int) -> Result:
        """Send ``count`` prompts with the bare client and measure their overhead."""
        prompts = [f"{prefix} prompt {i}" for i in range(count)]
        started_s = time.perf_counter()
        latencies, cpu_s = run_baseline(self.base_url, prompts, self.concurrency)
        return self._result("baseline", latencies, time.perf_counter() - started_s, cpu_s)

    def _result(
        self, client: str, latencies: dict[str, float], elapsed_s: float, cpu_s: float
    ) -> Result:
        handling_s = server_times(self.base_url)
        overhead_ms = [(latencies[p] - handling_s[p]) * 1000 for p in latencies]
        return Result(client, self.scenario, len(latencies), elapsed_s, cpu_s, overhead_ms)


def measure(args: argparse.Namespace, scenario: Scenario, folder: Path) -> None:
    """Run both clients in alternating rounds against one server and print each round."""
    server, base_url = start_server(scenario, args.server_loop, args.server_cpus)
    engine = make_engine(f"sqlite:///{folder / f'{scenario.name}.sqlite3'}")
    try:
        upgrade(engine)
        endpoint = Endpoint(name="bench", base_url=base_url, model="m", catalog_model=CATALOG_MODEL)
        bench = Bench(
            scenario,
            args.requests,
            args.concurrency,
            folder,
            base_url,
            RunStore(engine),
            endpoint,
            load_catalog(),
        )

        # Warm-up: every code path runs once. Each timed round opens its own connections.
        bench.send_modelvs(f"warm-{scenario.name}", args.concurrency * 2, show_progress=False)
        bench.send_baseline(f"warm-{scenario.name}", args.concurrency * 2)

        added: list[tuple[float, float, float]] = []
        for number in range(args.rounds):
            # The order alternates, so that neither client always runs after the other.
            prefix = f"{scenario.name}-{number}"
            if number % 2 == 0:
                ours = bench.send_modelvs(f"{prefix}-modelvs", args.requests, show_progress=True)
                floor = bench.send_baseline(f"{prefix}-baseline", args.requests)
            else:
                floor = bench.send_baseline(f"{prefix}-baseline", args.requests)
                ours = bench.send_modelvs(f"{prefix}-modelvs", args.requests, show_progress=True)
            print(f" round {number + 1}")
            print_result(ours)
            print_result(floor)
            added.append(
                (
                    ours.median_ms - floor.median_ms,
                    ours.mean_ms - floor.mean_ms,
                    ours.p95_ms - floor.p95_ms,
                )
            )
            median, mean, p95 = added[-1]
            print(
                f"  added by modelvs: median {median:.3f} ms, mean {mean:.3f} ms, p95 {p95:.3f} ms"
            )

        medians, means, p95s = zip(*added, strict=True)
        print(
            f" {scenario.name}, added by modelvs over {args.rounds} rounds (median of rounds):"
            f" median {statistics.median(medians):.3f} ms, mean {statistics.median(means):.3f} ms,"
            f" p95 {statistics.median(p95s):.3f} ms"
        )
    finally:
        engine.dispose()
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
    parser.add_argument(
        "--rounds", type=int, default=3, help="Rounds of both clients per scenario (default 3)."
    )
    parser.add_argument(
        "--server-loop",
        choices=["uvloop", "asyncio"],
        default="uvloop",
        help="Event loop of the loopback server (default uvloop, as uvicorn-based servers use).",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="Run the server on the last CPU and the clients on the others, as when the model"
        " server has its own machine; without it, both share every CPU.",
    )
    args = parser.parse_args()
    args.server_cpus = None
    if args.pin:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            raise SystemExit("--pin needs at least 2 CPUs")
        args.server_cpus = {cpus[-1]}
        # Threads started later (the run's database writer) inherit this process's CPUs.
        os.sched_setaffinity(0, set(cpus[:-1]))

    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs,"
        f" {args.concurrency} requests in flight, httptools {httptools.__version__},"
        f" uvloop {version('uvloop')}, server on {args.server_loop},"
        f" {'server and clients on separate CPUs' if args.pin else 'CPUs shared'},"
        f" {time.strftime('%Y-%m-%d')},"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for name in args.scenario or list(SCENARIOS):
            scenario = SCENARIOS[name]
            print(
                f"{scenario.name}: {scenario.chunks} chunks,"
                f" {scenario.chunk_delay_s * 1000:g} ms apart"
            )
            measure(args, scenario, Path(folder))
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
