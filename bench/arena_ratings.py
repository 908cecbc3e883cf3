"""Benchmark: arena ratings from 2M raw battle rows among 200 models.

Usage: python bench/arena_ratings.py [--rows N] [--models M] [--seed S] [--repeats R]

Targets: ratings, 95% intervals and ranks in under 0.5 s end to end from the raw rows, and 100
bootstrap rounds in under 3 s. End to end, modelvs must be at least 2x as fast as the faster of
arena-rank and evalica (run on the same rows in the same process), with ratings within 0.05
Elo of both.

The rows are three columns of Python strings (model_a, model_b, winner), as parsed from a JSON
file: the script generates them, writes them to JSON and parses them back, so every row holds
its own string objects (no shared, pre-hashed names). Winners follow Bradley-Terry with true
strengths drawn from N(0, 1) natural-log units; 20% of the close battles are ties, split
between "tie" and "tie (bothbad)". Each tool's time is the median of --repeats runs after one
warm-up run (JAX compiles arena-rank's functions on its first run; that time is printed apart).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelvs.stats.battle_counts import count_battles
from modelvs.stats.ratings import MEAN_RATING, RatingOptions, Ratings, rate_models

Columns = dict[str, list[str]]


@dataclass
class Timing:
    first_s: float
    median_s: float
    min_s: float
    # CPU seconds of the whole process (every thread), which other load on the machine
    # inflates less than wall time.
    cpu_median_s: float
    result: Any

    def line(self) -> str:
        return f"{self.median_s:.3f} s (min {self.min_s:.3f} s, CPU {self.cpu_median_s:.3f} s)"


def generate_rows(rows: int, models: int, seed: int) -> Columns:
    """Seeded synthetic battles, returned as freshly parsed JSON columns."""
    rng = np.random.default_rng(seed)
    names = [f"org-{i % 23}/model-{i:03d}-chat" for i in range(models)]
    strength = rng.normal(0.0, 1.0, models)
    side_a = rng.integers(0, models, rows)
    side_b = (side_a + rng.integers(1, models, rows)) % models

    p_a = 1.0 / (1.0 + np.exp(strength[side_b] - strength[side_a]))
    # Ties take probability 0.4 * min(p, 1 - p), half from each side's wins, which keeps the
    # expected score of model_a at p. Ties are split between the two tie labels.
    tie = 0.4 * np.minimum(p_a, 1.0 - p_a)
    draw = rng.random(rows)
    labels = np.where(draw < p_a - tie / 2, 0, np.where(draw < p_a + tie / 2, 2, 1))
    labels = np.where((labels == 2) & (rng.random(rows) < 0.5), 3, labels)
    winner_names = ["model_a", "model_b", "tie", "tie (bothbad)"]

    columns = {
        "model_a": [names[i] for i in side_a],
        "model_b": [names[i] for i in side_b],
        "winner": [winner_names[i] for i in labels],
    }
    parsed: Columns = json.loads(json.dumps(columns))
    return parsed


def timed(function: Callable[[], Any], repeats: int) -> Timing:
    started = time.perf_counter()
    result = function()
    first_s = time.perf_counter() - started
    durations, cpu_durations = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        cpu_started = time.process_time()
        result = function()
        durations.append(time.perf_counter() - started)
        cpu_durations.append(time.process_time() - cpu_started)
    return Timing(
        first_s,
        statistics.median(durations),
        min(durations),
        statistics.median(cpu_durations),
        result,
    )


def modelvs_sandwich(columns: Columns) -> Ratings:
    counts = count_battles(columns["model_a"], columns["model_b"], columns["winner"])
    return rate_models(counts)


def modelvs_bootstrap(columns: Columns, seed: int) -> Ratings:
    counts = count_battles(columns["model_a"], columns["model_b"], columns["winner"])
    return rate_models(counts, RatingOptions(interval="bootstrap", bootstrap_rounds=100, seed=seed))


def arena_rank_sandwich(columns: Columns) -> dict[str, tuple[float, float, float]]:
    """arena-rank 0.1.1: PairDataset.from_pandas, then BradleyTerry's sandwich intervals."""
    import pandas as pd
    from arena_rank.models.bradley_terry import BradleyTerry
    from arena_rank.utils.data_utils import PairDataset

    frame = pd.DataFrame(columns)
    dataset = PairDataset.from_pandas(frame)
    model = BradleyTerry(n_competitors=len(dataset.competitors))
    result = model.compute_ratings_and_cis(dataset, ci_method="sandwich")
    ratings = np.asarray(result["ratings"])
    lower = np.asarray(result["rating_lower"])
    upper = np.asarray(result["rating_upper"])
    return {
        name: (float(ratings[i]), float(lower[i]), float(upper[i]))
        for i, name in enumerate(result["competitors"])
    }


def evalica_ratings(columns: Columns) -> dict[str, float]:
    """evalica 0.4.2 Bradley-Terry (Rust solver), scores turned into mean-1000 Elo ratings.

    Evalica returns strengths ``pi`` with geometric mean 1, so ``400 log10(pi)`` has mean 0.
    Its default tolerance (1e-6, at most 100 iterations) already agrees with modelvs within
    1e-5 Elo on these rows, so the defaults are kept.
    """
    import evalica

    winner_of = {
        "model_a": evalica.Winner.X,
        "model_b": evalica.Winner.Y,
        "tie": evalica.Winner.Draw,
        "tie (bothbad)": evalica.Winner.Draw,
    }
    winners = list(map(winner_of.__getitem__, columns["winner"]))
    result = evalica.bradley_terry(columns["model_a"], columns["model_b"], winners)
    elo = 400.0 * np.log10(result.scores.to_numpy())
    elo = elo - elo.mean() + MEAN_RATING
    return dict(zip(result.scores.index, elo.tolist(), strict=True))


def max_gap(ours: Ratings, theirs: dict[str, float]) -> float:
    return max(abs(rating.rating - theirs[rating.model]) for rating in ours.models)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="Battle rows (default 2M).")
    parser.add_argument("--models", type=int, default=200, help="Models (default 200).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the rows and bootstrap.")
    parser.add_argument("--repeats", type=int, default=5, help="Timed runs per tool (default 5).")
    args = parser.parse_args()

    columns = generate_rows(args.rows, args.models, args.seed)
    print(f"{args.rows:,} rows, {args.models} models, seed {args.seed}")
    print(f"python {platform.python_version()} on {platform.machine()}, median of {args.repeats}")
    print("load average over 1, 5, 15 min: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))

    ours = timed(lambda: modelvs_sandwich(columns), args.repeats)
    boot = timed(lambda: modelvs_bootstrap(columns, args.seed), max(1, args.repeats // 2))
    arena = timed(lambda: arena_rank_sandwich(columns), args.repeats)
    evalica_run = timed(lambda: evalica_ratings(columns), args.repeats)

    arena_ratings = {name: values[0] for name, values in arena.result.items()}
    interval_gap = max(
        max(abs(r.lower - arena.result[r.model][1]), abs(r.upper - arena.result[r.model][2]))
        for r in ours.result.models
    )
    faster = min(arena.median_s, evalica_run.median_s)
    report = [
        ("modelvs ratings + sandwich intervals + ranks", f"{ours.line()}, target < 0.5 s"),
        ("modelvs with 100 bootstrap rounds", f"{boot.line()}, target < 3 s"),
        ("arena-rank ratings + sandwich intervals", arena.line()),
        ("arena-rank first run, with JAX compilation", f"{arena.first_s:.3f} s"),
        ("evalica ratings only", evalica_run.line()),
        ("speed-up over the faster tool (medians)", f"{faster / ours.median_s:.1f}x, target >= 2"),
        ("max rating gap to arena-rank", f"{max_gap(ours.result, arena_ratings):.4f} Elo"),
        ("max rating gap to evalica", f"{max_gap(ours.result, evalica_run.result):.4f} Elo"),
        ("max interval bound gap to arena-rank", f"{interval_gap:.4f} Elo"),
    ]
    for label, value in report:
        print(f"{label:<46}{value}")


if __name__ == "__main__":
    main()
