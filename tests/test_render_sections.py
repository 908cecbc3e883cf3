"""Arena and outputs sections, as filled in from the database, in every renderer."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
from modelvs.render.sections_html import (
    MAX_MARKDOWN_CHARS,
    markdown_html,
    outputs_html,
)

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


def one_answer_section(text: str) -> OutputsSection:
    answer = OutputAnswer(
        model="m",
        text=text,
        error=None,
        latency_s=None,
        ttft_s=None,
        output_tokens=None,
        tokens_per_s=None,
        cost_usd=None,
        endpoint=None,
    )
    prompt = OutputPrompt(prompt_id="p", prompt="Say a lot.", category="c", answers=[answer])
    return OutputsSection(status="Latest outputs from 1 run.", prompts=[prompt])


def test_huge_answer_cut_with_note() -> None:
    text = ("Some **words** in a long answer.\n" * 80_000) + "TAIL-MARKER"
    assert len(text) > 2_000_000

    html = outputs_html(one_answer_section(text), {"m": "Model M"})

    assert "TAIL-MARKER" not in html
    assert "<strong>words</strong>" in html
    assert f"This answer has {len(text):,} characters" in html
    assert "modelvs runs show RUN_ID --outputs" in html
    assert 'href="/api/v1/outputs?models=m&amp;page=1"' in html


def test_short_answer_has_no_cut_note() -> None:
    html = outputs_html(one_answer_section("Short answer."), {"m": "Model M"})

    assert "Short answer." in html
    assert "characters" not in html


def test_cut_keeps_whole_lines() -> None:
    line = "x" * 99 + "\n"

    html = markdown_html(line * 2_000)

    body = html.split('<p class="note">')[0]
    assert body.count("x") == 99 * (MAX_MARKDOWN_CHARS // len(line))
    assert "This answer has 200,000 characters" in html


def test_deep_quotes_shown_as_text() -> None:
    text = "> " * 5_000 + "text after the quotes <b>bold?</b>"

    html = markdown_html(text)

    assert "text after the quotes &lt;b&gt;bold?&lt;/b&gt;" in html
    assert "<pre>" in html
    assert "<blockquote>" not in html
    assert "nested too deeply" in html


@given(
    prefixes=st.lists(st.sampled_from(["> ", "- ", "1. ", "* ", ">"]), max_size=60),
    tail=st.from_regex(r"[a-z]{6,12}", fullmatch=True),
)
def test_nested_text_never_lost(prefixes: list[str], tail: str) -> None:
    html = markdown_html("".join(prefixes) + tail + "\n\nlast paragraph")

    assert tail in html
    assert "last paragraph" in html


@pytest.mark.parametrize(
    "text",
    [
        "![x](http://example.invalid/a.png)",
        "![x][pic]\n\n[pic]: http://example.invalid/a.png",
    ],
)
def test_images_become_links(text: str) -> None:
    html = markdown_html(text)

    assert "<img" not in html
    assert '<a href="http://example.invalid/a.png" rel="nofollow ugc noopener">x</a>' in html


@pytest.mark.parametrize(
    "text",
    [
        "[site](https://example.invalid/)",
        "<https://example.invalid/>",
        "[site][ref]\n\n[ref]: https://example.invalid/",
    ],
)
def test_links_marked_nofollow(text: str) -> None:
    html = markdown_html(text)

    assert '<a href="https://example.invalid/" rel="nofollow ugc noopener">' in html
