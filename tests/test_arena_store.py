"""The arena service and its tables on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from modelvs.arena import service as arena_service
from modelvs.arena.errors import (
    BattleClosedError,
    BattleNotFoundError,
    DuplicateVoteError,
    NotEnoughModelsError,
    VoteClientMismatchError,
)
from modelvs.arena.service import ArenaService, hash_client_id
from modelvs.catalog.catalog import Catalog
from modelvs.errors import UnknownModelError, UsageError
from modelvs.stats.battle_counts import Outcome
from modelvs.store.arena_tables import BattleRow, VoteRow
from modelvs.store.db import Base, make_engine, upgrade

KEY = b"test-client-hash-key"
MODELS = ["alpha moe", "Beta-4B", "gamma-api"]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def service(engine: Engine, catalog: Catalog) -> ArenaService:
    return ArenaService(engine, catalog, KEY)


def vote_rows(engine: Engine, battle_id: str) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(VoteRow).where(VoteRow.battle_id == battle_id)
        return int(session.scalar(query) or 0)


def test_migration_matches_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    arena = [d for d in differences if "arena_" in repr(d)]
    assert arena == []


def test_create_battle_stores_pending(service: ArenaService, engine: Engine) -> None:
    battle = service.create_battle("What is 2 + 2?", MODELS, "203.0.113.7", seed=42)
    assert battle.model_a != battle.model_b
    assert {battle.model_a, battle.model_b} <= {"alpha-moe-16b-a3b", "beta-4b", "gamma-api"}
    assert battle.state == "pending"
    assert battle.category == "text"
    assert battle.seed == 42

    with Session(engine) as session:
        row = session.get(BattleRow, battle.id)
        assert row is not None
        assert row.prompt == "What is 2 + 2?"
        assert row.client_id_hash == hash_client_id("203.0.113.7", KEY)
        assert "203.0.113.7" not in (row.client_id_hash or "")
        assert row.origin == "live"


def test_same_seed_same_pair(service: ArenaService) -> None:
    first = service.create_battle("Hello", MODELS, None, seed=7)
    second = service.create_battle("Hello", MODELS, None, seed=7)
    assert (first.model_a, first.model_b) == (second.model_a, second.model_b)
    assert first.id != second.id


def test_image_battle_gets_image_category(service: ArenaService) -> None:
    battle = service.create_battle("Describe this", MODELS, None, image_ref="uploads/cat.png")
    assert battle.category == "image"
    assert service.get_battle(battle.id).category == "image"


def test_battle_needs_two_models(service: ArenaService) -> None:
    with pytest.raises(NotEnoughModelsError, match="two different models"):
        service.create_battle("Hello", ["beta-4b", "Beta-4B"], None)


def test_battle_rejects_unknown_model(service: ArenaService) -> None:
    with pytest.raises(UnknownModelError, match="unknown model 'nobody'"):
        service.create_battle("Hello", ["beta-4b", "nobody"], None)


def test_battle_rejects_bad_input(service: ArenaService) -> None:
    with pytest.raises(UsageError, match="prompt is empty"):
        service.create_battle("   ", MODELS, None)
    with pytest.raises(UsageError, match="invalid category 'Text Only'"):
        service.create_battle("Hello", MODELS, None, category="Text Only")


def test_vote_is_committed(service: ArenaService, database_url: str) -> None:
    battle = service.create_battle("Name a prime number.", MODELS, "client-1")
    service.save_answers(battle.id, "Seven.", "Eleven is prime.")
    receipt = service.record_vote(battle.id, "model_b", client_id="client-1")
    assert receipt.outcome is Outcome.MODEL_B
    assert not receipt.excluded
    assert (receipt.model_a, receipt.model_b) == (battle.model_a, battle.model_b)

    # A new engine sees the vote: it was committed before record_vote returned.
    other = make_engine(database_url)
    assert vote_rows(other, battle.id) == 1
    with Session(other) as session:
        row = session.get(BattleRow, battle.id)
        assert row is not None
        assert row.state == "voted"
        assert row.answer_b == "Eleven is prime."
    other.dispose()


def test_second_vote_rejected(service: ArenaService, engine: Engine) -> None:
    battle = service.create_battle("Hello", MODELS, None)
    service.record_vote(battle.id, "tie")
    with pytest.raises(DuplicateVoteError, match="already has a vote"):
        service.record_vote(battle.id, "model_a")
    assert vote_rows(engine, battle.id) == 1


def test_database_rejects_second_vote_row(service: ArenaService, engine: Engine) -> None:
    battle = service.create_battle("Hello", MODELS, None)
    service.record_vote(battle.id, "tie")
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.add(
            VoteRow(
                battle_id=battle.id,
                outcome="model_a",
                created_at=battle.created_at,
                excluded=False,
            )
        )
    assert vote_rows(engine, battle.id) == 1


def test_racing_votes_store_one(service: ArenaService, engine: Engine) -> None:
    battle = service.create_battle("Hello", MODELS, None)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def vote() -> None:
        barrier.wait()
        try:
            service.record_vote(battle.id, "model_a")
            outcomes.append("stored")
        except DuplicateVoteError:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=vote) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate", "duplicate", "duplicate", "stored"]
    assert vote_rows(engine, battle.id) == 1


def test_vote_naming_model_is_excluded(service: ArenaService) -> None:
    battle = service.create_battle("Who are you?", MODELS, None, seed=3)
    service.save_answers(battle.id, "I am a helpful assistant.", "I'm BETA-4B, made to help.")
    receipt = service.record_vote(battle.id, "model_b")
    assert receipt.excluded
    assert receipt.exclusion_reason == "the answer B names 'BETA-4B'"
    assert service.vote_counts(["beta-4b"]) == {"beta-4b": 0}


def test_vote_naming_vendor_in_prompt_is_excluded(service: ArenaService) -> None:
    battle = service.create_battle("Is this acme labs' model?", MODELS, None)
    receipt = service.record_vote(battle.id, "tie")
    assert receipt.exclusion_reason == "the prompt names 'acme labs'"


def test_name_inside_a_word_is_not_excluded(service: ArenaService) -> None:
    battle = service.create_battle("Compare Gamma APIs and gamma-apiary", MODELS, None)
    assert not service.record_vote(battle.id, "tie").excluded


def test_vote_counts_count_both_sides(service: ArenaService) -> None:
    for seed in range(6):
        battle = service.create_battle("Hello", ["beta-4b", "gamma-api"], None, seed=seed)
        service.record_vote(battle.id, "model_a")
    assert service.vote_counts(["beta-4b", "gamma-api", "alpha-moe-16b-a3b"]) == {
        "beta-4b": 6,
        "gamma-api": 6,
        "alpha-moe-16b-a3b": 0,
    }


def test_unknown_outcome_rejected(service: ArenaService) -> None:
    battle = service.create_battle("Hello", MODELS, None)
    with pytest.raises(UsageError, match="unknown vote outcome 'draw'"):
        service.record_vote(battle.id, "draw")


def test_vote_on_missing_battle(service: ArenaService) -> None:
    with pytest.raises(BattleNotFoundError, match="battle 'f00d' not found"):
        service.record_vote("f00d", "tie")


def test_vote_from_other_client_rejected(service: ArenaService) -> None:
    battle = service.create_battle("Hello", MODELS, "client-1")
    with pytest.raises(VoteClientMismatchError, match="another client"):
        service.record_vote(battle.id, "tie", client_id="client-2")


def test_abandoned_battle_takes_no_vote(service: ArenaService) -> None:
    battle = service.create_battle("Hello", MODELS, None)
    service.abandon_battle(battle.id)
    with pytest.raises(BattleClosedError, match="abandoned"):
        service.record_vote(battle.id, "tie")
    with pytest.raises(BattleClosedError, match="is abandoned"):
        service.save_answers(battle.id, "a", "b")


def test_draws_reuse_recent_vote_counts(
    service: ArenaService, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Sequence[str] | None] = []
    counts = service.vote_counts

    def counting(models: Sequence[str] | None = None) -> dict[str, int]:
        calls.append(models)
        return counts(models)

    monkeypatch.setattr(service, "vote_counts", counting)
    now = [1000.0]
    monkeypatch.setattr("modelvs.arena.service.time.monotonic", lambda: now[0])
    for _ in range(5):
        service.create_battle("Hello", MODELS, None)
    assert len(calls) == 1

    now[0] += arena_service.DRAW_COUNTS_TTL_S + 1
    service.create_battle("Hello", MODELS, None)
    assert len(calls) == 2
