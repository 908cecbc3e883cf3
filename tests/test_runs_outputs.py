"""The latest outputs per prompt and model, as the comparison page reads them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.errors import UsageError
from modelvs.runs.outputs import OutputsComparison, latest_outputs
from modelvs.runs.store import RunStore
from tests.runs_server import ChatServer, Fault, answer_text, running_server
from tests.runs_support import endpoint, open_store, run_new, write_suite

HTTP_400 = Fault("status", status=400)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with running_server() as chat_server:
        yield chat_server


@pytest.fixture
def store(database_url: str) -> Iterator[RunStore]:
    run_store = open_store(database_url)
    yield run_store
    run_store.engine.dispose()


def by_text(comparison: OutputsComparison) -> dict[str, dict[str, str | None]]:
    """Map prompt text to each model's output, or its error when the item failed."""
    return {
        prompt.text: {
            slug: None if output is None else (output.output or f"error: {output.error}")
            for slug, output in prompt.outputs.items()
        }
        for prompt in comparison.prompts
    }


def test_latest_outputs_per_model(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    beta = endpoint(server, "beta", "beta-4b")
    gamma = endpoint(server, "gamma", "gamma-api")
    first_suite = write_suite(tmp_path, ["shared", "only first"], "first")
    run_new(store, catalog, first_suite, [beta, gamma])
    # The second run of "shared" fails on beta: beta keeps its older success.
    server.plan("shared", HTTP_400)
    (tmp_path / "second").mkdir()
    second_suite = write_suite(tmp_path / "second", ["shared", "only second"], "second")
    second, _ = run_new(store, catalog, second_suite, [beta])

    comparison = latest_outputs(store.engine, ["beta-4b", "gamma-api"])

    assert comparison.model_slugs == ["beta-4b", "gamma-api"]
    outputs = by_text(comparison)
    assert set(outputs) == {"shared", "only first", "only second"}
    assert outputs["shared"] == {
        "beta-4b": answer_text("shared"),
        "gamma-api": answer_text("shared"),
    }
    assert outputs["only second"] == {"beta-4b": answer_text("only second"), "gamma-api": None}
    shared = next(p for p in comparison.prompts if p.text == "shared")
    assert shared.answered_by_all
    beta_output = shared.outputs["beta-4b"]
    assert beta_output is not None
    assert beta_output.run_id != second.run_id
    assert beta_output.status == "ok"
    assert beta_output.latency_s is not None and beta_output.latency_s > 0
    assert beta_output.ttft_s is not None
    assert beta_output.input_tokens == 1
    assert beta_output.cost_usd is not None and beta_output.cost_usd > 0


def test_newest_success_wins(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path, ["q"])
    run_new(store, catalog, suite, [endpoint(server, "old", "beta-4b")])
    second, _ = run_new(store, catalog, suite, [endpoint(server, "new", "beta-4b")])

    output = latest_outputs(store.engine, ["beta-4b"]).prompts[0].outputs["beta-4b"]

    assert output is not None
    assert output.run_id == second.run_id
    assert output.endpoint_name == "new"


def test_failure_shown_without_success(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    server.plan("q", HTTP_400)
    suite = write_suite(tmp_path, ["q"])
    run_new(store, catalog, suite, [endpoint(server, "a", "beta-4b")])

    output = latest_outputs(store.engine, ["beta-4b"]).prompts[0].outputs["beta-4b"]

    assert output is not None
    assert output.status == "failed"
    assert output.output is None
    assert "HTTP 400" in (output.error or "")


def test_edited_prompt_is_new_prompt(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    suite = write_suite(tmp_path, ["before edit"])
    run_new(store, catalog, suite, [endpoint(server, "a", "beta-4b")])
    write_suite(tmp_path, ["after edit"])
    run_new(store, catalog, suite, [endpoint(server, "b", "gamma-api")])

    outputs = by_text(latest_outputs(store.engine, ["beta-4b", "gamma-api"]))

    assert outputs["before edit"]["gamma-api"] is None
    assert outputs["after edit"]["beta-4b"] is None


def test_prompts_in_suite_order(
    server: ChatServer, store: RunStore, catalog: Catalog, tmp_path: Path
) -> None:
    texts = ["zeta", "alpha", "mu"]
    suite = write_suite(tmp_path, texts)
    run_new(store, catalog, suite, [endpoint(server)])

    comparison = latest_outputs(store.engine, ["beta-4b", "beta-4b", "alpha-moe-16b-a3b"])

    assert [p.text for p in comparison.prompts] == texts
    assert comparison.model_slugs == ["beta-4b", "alpha-moe-16b-a3b"]
    assert not comparison.prompts[0].answered_by_all


def test_no_outputs_empty(store: RunStore) -> None:
    assert latest_outputs(store.engine, ["beta-4b", "gamma-api"]).prompts == []


def test_no_slugs_rejected(store: RunStore) -> None:
    with pytest.raises(UsageError, match="at least one model slug"):
        latest_outputs(store.engine, [])
