"""HTML of the arena and outputs sections (written in Python; answers are Markdown)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from html import escape

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

from modelvs.compare.facts import usd
from modelvs.compare.model import ArenaSection, OutputAnswer, OutputsSection

# Before this cap, rendering one 2.4 MB answer took about 15 s. 100,000 characters is roughly
# 25,000 tokens (an estimate at 4 characters a token), and the whole text stays in the database
# and the outputs API.
MAX_MARKDOWN_CHARS = 100_000
# Links in answers come from models: "nofollow ugc" tells search engines not to credit them to
# this site, and "noopener" keeps the linked page from reaching this window.
ANSWER_LINK_REL = "nofollow ugc noopener"


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML in model output is shown as text, and markdown-it rejects javascript: links.
    # The image rule is off, so ![alt](url) renders as "!" followed by a link. The site's CSP
    # blocks images from other hosts, and an <img> would fetch one whenever the page is viewed.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.enable("table").disable("image")
    md.add_render_rule("link_open", _render_link_open)
    return md


def _render_link_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    tokens[idx].attrSet("rel", ANSWER_LINK_REL)
    return renderer.renderToken(tokens, idx, options, env)


def markdown_html(text: str, whole_text_hint: Markup | None = None) -> str:
    """Render an answer as Markdown, or as plain text when it nests too deeply.

    Only the first ``MAX_MARKDOWN_CHARS`` characters are rendered, followed by a note with
    ``whole_text_hint`` (HTML that says where the whole answer is).
    """
    page_text = _cut_for_page(text)
    md = _markdown()
    tokens = md.parse(page_text)

    if _reaches_nesting_limit(tokens, md.options["maxNesting"]):
        # markdown-it-py 4.3 drops every block below its nesting limit without an error.
        body = (
            '<p class="note">This answer is nested too deeply to render as Markdown, so it is'
            f" shown as plain text.</p><pre>{escape(page_text)}</pre>"
        )
    else:
        body = md.renderer.render(tokens, md.options, {})

    if len(page_text) < len(text):
        body += (
            f'<p class="note">This answer has {len(text):,} characters; this page shows only'
            f" the first {len(page_text):,}. {whole_text_hint or ''}</p>"
        )
    return body


def _cut_for_page(text: str) -> str:
    """Cut ``text`` to at most ``MAX_MARKDOWN_CHARS``, at a line end when one is near."""
    if len(text) <= MAX_MARKDOWN_CHARS:
        return text
    page_text = text[:MAX_MARKDOWN_CHARS]
    line_end = page_text.rfind("\n")
    if line_end >= MAX_MARKDOWN_CHARS // 2:
        return page_text[: line_end + 1]
    return page_text


def _reaches_nesting_limit(tokens: Sequence[Token], max_nesting: int) -> bool:
    """Return whether any token sits at the last nesting level that markdown-it parses."""
    for token in tokens:
        if token.level >= max_nesting - 1:
            return True
        if token.children and _reaches_nesting_limit(token.children, max_nesting):
            return True
    return False


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
    whole_text_hint = _whole_text_hint(section, list(names))
    for prompt in section.prompts:
        answers = []
        for answer in prompt.answers:
            if answer.text is not None:
                body = markdown_html(answer.text, whole_text_hint)
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


def _whole_text_hint(section: OutputsSection, slugs: list[str]) -> Markup:
    api_url = escape(f"/api/v1{outputs_url(slugs, section.page)}")
    return Markup(
        "The whole answer is in <code>modelvs runs show RUN_ID --outputs</code> and in"
        f' <a href="{api_url}">the outputs API</a>.'
    )


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
