"""Benchmark: static export of every pair of a synthetic 300-model catalog (target < 60 s).

Usage: python bench/export_site.py [--models N] [--jobs J]
Writes the synthetic catalog and the exported site under a temporary directory, prints the
time and file count, and removes both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

from modelvs.web.export import export_site
from synthetic_catalog import write_catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=300, help="Synthetic models (default 300).")
    parser.add_argument("--jobs", type=int, default=0, help="Worker processes; 0 = one per core.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="modelvs-export-"))
    try:
        write_catalog(work / "data", args.models, seed=7)
        summary = export_site(work / "data", work / "site", dt.date(2026, 12, 4), jobs=args.jobs)
        size_mb = sum(f.stat().st_size for f in (work / "site").rglob("*") if f.is_file()) / 1e6
        print(
            f"exported {summary.pairs:,} comparison pages, {summary.files:,} files,"
            f" {size_mb:,.0f} MB, in {summary.seconds:.1f} s on {os.cpu_count()} cores"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
