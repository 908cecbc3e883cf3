"""HTML of the arena and outputs sections (written in Python; answers are Markdown)."""

from __future__ import annotations

from functools import cache
from html import escape

from markdown_it import MarkdownIt
from markupsafe import Markup

from modelvs.compare.facts import usd
from modelvs.compare.model import ArenaSection, OutputAnswer, OutputsSection


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML in model output is shown as text, and markdown-it refuses javascript: links.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_html(text: str) -> str:
    return str(_markdown().render(text))


def arena_html(section: ArenaSection, names: dict[str, str]) -> Markup:
    if not any(r.rating is not None for r in section.ratings):
        return Markup(f'<p class="unknown">{escape(section.status.capitalize())}.</p>')
    rows = []
    for r in section.ratings:
        if r.rating is None or r.low is None or r.high is None:
            cells = '<td class="num unknown" colspan="3">no votes yet</td>'
        else:
            cells = (
                f'<td class="num">{r.rating:.0f}</td>'
                f'<td class="num">{r.low:.0f} to {r.high:.0f}</td>'
                f'<td class="num">{r.rank}</td>'
            )
        flag = " (provisional)" if r.provisional else ""
        rows.append(
            f'<tr><th scope="row">{escape(names[r.model])}</th>{cells}'
            f'<td class="num">{r.votes:,}{flag}</td></tr>'
        )
    sentences = "".join(f"<li>{escape(s)}</li>" for s in section.sentences)
    return Markup(
        '<table><tr><th scope="col">Model</th><th scope="col" class="num">Rating</th>'
        '<th scope="col" class="num">95% interval</th><th scope="col" class="num">Rank'
        '</th><th scope="col" class="num">Votes</th></tr>'
        + "".join(rows)
        + f'</table><ul class="plain">{sentences}</ul>'
        + f'<p class="note">{escape(section.status)}</p>'
    )


def measurements_text(answer: OutputAnswer) -> str:
    parts = []
    if answer.latency_s is not None:
        parts.append(f"{answer.latency_s:.2f} s total")
    if answer.ttft_s is not None:
        parts.append(f"{answer.ttft_s:.2f} s to first token")
    if answer.output_tokens is not None:
        parts.append(f"{answer.output_tokens:,} output tokens")
    if answer.tokens_per_s is not None:
        parts.append(f"{answer.tokens_per_s:.1f} tokens/s")
    elif answer.text is not None:
        # Unknown when the server sent no usage, or sent every token at once.
        parts.append("tokens/s unknown")
    parts.append(f"cost {usd(answer.cost_usd)}" if answer.cost_usd is not None else "cost unknown")
    return " · ".join(parts)


def outputs_html(section: OutputsSection, names: dict[str, str], paged: bool = False) -> Markup:
    """Render one page of outputs; ``paged`` adds previous and next links for /outputs."""
    if not section.prompts:
        return Markup(f'<p class="unknown">{escape(section.status.capitalize())}.</p>')
    blocks = [f'<p class="note">{escape(section.status)}</p>']
    pager = _outputs_pager(section, list(names), paged)
    blocks.append(pager)
    for prompt in section.prompts:
        answers = []
        for answer in prompt.answers:
            if answer.text is not None:
                body = markdown_html(answer.text)
            elif answer.error:
                body = f'<p class="unknown">failed: {escape(answer.error)}</p>'
            else:
                body = '<p class="unknown">no answer recorded</p>'
            answers.append(
                f'<div class="card answer"><h4>{escape(names[answer.model])}</h4>{body}'
                f'<p class="note">{escape(measurements_text(answer))}</p></div>'
            )
        blocks.append(
            f'<article class="prompt"><h3>{escape(prompt.prompt_id)}'
            f' <span class="muted">{escape(prompt.category)}</span></h3>'
            f"<blockquote>{escape(prompt.prompt)}</blockquote>"
            f'<div class="cols">{"".join(answers)}</div></article>'
        )
    if paged:
        blocks.append(pager)
    return Markup("".join(blocks))


def outputs_url(slugs: list[str], page: int) -> str:
    return f"/outputs?models={','.join(slugs)}&page={page}"


def _outputs_pager(section: OutputsSection, slugs: list[str], paged: bool) -> str:
    """Build links to the other pages; the compare page links to the second page only."""
    if section.pages == 1:
        return ""
    if not paged:
        url = escape(outputs_url(slugs, 2))
        return f'<p><a href="{url}">Show all {section.total_prompts} prompts</a></p>'
    links = []
    if section.page > 1:
        links.append(f'<a href="{escape(outputs_url(slugs, section.page - 1))}">previous</a>')
    links.append(f"page {section.page} of {section.pages}")
    if section.page < section.pages:
        links.append(f'<a href="{escape(outputs_url(slugs, section.page + 1))}">next</a>')
    return f'<nav class="pager" aria-label="Outputs pages"><p>{" · ".join(links)}</p></nav>'
