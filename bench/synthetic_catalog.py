"""Write a synthetic catalog of N models for benchmarks (seeded, fictional values).

Usage: python bench/synthetic_catalog.py DIR [--models N] [--seed S]
The registry, organizations and providers are copied from data/; every model gets realistic
fields and 10 to 20 scores on random registry variants, with one fictional source.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def model_document(
    index: int, rng: random.Random, variants: list[dict[str, object]], organizations: list[str]
) -> dict[str, object]:
    organization = organizations[index % len(organizations)]
    moe = rng.random() < 0.3
    total = round(
        rng.choice([1, 2, 3, 4, 7, 8, 12, 14, 27, 32, 72, 110, 235]) * rng.uniform(0.9, 1.1), 2
    )
    slug = f"synthetic-{index:04d}-{max(1, round(total))}b"
    scores = []
    for variant in rng.sample(variants, rng.randint(10, 20)):
        scale = float(variant["scale_max"])  # type: ignore[arg-type]
        scores.append(
            {
                "variant": variant["id"],
                "value": round(rng.uniform(0.2, 0.95) * scale, 1),
                "source": "card",
            }
        )
    document: dict[str, object] = {
        "slug": slug,
        "name": f"Synthetic {index:04d} {total:g}B",
        "aliases": [f"synthetic/{slug}"],
        "organization": organization,
        "family": f"synthetic-family-{index // 6}",
        "sources": {
            "card": {
                "url": f"https://example.org/{slug}",
                "title": f"{slug} card",
                "kind": "self-reported",
                "retrieved": "2026-12-01",
            }
        },
        "release": {
            "date": f"202{rng.randint(3, 6)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "marks": "weights",
            "source": "card",
        },
        "architecture": {"value": "mixture-of-experts" if moe else "dense", "source": "card"},
        "parameters": {"total_billions": {"value": total, "source": "card"}},
        "context": {
            "input_tokens": {"value": rng.choice([4096, 32768, 131072, 262144]), "source": "card"}
        },
        "modalities": {
            "input": {"value": ["text", "image"], "source": "card"},
            "output": {"value": ["text"], "source": "card"},
        },
        "license": {
            "weights": {
                "name": "Apache License 2.0",
                "spdx": "Apache-2.0",
                "category": "permissive",
                "commercial_use": True,
                "source": "card",
            }
        },
        "open_weights": {"value": True, "source": "card"},
        "scores": scores,
    }
    if moe:
        active = round(total / rng.choice([4, 8, 10]), 2)
        document["parameters"] = {
            "total_billions": {"value": total, "source": "card"},
            "active_billions": {"value": active, "source": "card"},
        }
    if rng.random() < 0.5:
        document["prices"] = [
            {
                "provider": "openrouter",
                "input_usd_per_mtok": round(rng.uniform(0.05, 3), 3),
                "output_usd_per_mtok": round(rng.uniform(0.1, 12), 3),
                "date": "2026-11-01",
                "source": "card",
            }
        ]
    return document


def write_catalog(target: Path, models: int, seed: int) -> None:
    """Create ``target`` with the real registry and ``models`` synthetic model files."""
    if target.exists():
        shutil.rmtree(target)
    (target / "models").mkdir(parents=True)
    for name in ("benchmarks.yaml", "organizations.yaml", "providers.yaml"):
        shutil.copy(ROOT / "data" / name, target / name)
    registry = yaml.safe_load((ROOT / "data" / "benchmarks.yaml").read_text())
    variants = [v for b in registry["benchmarks"] for v in b["variants"]]
    orgs = [
        o["slug"]
        for o in yaml.safe_load((ROOT / "data" / "organizations.yaml").read_text())["organizations"]
    ]
    rng = random.Random(seed)
    for index in range(models):
        document = model_document(index, rng, variants, orgs)
        folder = target / "models" / str(document["organization"])
        folder.mkdir(exist_ok=True)
        (folder / f"{document['slug']}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--models", type=int, default=300, help="Number of models (default 300).")
    parser.add_argument("--seed", type=int, default=7, help="Random seed (default 7).")
    args = parser.parse_args()
    write_catalog(args.directory, args.models, args.seed)
    print(f"wrote {args.models} synthetic models to {args.directory}")


if __name__ == "__main__":
    main()
