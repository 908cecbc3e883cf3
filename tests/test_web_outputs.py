"""Recorded outputs page by page: on the compare page, at /outputs and at /api/v1/outputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from modelvs.catalog.catalog import Catalog
from modelvs.store.db import make_engine, upgrade
from modelvs.store.runs_tables import RunItemRow, RunPromptRow, RunRow
from modelvs.web.app import create_app

from .conftest import AS_OF, temporary_database
from .web_server import serving

ALPHA, BETA = "alpha-moe-16b-a3b", "beta-4b"
PROMPTS = 45
# The first prompts of the suite were answered by alpha only; every later one by both.
ALPHA_ONLY = 5


def record_run(url: str) -> None:
    """Store one run of PROMPTS prompts, q00 to q44, in suite order."""
    engine = make_engine(url)
    upgrade(engine)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with Session(engine) as session, session.begin():
        run = RunRow(
            suite_id="paging",
            suite_hash="0" * 64,
            created_at=now,
            endpoints=[],
            settings={},
            seed=None,
        )
        session.add(run)
        session.flush()
        for index in range(PROMPTS):
            prompt_id = f"q{index:02d}"
            session.add(
                RunPromptRow(
                    run_id=run.id,
                    prompt_id=prompt_id,
                    position=index,
                    prompt_hash=f"{index:064d}",
                    text=f"Question {index}?",
                    category="test",
                    reference=None,
                    image_names=[],
                )
            )
            slugs = [ALPHA] if index < ALPHA_ONLY else [ALPHA, BETA]
            session.add_all(item(run.id, prompt_id, slug, now) for slug in slugs)
    engine.dispose()


def item(run_id: int, prompt_id: str, slug: str, now: dt.datetime) -> RunItemRow:
    return RunItemRow(
        run_id=run_id,
        prompt_id=prompt_id,
        endpoint_name=f"{slug}-local",
        model_slug=slug,
        status="ok",
        output=f"{slug} answers {prompt_id}",
        finish_reason="stop",
        latency_s=1.0,
        ttft_s=0.1,
        input_tokens=10,
        output_tokens=8,
        tokens_per_s=None,
        cost_usd=None,
        error=None,
        attempts=1,
        finished_at=now,
    )


@pytest.fixture(scope="module")
def app_with_outputs(catalog: Catalog) -> Any:
    url = temporary_database()
    record_run(url)
    return create_app(catalog, as_of=AS_OF, database_url=url)


@pytest.fixture(scope="module")
def client(app_with_outputs: Any) -> Iterator[TestClient]:
    with TestClient(app_with_outputs) as test_client:
        yield test_client


def prompt_ids(section: dict[str, Any]) -> list[str]:
    return [prompt["prompt_id"] for prompt in section["prompts"]]


def test_prompts_every_model_answered_come_first(client: TestClient) -> None:
    pages = [
        client.get("/api/v1/outputs", params={"models": f"{ALPHA},{BETA}", "page": page}).json()
        for page in (1, 2, 3)
    ]

    assert [(p["page"], p["pages"], p["total_prompts"]) for p in pages] == [
        (1, 3, PROMPTS),
        (2, 3, PROMPTS),
        (3, 3, PROMPTS),
    ]
    ordered = [prompt_id for page in pages for prompt_id in prompt_ids(page)]
    both = [f"q{index:02d}" for index in range(ALPHA_ONLY, PROMPTS)]
    alpha_only = [f"q{index:02d}" for index in range(ALPHA_ONLY)]
    assert ordered == both + alpha_only
    last = pages[2]["prompts"][-1]["answers"]
    assert [answer["model"] for answer in last] == [ALPHA, BETA]
    assert last[1]["text"] is None
    assert "prompts 41 to 45 of 45" in pages[2]["status"]


def test_compare_section_shows_the_first_page(client: TestClient) -> None:
    comparison = client.get(f"/api/v1/compare/{ALPHA}-vs-{BETA}").json()
    section = comparison["outputs"]
    assert prompt_ids(section)[0] == f"q{ALPHA_ONLY:02d}"
    assert (section["page"], section["pages"], len(section["prompts"])) == (1, 3, 20)


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"models": f"{ALPHA},{BETA}", "page": "4"}, 400, "pages run from 1 to 3"),
        ({"models": "no-such-model"}, 404, "unknown model 'no-such-model'"),
        ({"models": f"{ALPHA},{BETA}", "page": "0"}, 400, "page"),
    ],
)
def test_bad_outputs_requests(
    client: TestClient, params: dict[str, str], status: int, message: str
) -> None:
    response = client.get("/api/v1/outputs", params=params)
    assert response.status_code == status
    assert message in response.text


def test_outputs_pages_in_the_browser(browser: Any, app_with_outputs: Any) -> None:
    with serving(app_with_outputs) as base:
        page = browser.new_page()
        page.goto(f"{base}/compare/{ALPHA}-vs-{BETA}")
        page.get_by_role("link", name=f"Show all {PROMPTS} prompts").click()
        page.wait_for_url("**/outputs?**page=2")
        assert "page 2 of 3" in page.locator("main").inner_text()
        assert page.locator("article.prompt").count() == 20

        page.get_by_role("link", name="next").first.click()
        page.wait_for_url("**page=3")
        headings = page.locator("article.prompt h3").all_inner_texts()
        # 40 prompts that both models answered fill pages 1 and 2.
        assert [heading.split()[0] for heading in headings] == [
            f"q{index:02d}" for index in range(ALPHA_ONLY)
        ]
        main = page.locator("main").inner_text()
        assert "no answer recorded" in main
        # The stored rows have no tokens per second.
        assert "tokens/s unknown" in main
        page.close()
