"""Battle file import and export, and ratings of the stored votes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from modelvs.arena.battle_file import NOT_ANONYMOUS_REASON, read_battle_file
from modelvs.arena.errors import BattleFileError
from modelvs.arena.leaderboard import arena_ratings, categories, count_votes
from modelvs.arena.service import as_utc
from modelvs.arena.transfer import export_battles, import_battles
from modelvs.catalog.catalog import Catalog
from modelvs.stats.bradley_terry import RatingsError
from modelvs.store.arena_tables import BattleRow, VoteRow
from modelvs.store.db import make_engine, upgrade

# Catalog models named three ways (alias, name, slug in capitals) and one uncatalogued model.
CYCLE = [
    ("acme/Alpha-MoE", "Beta-4B", "model_a"),
    ("Beta-4B", "GAMMA-API", "model_a"),
    ("GAMMA-API", "mystery-x", "model_a"),
    ("mystery-x", "acme/Alpha-MoE", "model_a"),
    ("acme/Alpha-MoE", "GAMMA-API", "tie"),
    ("Beta-4B", "mystery-x", "tie (bothbad)"),
]


def battle_rows(repeat: int = 3, **extra: Any) -> list[dict[str, Any]]:
    rows = []
    for index, (model_a, model_b, winner) in enumerate(CYCLE * repeat):
        row = {"question_id": f"q{index}", "model_a": model_a, "model_b": model_b}
        rows.append({**row, "winner": winner, "tstamp": 1_700_000_000 + index, **extra})
    return rows


def write_lines(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def stored_battles(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(BattleRow)) or 0)


def test_import_matches_catalog_names(engine: Engine, catalog: Catalog, tmp_path: Path) -> None:
    summary = import_battles(engine, catalog, write_lines(tmp_path / "b.jsonl", battle_rows()))
    assert summary.rows == 18
    assert summary.imported == 18
    assert summary.uncatalogued == ("mystery-x",)
    assert count_votes(engine).models == ("alpha-moe-16b-a3b", "beta-4b", "gamma-api", "mystery-x")
    with Session(engine) as session:
        row = session.scalars(select(BattleRow).where(BattleRow.external_id == "q0")).one()
        assert (row.model_a, row.model_b) == ("alpha-moe-16b-a3b", "beta-4b")
        assert row.prompt is None
        assert row.origin == "import"
        assert as_utc(row.created_at).timestamp() == 1_700_000_000


@pytest.mark.parametrize("layout", ["jsonl", "json"])
def test_unknown_label_imports_nothing(
    engine: Engine, catalog: Catalog, tmp_path: Path, layout: str
) -> None:
    import_battles(engine, catalog, write_lines(tmp_path / "first.jsonl", battle_rows(1)))
    rows = battle_rows(2)
    for row in rows:
        row["question_id"] += "-second"
    rows[3]["winner"] = "draw"
    path = tmp_path / f"second.{layout}"
    if layout == "json":
        path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    else:
        write_lines(path, rows)

    with pytest.raises(BattleFileError) as failure:
        import_battles(engine, catalog, path)
    assert failure.value.row == 4
    assert "row 4: unknown outcome label 'draw'" in str(failure.value)
    assert "nothing from the file was imported" in str(failure.value)
    assert stored_battles(engine) == 6


def test_second_import_adds_nothing(engine: Engine, catalog: Catalog, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "b.jsonl", battle_rows())
    import_battles(engine, catalog, path)
    again = import_battles(engine, catalog, path)
    assert again.imported == 0
    assert again.skipped_known == 18
    assert stored_battles(engine) == 18


def test_not_anonymous_votes_are_excluded(engine: Engine, catalog: Catalog, tmp_path: Path) -> None:
    rows = battle_rows()
    rows[0]["anony"] = False
    rows[1]["exclusion_reason"] = "flagged by a moderator"
    summary = import_battles(engine, catalog, write_lines(tmp_path / "b.jsonl", rows))
    assert summary.excluded == 2
    with Session(engine) as session:
        reasons = set(session.scalars(select(VoteRow.exclusion_reason)))
    assert reasons == {None, NOT_ANONYMOUS_REASON, "flagged by a moderator"}
    assert count_votes(engine).battles == 16


def test_conversation_text_is_stored_and_checked(
    engine: Engine, catalog: Catalog, tmp_path: Path
) -> None:
    rows = battle_rows(1)
    rows[0]["conversation_a"] = [
        {"role": "user", "content": "Who made you?"},
        {"role": "assistant", "content": "Acme Labs made me."},
    ]
    rows[0]["conversation_b"] = [
        {"role": "user", "content": "Who made you?"},
        {"role": "assistant", "content": "A research team."},
    ]
    summary = import_battles(engine, catalog, write_lines(tmp_path / "b.jsonl", rows))
    assert summary.excluded == 1
    with Session(engine) as session:
        row = session.scalars(select(BattleRow).where(BattleRow.external_id == "q0")).one()
        vote = session.scalars(select(VoteRow).where(VoteRow.battle_id == row.id)).one()
    assert row.prompt == "Who made you?"
    assert row.answer_b == "A research team."
    assert vote.exclusion_reason == "the answer A names 'Acme Labs'"


def test_same_model_after_matching_rejected(
    engine: Engine, catalog: Catalog, tmp_path: Path
) -> None:
    rows = battle_rows(1)
    rows[2].update(model_a="beta-4b", model_b="beta/Beta-4B-Instruct")
    with pytest.raises(BattleFileError, match="row 3: model_a 'beta-4b' and model_b"):
        import_battles(engine, catalog, write_lines(tmp_path / "b.jsonl", rows))
    assert stored_battles(engine) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"model_a": "a", "model_b": "b", "winner": "tie"}\n{oops\n', "row 2: invalid JSON"),
        ('[{"model_a": "a", "model_b": "b"', "invalid JSON at line 1"),
        ('{"model_a": "a", "model_b": "a", "winner": "tie"}\n', "row 1: model_a and model_b"),
        ('{"model_b": "b", "winner": "tie"}\n', "row 1: model_a is None"),
        ('\n\n{"model_a": "a", "model_b": "b", "winner": 1}\n', "row 3: unknown outcome label 1"),
        ('{"model_a": "a", "model_b": "b", "winner": "tie", "tstamp": "x"}', "row 1: tstamp"),
        ("[1]", "row 1: expected an object"),
    ],
)
def test_invalid_file_rows(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BattleFileError, match=message.replace("(", r"\(")):
        read_battle_file(path)


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_export_round_trip(engine: Engine, catalog: Catalog, tmp_path: Path, suffix: str) -> None:
    rows = battle_rows()
    rows[0]["anony"] = False
    rows[5]["language"] = "German"
    rows[6]["judge"] = "arena_user_42"
    import_battles(engine, catalog, write_lines(tmp_path / "in.jsonl", rows))
    exported = tmp_path / f"out{suffix}"
    summary = export_battles(engine, exported, include_excluded=True)
    assert summary.battles == 18
    assert summary.excluded == 1

    records = read_battle_file(exported)
    by_id = {record.question_id: record for record in records}
    assert by_id["q0"].exclusion_reason == NOT_ANONYMOUS_REASON
    assert by_id["q5"].outcome.value == "both_bad"
    assert by_id["q5"].language == "German"
    assert by_id["q6"].judge_hash is not None
    assert by_id["q6"].judge_hash != "arena_user_42"
    assert "tie (bothbad)" in exported.read_text(encoding="utf-8")

    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    upgrade(fresh)
    import_battles(fresh, catalog, exported)
    assert count_votes(fresh).outcomes.tolist() == count_votes(engine).outcomes.tolist()
    with Session(fresh) as session:
        judges = set(session.scalars(select(BattleRow.client_id_hash)))
    with Session(engine) as session:
        assert judges == set(session.scalars(select(BattleRow.client_id_hash)))
    fresh.dispose()


def test_export_leaves_out_excluded(engine: Engine, catalog: Catalog, tmp_path: Path) -> None:
    rows = battle_rows()
    rows[0]["anony"] = False
    import_battles(engine, catalog, write_lines(tmp_path / "in.jsonl", rows))
    summary = export_battles(engine, tmp_path / "out.jsonl")
    assert summary.battles == 17
    assert "exclusion_reason" not in (tmp_path / "out.jsonl").read_text(encoding="utf-8")


def test_ratings_per_category(engine: Engine, catalog: Catalog, tmp_path: Path) -> None:
    text_rows = battle_rows(4)
    image_rows = battle_rows(2, category="image")
    for index in range(3):
        duel = {"model_a": "acme/Alpha-MoE", "model_b": "Beta-4B"}
        text_rows.append({**duel, "question_id": f"t{index}", "winner": "model_a"})
        image_rows.append(
            {**duel, "question_id": f"i{index}", "winner": "model_b", "category": "image"}
        )
    for row in image_rows:
        row["question_id"] += "-image"
    import_battles(engine, catalog, write_lines(tmp_path / "t.jsonl", text_rows))
    import_battles(engine, catalog, write_lines(tmp_path / "i.jsonl", image_rows))

    assert categories(engine) == ["image", "text"]
    overall = arena_ratings(engine)
    text = arena_ratings(engine, "text")
    image = arena_ratings(engine, "image")
    assert (overall.battles, text.battles, image.battles) == (42, 27, 15)
    assert text.models[0].model == "alpha-moe-16b-a3b"
    assert image.models[0].model == "beta-4b"
    with pytest.raises(RatingsError, match="no counted votes in category 'code'"):
        arena_ratings(engine, "code")
