"""Votes that arrive together share one transaction, and each caller gets its own outcome."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from modelvs.arena.errors import BattleNotFoundError, DuplicateVoteError
from modelvs.arena.group_commit import GroupCommit
from modelvs.arena.service import ArenaService, _VoteRequest
from modelvs.catalog.catalog import Catalog
from modelvs.stats.battle_counts import Outcome
from modelvs.store.arena_tables import VoteRow
from modelvs.store.db import make_engine, upgrade

KEY = b"k" * 32
MODELS = ["alpha moe", "Beta-4B"]
WAIT_S = 10


class GatedWriter:
    """A write_batch that records each batch and holds the first one until released."""

    def __init__(self, outcome: Callable[[int], int | Exception]) -> None:
        self.outcome = outcome
        self.batches: list[list[int]] = []
        self.first_started = threading.Event()
        self.release = threading.Event()

    def __call__(self, requests: Sequence[int]) -> list[int | Exception]:
        if not self.batches:
            self.first_started.set()
            assert self.release.wait(WAIT_S)
        self.batches.append(list(requests))
        return [self.outcome(request) for request in requests]


def submit_all(
    commit: GroupCommit[int, int], writer: GatedWriter, requests: Sequence[int]
) -> dict[int, int | Exception]:
    """Submit the first request, then the others while its write is held; return outcomes."""
    outcomes: dict[int, int | Exception] = {}

    def call(request: int) -> None:
        try:
            outcomes[request] = commit.submit(request)
        except Exception as exc:
            outcomes[request] = exc

    threads = [threading.Thread(target=call, args=(request,)) for request in requests]
    threads[0].start()
    assert writer.first_started.wait(WAIT_S)
    for thread in threads[1:]:
        thread.start()
    # Every later caller is waiting once none of them can be running a write.
    time.sleep(0.3)
    writer.release.set()
    for thread in threads:
        thread.join(WAIT_S)
    return outcomes


def test_waiting_requests_share_one_batch() -> None:
    writer = GatedWriter(lambda request: request * 2)
    commit: GroupCommit[int, int] = GroupCommit(writer, max_batch=64)
    outcomes = submit_all(commit, writer, list(range(11)))

    assert outcomes == {request: request * 2 for request in range(11)}
    assert writer.batches[0] == [0]
    assert sorted(writer.batches[1]) == list(range(1, 11))
    assert len(writer.batches) == 2


def test_batches_are_capped() -> None:
    writer = GatedWriter(lambda request: request)
    commit: GroupCommit[int, int] = GroupCommit(writer, max_batch=4)
    outcomes = submit_all(commit, writer, list(range(11)))

    assert outcomes == {request: request for request in range(11)}
    assert [len(batch) for batch in writer.batches] == [1, 4, 4, 2]


def test_each_caller_gets_its_own_error() -> None:
    def odd_fails(request: int) -> int | Exception:
        return ValueError(f"request {request}") if request % 2 else request

    writer = GatedWriter(odd_fails)
    commit: GroupCommit[int, int] = GroupCommit(writer)
    outcomes = submit_all(commit, writer, list(range(6)))

    for request, outcome in outcomes.items():
        if request % 2:
            assert isinstance(outcome, ValueError)
            assert str(outcome) == f"request {request}"
        else:
            assert outcome == request


def test_failed_batch_fails_own_callers() -> None:
    calls = 0

    def fails_once(requests: Sequence[int]) -> list[int | Exception]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("disk full")
        return list(requests)

    commit: GroupCommit[int, int] = GroupCommit(fails_once)
    with pytest.raises(OSError, match="disk full"):
        commit.submit(1)
    # The writer's role was handed back, so the next call writes.
    assert commit.submit(2) == 2


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch must be at least 1, not 0"):
        GroupCommit(lambda requests: list(requests), max_batch=0)


@pytest.fixture
def engine(database_url: str) -> Engine:
    engine = make_engine(database_url)
    upgrade(engine)
    return engine


def vote_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(VoteRow)) or 0)


def test_two_workers_voting_on_the_same_battles(engine: Engine, catalog: Catalog) -> None:
    # Two services on one database are two web workers: each has its own group commit.
    workers = [ArenaService(engine, catalog, KEY) for _ in range(2)]
    battles = [workers[0].create_battle(f"question {i}", MODELS, None) for i in range(20)]
    stored: list[str] = []
    duplicates: list[str] = []
    start = threading.Barrier(8)

    def vote(service: ArenaService, offset: int) -> None:
        start.wait()
        for index in range(len(battles)):
            battle = battles[(index + offset) % len(battles)]
            try:
                service.record_vote(battle.id, "model_a")
                stored.append(battle.id)
            except DuplicateVoteError:
                duplicates.append(battle.id)

    threads = [
        threading.Thread(target=vote, args=(workers[index % 2], index * 3)) for index in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 6)

    assert sorted(stored) == sorted(battle.id for battle in battles)
    assert len(duplicates) == 7 * len(battles)
    assert vote_count(engine) == len(battles)
    engine.dispose()


def test_unique_conflict_stores_other_votes(engine: Engine, catalog: Catalog) -> None:
    service = ArenaService(engine, catalog, KEY)
    voted_elsewhere = service.create_battle("first", MODELS, None)
    open_battle = service.create_battle("second", MODELS, None)
    # A vote row that another worker stored after this batch read the battle as pending.
    with Session(engine) as session, session.begin():
        session.add(
            VoteRow(
                battle_id=voted_elsewhere.id,
                outcome="model_a",
                created_at=open_battle.created_at,
                excluded=False,
                exclusion_reason=None,
            )
        )

    outcomes = service._store_votes(
        [
            _VoteRequest(voted_elsewhere.id, Outcome.MODEL_B, None),
            _VoteRequest("no-such-battle", Outcome.MODEL_B, None),
            _VoteRequest(open_battle.id, Outcome.MODEL_B, None),
        ]
    )
    assert isinstance(outcomes[0], DuplicateVoteError)
    assert isinstance(outcomes[1], BattleNotFoundError)
    assert not isinstance(outcomes[2], Exception)
    assert outcomes[2].battle_id == open_battle.id
    assert vote_count(engine) == 2
    engine.dispose()
