"""Arena and outputs sections, as filled in from the database, in every renderer."""

from __future__ import annotations

import json

import pytest

from modelvs.catalog.catalog import Catalog
from modelvs.compare.build import compare
from modelvs.compare.model import (
    ArenaRating,
    ArenaSection,
    Comparison,
    OutputAnswer,
    OutputPrompt,
    OutputsSection,
)
from modelvs.render import render

from .conftest import AS_OF

HOSTILE = "**bold** <script>alert('x')</script> [click](javascript:alert(1)) ```` end"


@pytest.fixture(scope="module")
def filled(catalog: Catalog) -> Comparison:
    arena = ArenaSection(
        status="Bradley-Terry ratings from 1,234 votes.",
        ratings=[
            ArenaRating(
                model="alpha-moe-16b-a3b",
                rating=1012.4,
                low=990.1,
                high=1034.2,
                rank=1,
                votes=800,
                provisional=False,
            ),
            ArenaRating(
                model="beta-4b",
                rating=None,
                low=None,
                high=None,
                rank=None,
                votes=0,
                provisional=True,
            ),
        ],
    )
    answers = [
        OutputAnswer(
            model="alpha-moe-16b-a3b",
            text=HOSTILE,
            error=None,
            latency_s=1.25,
            ttft_s=0.2,
            output_tokens=42,
            tokens_per_s=33.6,
            cost_usd=None,
            endpoint="local",
        ),
        OutputAnswer(
            model="beta-4b",
            text=None,
            error="timed out after 30 s",
            latency_s=None,
            ttft_s=None,
            output_tokens=None,
            tokens_per_s=None,
            cost_usd=0.0012,
            endpoint="remote",
        ),
    ]
    outputs = OutputsSection(
        status="Latest outputs from 1 run.",
        prompts=[
            OutputPrompt(
                prompt_id="receipt-ocr",
                prompt="Read <b>the</b> total.",
                category="ocr",
                answers=answers,
            )
        ],
    )
    models = [catalog.find_model("alpha-moe-16b-a3b"), catalog.find_model("beta-4b")]
    return compare(catalog, models, AS_OF, arena=arena, outputs=outputs)


def test_html_renders_markdown_safely(filled: Comparison) -> None:
    page = render(filled, "html")
    assert "<strong>bold</strong>" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page or "&lt;script&gt;" in page
    assert 'href="javascript' not in page
    assert "Read &lt;b&gt;the&lt;/b&gt; total." in page
    assert "failed: timed out after 30 s" in page
    assert "1.25 s total" in page
    assert "cost unknown" in page
    assert "990 to 1034" in page
    assert "no votes yet" in page


def test_markdown_fences_answers(filled: Comparison) -> None:
    text = render(filled, "markdown")
    assert "`````text\n" + HOSTILE + "\n`````" in text
    assert "| Alpha-MoE-16B-A3B | 1012 | 990 to 1034 | 1 | 800 |" in text


def test_text_and_json_carry_sections(filled: Comparison) -> None:
    text = render(filled, "text")
    assert "receipt-ocr" in text
    assert "timed out after 30 s" in text
    data = json.loads(render(filled, "json"))
    assert data["arena"]["ratings"][0]["rating"] == 1012.4
    assert data["outputs"]["prompts"][0]["answers"][1]["cost_usd"] == 0.0012
