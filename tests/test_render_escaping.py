"""Hostile catalog strings render as text in every format."""

from __future__ import annotations

import json
import re

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.compare.build import compare
from modelvs.render import render

from .conftest import AS_OF

PAYLOADS = ("<script>", "<img src=x", "<b>Evil</b>", "</p><script>")


@pytest.fixture(scope="module")
def hostile_pages(catalog: Catalog) -> dict[str, str]:
    models = [catalog.find_model("evil-model"), catalog.find_model("beta-4b")]
    comparison = compare(catalog, models, AS_OF)
    return {fmt: render(comparison, fmt) for fmt in ("html", "markdown", "json", "text")}


def test_html_escapes_every_payload(hostile_pages: dict[str, str]) -> None:
    page = hostile_pages["html"]
    for payload in PAYLOADS:
        assert payload not in page
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; Evil" in page
    assert "<script" not in page.lower()
    assert not re.search(r"\son\w+=", page.replace("onerror=alert", ""))


def test_html_source_url_stays_in_attribute(hostile_pages: dict[str, str]) -> None:
    page = hostile_pages["html"]
    assert (
        'href="https://hostile.example.org/card?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"' in page
    )


def test_markdown_escapes_markup(hostile_pages: dict[str, str]) -> None:
    text = hostile_pages["markdown"]
    assert "<script>" not in text
    assert r"\<script\>alert('name')\</script\> Evil" in text


def test_json_keeps_raw_strings(hostile_pages: dict[str, str]) -> None:
    data = json.loads(hostile_pages["json"])
    assert data["models"][0]["name"] == "<script>alert('name')</script> Evil"


def test_unclear_commercial_use_is_stated(hostile_pages: dict[str, str]) -> None:
    assert "commercial use unclear" in hostile_pages["text"]
