"""The arena in the browser: names hidden before the vote, revealed after, one vote a battle."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path
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

ANSWERS = {
    "alpha-moe-16b-a3b": "The total is **$12.40**.",
    "beta-4b": "I read a total of 12.40 dollars.",
}


def record_outputs(url: str) -> None:
    """Store one finished run in which both fixture models answered one prompt."""
    engine = make_engine(url)
    upgrade(engine)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with Session(engine) as session, session.begin():
        run = RunRow(
            suite_id="test",
            suite_hash="0" * 64,
            created_at=now,
            endpoints=[],
            settings={},
            seed=None,
        )
        session.add(run)
        session.flush()
        session.add(
            RunPromptRow(
                run_id=run.id,
                prompt_id="receipt",
                position=0,
                prompt_hash="1" * 64,
                text="What is the receipt total?",
                category="ocr",
                reference=None,
                image_names=[],
            )
        )
        for slug, answer in ANSWERS.items():
            session.add(
                RunItemRow(
                    run_id=run.id,
                    prompt_id="receipt",
                    endpoint_name=f"{slug}-local",
                    model_slug=slug,
                    status="ok",
                    output=answer,
                    finish_reason="stop",
                    latency_s=1.0,
                    ttft_s=0.1,
                    input_tokens=10,
                    output_tokens=8,
                    tokens_per_s=8.0,
                    cost_usd=None,
                    error=None,
                    attempts=1,
                    finished_at=now,
                )
            )
    engine.dispose()


@pytest.fixture(scope="module")
def arena_url(catalog: Catalog) -> Iterator[str]:
    url = temporary_database()
    record_outputs(url)
    with serving(create_app(catalog, as_of=AS_OF, database_url=url)) as base:
        yield base


def test_vote_reveals_names_once(browser: Any, arena_url: str) -> None:
    page = browser.new_page()
    page.goto(arena_url + "/arena")
    page.get_by_role("button", name="Draw a prompt").click()
    page.wait_for_url("**/arena/battles/*")

    body = page.locator("main").inner_text()
    assert "What is the receipt total?" in body
    for name in ("Alpha-MoE-16B-A3B", "Beta-4B"):
        assert name not in body
    assert page.locator(".model-name").count() == 0

    page.get_by_role("button", name="A is better").click()
    page.locator("#vote-result").wait_for()
    revealed = page.locator(".model-name").all_inner_texts()
    assert sorted(revealed) == ["Alpha-MoE-16B-A3B", "Beta-4B"]
    assert page.get_by_role("button", name="A is better").count() == 0

    battle_url = page.url
    csrf = re.search(
        r'name="csrf" value="([0-9a-f]+)"', page.request.get(arena_url + "/arena").text()
    ).group(1)  # type: ignore[union-attr]
    second = page.request.post(battle_url + "/vote", form={"csrf": csrf, "outcome": "model_b"})
    assert second.status == 409
    assert "already has a vote" in second.text()
    page.close()


def test_compare_page_shows_outputs(browser: Any, arena_url: str) -> None:
    page = browser.new_page()
    page.goto(arena_url + "/compare/alpha-moe-16b-a3b-vs-beta-4b")
    outputs = page.locator("#outputs")
    assert "What is the receipt total?" in outputs.inner_text()
    assert outputs.locator("strong", has_text="$12.40").count() == 1
    page.close()


def test_vote_without_token_is_rejected(catalog: Catalog) -> None:
    url = temporary_database()
    record_outputs(url)
    with TestClient(create_app(catalog, as_of=AS_OF, database_url=url)) as client:
        client.get("/arena")
        response = client.post("/arena/battles", data={"draw": "1", "csrf": "forged"})
        assert response.status_code == 403
        assert "security token" in response.text


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"outcome": "tie"}, 400, "missing the csrf field"),
        ({"csrf": "x" * 65, "outcome": "tie"}, 400, "longer than 64 characters"),
        ({"csrf": "{csrf}", "outcome": "draw"}, 400, "unknown vote 'draw'"),
        ({"csrf": "{csrf}", "outcome": "tie", **{f"f{i}": "1" for i in range(9)}}, 400, "fields"),
        ({"csrf": "{csrf}", "outcome": "tie", "pad": "x" * 2000}, 400, "larger than 1024 bytes"),
        ({"csrf": "forged", "outcome": "tie"}, 403, "security token"),
        ({"csrf": "\u00e9", "outcome": "tie"}, 403, "security token"),
    ],
)
def test_bad_vote_forms_store_nothing(
    catalog: Catalog, form: dict[str, str], status: int, message: str
) -> None:
    url = temporary_database()
    record_outputs(url)
    with TestClient(create_app(catalog, as_of=AS_OF, database_url=url)) as client:
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/arena").text).group(1)  # type: ignore[union-attr]
        started = client.post(
            "/arena/battles", data={"draw": "1", "csrf": csrf}, follow_redirects=False
        )
        battle = started.headers["location"]
        posted = {name: value.replace("{csrf}", csrf) for name, value in form.items()}
        response = client.post(battle + "/vote", data=posted, follow_redirects=False)
        assert response.status_code == status
        assert message in html.unescape(response.text)
        # A multipart form is accepted as well, and the battle still takes its one vote.
        voted = client.post(
            battle + "/vote",
            files={"csrf": (None, csrf), "outcome": (None, "model_b")},
            follow_redirects=False,
        )
        assert voted.status_code == 303


def test_unknown_long_battle_id_is_cut(catalog: Catalog) -> None:
    url = temporary_database()
    record_outputs(url)
    with TestClient(create_app(catalog, as_of=AS_OF, database_url=url)) as client:
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/arena").text).group(1)  # type: ignore[union-attr]
        battle_id = "f" * 5000
        response = client.post(
            f"/arena/battles/{battle_id}/vote",
            data={"csrf": csrf, "outcome": "tie"},
            follow_redirects=False,
        )

        assert response.status_code == 404
        assert "f" * 32 + "..." in response.text
        assert battle_id not in response.text


def test_arena_page_sees_new_outputs(catalog: Catalog) -> None:
    url = temporary_database()
    app = create_app(catalog, as_of=AS_OF, database_url=url)
    with TestClient(app) as client:
        assert "0 recorded text prompts" in client.get("/arena").text

        record_outputs(url)
        # The data version is re-read every two seconds; touch() expires it now.
        app.state.site.data.touch()

        assert "1 recorded text prompt with" in client.get("/arena").text


def test_leaderboard_after_votes(catalog: Catalog) -> None:
    url = temporary_database()
    record_outputs(url)
    with TestClient(create_app(catalog, as_of=AS_OF, database_url=url)) as client:
        page = client.get("/arena").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
        for outcome in ("model_a", "model_b", "tie", "model_a"):
            started = client.post(
                "/arena/battles", data={"draw": "1", "csrf": csrf}, follow_redirects=False
            )
            assert started.status_code == 303
            battle = started.headers["location"]
            voted = client.post(
                battle + "/vote", data={"csrf": csrf, "outcome": outcome}, follow_redirects=False
            )
            assert voted.status_code == 303
        board = client.get("/arena/leaderboard")
        assert board.status_code == 200
        assert "4 counted votes" in board.text
        assert board.headers["cache-control"] == "private, no-store"


def test_typed_prompt_with_image_goes_to_endpoints(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    import yaml
    from PIL import Image

    from .runs_server import running_server

    monkeypatch.chdir(tmp_path)
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, format="PNG")
    with running_server() as chat:
        registry = {
            "endpoints": [
                {
                    "name": f"{slug}-local",
                    "base_url": chat.base_url,
                    "model": slug,
                    "catalog_model": slug,
                }
                for slug in ANSWERS
            ]
        }
        (tmp_path / "endpoints.yaml").write_text(yaml.safe_dump(registry))
        monkeypatch.setenv("MODELVS_ENDPOINTS", str(tmp_path / "endpoints.yaml"))
        with TestClient(
            create_app(catalog, as_of=AS_OF, database_url=temporary_database())
        ) as client:
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/arena").text).group(1)  # type: ignore[union-attr]
            started = client.post(
                "/arena/battles",
                data={"csrf": csrf, "prompt": "What colour is this?"},
                files={"image": ("red.png", png.getvalue(), "image/png")},
                follow_redirects=False,
            )
            assert started.status_code == 303, started.text
            page = client.get(started.headers["location"]).text
            assert "Answer to: What colour is this?" in page
            image = re.search(r'src="(/arena/images/[0-9a-f]{64}\.png)"', page)
            assert image is not None
            assert client.get(image.group(1)).content == png.getvalue()

        sent = chat.requests_for("What colour is this?")
        assert len(sent) == 2
        parts = sent[0].body["messages"][0]["content"]
        assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")


def test_upload_rejects_non_images(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelvs.errors import UsageError
    from modelvs.web.arena_images import store_image

    with pytest.raises(UsageError, match="not a readable image"):
        store_image(b"<svg onload=alert(1)>", tmp_path)
