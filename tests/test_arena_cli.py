"""``modelvs arena``: ratings, import and export through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner

# Four models in a cycle of wins and ties, so that every rating is finite.
CYCLE = [
    ("acme/Alpha-MoE", "Beta-4B", "model_a"),
    ("Beta-4B", "gamma-api", "model_a"),
    ("gamma-api", "mystery-x", "model_a"),
    ("mystery-x", "acme/Alpha-MoE", "model_a"),
    ("acme/Alpha-MoE", "gamma-api", "tie"),
    ("acme/Alpha-MoE", "Beta-4B", "model_a"),
]


def write_battles(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    records: list[dict[str, Any]] = [
        {"question_id": f"q{i}", "model_a": a, "model_b": b, "winner": w}
        for i, (a, b, w) in enumerate(rows)
    ]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MODELVS_DATABASE_URL", database_url)
    return database_url


def test_import_then_ratings(run_cli: Runner, tmp_path: Path) -> None:
    imported = run_cli("arena", "import", str(write_battles(tmp_path / "b.jsonl", CYCLE * 5)))
    assert imported.exit_code == 0
    assert "imported 30 of 30 battles" in imported.stdout
    assert "uncatalogued models, imported under their own names: mystery-x" in imported.stdout

    result = run_cli("arena", "ratings", "--min-votes", "16")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["rank", "model", "rating", "95%", "interval", "votes"]
    assert lines[1].split()[1] == "alpha-moe-16b-a3b"
    assert "gamma-api" in result.stdout
    assert "provisional" in result.stdout
    assert "Bradley-Terry maximum likelihood on 30 votes (all categories)" in result.stdout
    assert "Scale: Elo points (400 = 10:1 odds), mean rating 1000." in result.stdout


def test_ratings_json_with_options(run_cli: Runner, tmp_path: Path) -> None:
    run_cli("arena", "import", str(write_battles(tmp_path / "b.jsonl", CYCLE * 5)))
    result = run_cli(
        "arena",
        "ratings",
        "--bootstrap",
        "30",
        "--seed",
        "9",
        "--anchor",
        "Beta-4B=1200",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["interval"] == "bootstrap"
    assert document["bootstrap"]["rounds"] == 30
    assert document["bootstrap"]["seed"] == 9
    # With 30 battles a few rounds resample a model that won or lost every battle.
    dropped = document["bootstrap"]["dropped_rounds"]
    assert 0 < dropped <= 3
    assert f"{dropped} of 30 bootstrap rounds were dropped" in result.stderr
    assert document["anchor"] == {"model": "beta-4b", "rating": 1200.0}
    beta = next(m for m in document["models"] if m["model"] == "beta-4b")
    assert beta["rating"] == 1200.0
    assert document["excluded_votes"] == 0
    assert document["min_votes"] == 50


def test_ratings_reports_only_wins(run_cli: Runner, tmp_path: Path) -> None:
    rows = [*CYCLE, ("champion", "gamma-api", "model_a"), ("Beta-4B", "champion", "model_b")]
    run_cli("arena", "import", str(write_battles(tmp_path / "b.jsonl", rows)))
    failed = run_cli("arena", "ratings")
    assert failed.exit_code == 1
    assert "'champion' won every battle it took part in" in failed.stderr

    with_prior = run_cli("arena", "ratings", "--prior-sd", "400")
    assert with_prior.exit_code == 0
    assert "warning: 'champion' won every battle" in with_prior.stderr
    assert "Prior: Normal with SD 400 Elo around the mean rating." in with_prior.stdout


def test_ratings_option_errors(run_cli: Runner, tmp_path: Path) -> None:
    run_cli("arena", "import", str(write_battles(tmp_path / "b.jsonl", CYCLE)))
    bad_anchor = run_cli("arena", "ratings", "--anchor", "beta-4b")
    assert bad_anchor.exit_code == 2
    assert "is not MODEL=RATING" in bad_anchor.stderr
    lone_seed = run_cli("arena", "ratings", "--seed", "3")
    assert lone_seed.exit_code == 2
    assert "--seed sets the bootstrap draws" in lone_seed.stderr
    missing = run_cli("arena", "ratings", "--anchor", "nobody=1000")
    assert missing.exit_code == 2
    assert "the anchor model 'nobody' has no battles" in missing.stderr


def test_import_rejects_unknown_label(run_cli: Runner, tmp_path: Path) -> None:
    rows = [*CYCLE, ("Beta-4B", "gamma-api", "bothbad")]
    failed = run_cli("arena", "import", str(write_battles(tmp_path / "b.jsonl", rows)))
    assert failed.exit_code == 1
    assert "row 7: unknown outcome label 'bothbad'" in failed.stderr
    assert "nothing from the file was imported" in failed.stderr
    assert run_cli("arena", "ratings").exit_code == 1


def test_export_writes_file(run_cli: Runner, tmp_path: Path) -> None:
    run_cli("arena", "import", str(write_battles(tmp_path / "b.jsonl", CYCLE)))
    target = tmp_path / "out" / "battles.json"
    result = run_cli("arena", "export", str(target), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["battles"] == 6
    records = json.loads(target.read_text(encoding="utf-8"))
    winners = {record["question_id"]: record["winner"] for record in records}
    assert winners == {f"q{i}": row[2] for i, row in enumerate(CYCLE)}
