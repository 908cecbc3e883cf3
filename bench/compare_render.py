"""Benchmark: compute and render one comparison to HTML (target: median under 2 ms).

Usage: python bench/compare_render.py [--rounds N] [--pair A B]
Prints the median, 95th percentile and minimum over the rounds, after a warm-up, for the
seed pair of the real catalog. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import time

from modelvs.catalog.load import load_catalog
from modelvs.compare.build import compare
from modelvs.render.html import render_html

AS_OF = dt.date(2026, 12, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000, help="Timed rounds (default 2000).")
    parser.add_argument(
        "--pair",
        nargs=2,
        default=["deepseek-vl2-small", "qwen3-vl-4b-instruct"],
        metavar="MODEL",
        help="The two models to compare.",
    )
    args = parser.parse_args()

    catalog = load_catalog()
    models = [catalog.find_model(name) for name in args.pair]
    for _ in range(200):
        render_html(compare(catalog, models, AS_OF))

    timings_ms = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        page = render_html(compare(catalog, models, AS_OF))
        timings_ms.append((time.perf_counter() - started) * 1000)

    timings_ms.sort()
    p95 = timings_ms[int(len(timings_ms) * 0.95)]
    print(f"compare + render HTML, {' vs '.join(args.pair)} ({len(page):,} bytes)")
    print(f"python {platform.python_version()} on {platform.machine()}, {args.rounds} rounds")
    print(
        f"median {statistics.median(timings_ms):.3f} ms  p95 {p95:.3f} ms"
        f"  min {timings_ms[0]:.3f} ms"
    )


if __name__ == "__main__":
    main()
