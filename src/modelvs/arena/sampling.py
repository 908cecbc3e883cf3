"""Pick the two models of a new battle, favouring models with few votes.

Each eligible model is drawn with weight ``1 / sqrt(1 + votes)``, so a model with no votes has
10 times the weight of one with 99 votes. New models thus reach a stable rating sooner, while
well-measured models keep appearing. The second model is drawn from the rest with the same
weights, and a fair coin then decides which of the two is shown as side A.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from modelvs.arena.errors import NotEnoughModelsError


@dataclass(frozen=True, slots=True)
class Pairing:
    """The two models of a battle, in the order shown, and the seed that drew them."""

    model_a: str
    model_b: str
    seed: int


def sampling_weight(votes: int) -> float:
    return 1.0 / math.sqrt(1.0 + max(votes, 0))


def pick_pair(eligible: Sequence[str], votes: Mapping[str, int], seed: int) -> Pairing:
    """Draw two different models from ``eligible``; the same inputs and seed give the same pair.

    ``votes`` maps a model to its counted votes; a missing model has none.
    """
    models = sorted(set(eligible))
    if len(models) < 2:
        raise NotEnoughModelsError(
            f"a battle needs two different models that can answer, got {len(models)}"
            f" ({', '.join(models) or 'none'}); configure at least two models"
        )

    weights = np.array([sampling_weight(votes.get(model, 0)) for model in models])
    rng = np.random.default_rng(seed)
    first, second = rng.choice(len(models), size=2, replace=False, p=weights / weights.sum())
    if rng.random() < 0.5:
        first, second = second, first
    return Pairing(model_a=models[int(first)], model_b=models[int(second)], seed=seed)
