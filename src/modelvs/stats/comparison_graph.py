"""Checks on the comparison graph that decide whether Bradley-Terry ratings are finite.

The maximum-likelihood ratings exist and are unique exactly when the directed graph with an
edge ``i -> j`` whenever ``i`` took points off ``j`` (a win, or a tie as half a win) is strongly
connected (Zermelo 1929; Ford 1957). There are two kinds of failure:

- the undirected graph is disconnected: nothing links the groups, so their ratings cannot be
  compared at all;
- the graph is connected but not strongly connected: some group of models never lost a point
  to the models outside it (its ratings would grow without bound) or never took one from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from modelvs.stats.battle_counts import FIRST_WON, SECOND_WON, TIED, BattleCounts

Group = tuple[str, ...]


@dataclass(frozen=True)
class Separation:
    """Groups of models whose maximum-likelihood ratings are infinite."""

    # Groups that won every battle against the models outside the group (no loss, no tie).
    undefeated: tuple[Group, ...]
    # Groups that lost every battle against the models outside the group (no win, no tie).
    winless: tuple[Group, ...]

    def __bool__(self) -> bool:
        return bool(self.undefeated or self.winless)

    def describe(self) -> str:
        """Describe each group in one sentence that names its models."""
        sentences = [_group_sentence(group, "won") for group in self.undefeated]
        sentences += [_group_sentence(group, "lost") for group in self.winless]
        return " ".join(sentences)


def _group_sentence(group: Group, verb: str) -> str:
    if len(group) == 1:
        return f"{group[0]!r} {verb} every battle it took part in."
    names = ", ".join(repr(name) for name in group)
    return f"The group {names} {verb} every battle against models outside the group."


def components(counts: BattleCounts) -> tuple[Group, ...]:
    """Return the connected components of the undirected comparison graph, largest first."""
    size = len(counts.models)
    played = counts.battles_per_pair() > 0
    graph = _adjacency(counts.first[played], counts.second[played], size)
    count, labels = connected_components(graph, directed=False)
    return _groups(counts.models, labels, range(count))


def separation(counts: BattleCounts) -> Separation:
    """Find the groups of a connected graph that never lost, or never won, against the rest."""
    size = len(counts.models)
    outcomes = counts.outcomes
    first_scored = (outcomes[:, FIRST_WON] + outcomes[:, TIED]) > 0
    second_scored = (outcomes[:, SECOND_WON] + outcomes[:, TIED]) > 0

    # Edge winner -> loser: the winner took points off the loser.
    sources = np.concatenate([counts.first[first_scored], counts.second[second_scored]])
    targets = np.concatenate([counts.second[first_scored], counts.first[second_scored]])
    graph = _adjacency(sources, targets, size)
    count, labels = connected_components(graph, directed=True, connection="strong")
    if count == 1:
        return Separation(undefeated=(), winless=())

    # In the graph of components, a group that no outside model took points from has no
    # incoming edge, and a group that took no points from outside has no outgoing edge.
    crossing = labels[sources] != labels[targets]
    has_incoming = np.zeros(count, dtype=bool)
    has_outgoing = np.zeros(count, dtype=bool)
    has_incoming[labels[targets[crossing]]] = True
    has_outgoing[labels[sources[crossing]]] = True
    return Separation(
        undefeated=_groups(counts.models, labels, np.flatnonzero(~has_incoming)),
        winless=_groups(counts.models, labels, np.flatnonzero(~has_outgoing)),
    )


def _adjacency(
    sources: npt.NDArray[np.intp], targets: npt.NDArray[np.intp], size: int
) -> csr_matrix:
    weights = np.ones(len(sources), dtype=np.int8)
    return csr_matrix((weights, (sources, targets)), shape=(size, size))


def _groups(
    models: tuple[str, ...], labels: npt.NDArray[np.int32], chosen: range | npt.NDArray[np.intp]
) -> tuple[Group, ...]:
    groups = [tuple(models[i] for i in np.flatnonzero(labels == label)) for label in chosen]
    return tuple(sorted(groups, key=lambda group: (-len(group), group)))
