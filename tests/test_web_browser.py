"""What a person sees, in Debian's chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from modelvs.catalog.load import load_catalog
from modelvs.web.app import create_app

from .conftest import ARTIFACTS, AS_OF, REAL_CATALOG, temporary_database
from .web_server import serving

SEED = "/compare/deepseek-vl2-small-vs-qwen3-vl-4b-instruct"


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    with serving(
        create_app(load_catalog(REAL_CATALOG), as_of=AS_OF, database_url=temporary_database())
    ) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def test_search_autocomplete_opens_model(page: Any, site_url: str) -> None:
    page.goto(site_url + "/")
    page.locator("#site-search").press_sequentially("qwen3-vl-4")
    option = page.locator("#site-search-list li", has_text="Qwen3-VL-4B-Instruct")
    option.first.wait_for(state="visible")
    option.first.click()
    page.wait_for_url("**/models/qwen3-vl-4b-instruct")
    assert page.locator("h1").inner_text() == "Qwen3-VL-4B-Instruct"


def test_picker_reaches_seed_comparison(page: Any, site_url: str) -> None:
    page.goto(site_url + "/")
    page.locator("#pick-a").press_sequentially("Qwen3-VL-4B")
    page.locator("#pick-a-list li", has_text="Qwen3-VL-4B-Instruct").first.click()
    page.locator("#pick-b").fill("deepseek-vl2-small")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**" + SEED)
    assert page.locator("h1").inner_text() == "DeepSeek-VL2-Small vs Qwen3-VL-4B-Instruct"


def test_seed_charts_show_values(page: Any, site_url: str) -> None:
    page.goto(site_url + SEED)
    chart = page.get_by_role("img", name="Benchmark scores with 95% intervals")
    chart.wait_for(state="visible")
    labels = chart.locator("text.value").all_text_contents()
    assert "834 / 1,000" in labels
    assert "881 / 1,000" in labels
    assert chart.locator("line.whisker").count() > 0
    size = page.get_by_role("img", name="Total and active parameters")
    assert size.is_visible()
    assert "2.8 B active" in size.locator("text.value").all_text_contents()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "seed-comparison.png"), full_page=True)


def test_reversed_pair_redirects_in_browser(page: Any, site_url: str) -> None:
    page.goto(site_url + "/compare/qwen3-vl-4b-instruct-vs-deepseek-vl2-small")
    assert page.url == site_url + SEED


def test_leaderboard_filter_and_scatter(page: Any, site_url: str) -> None:
    page.goto(site_url + "/benchmarks/mmstar")
    page.locator("select[name=open_weights]").select_option("true")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**open_weights=true**")
    rows = page.locator("table tr").count()
    assert rows > 2
