"""Renderers: one ``Comparison`` to text, Markdown, JSON or HTML."""

from __future__ import annotations

from modelvs.compare.model import Comparison


def render(
    comparison: Comparison, output_format: str, *, color: bool = False, width: int | None = None
) -> str:
    """Render ``comparison`` in one of ``text``, ``markdown``, ``json`` or ``html``."""
    if output_format == "json":
        return comparison.model_dump_json(indent=2) + "\n"
    if output_format == "html":
        from modelvs.render.html import render_html

        return render_html(comparison)
    if output_format == "markdown":
        from modelvs.render.markdown import render_markdown

        return render_markdown(comparison)
    if output_format == "text":
        from modelvs.render.text import DEFAULT_WIDTH, render_text

        return render_text(comparison, color=color, width=width or DEFAULT_WIDTH)
    raise ValueError(f"unknown format {output_format!r}; use text, markdown, json or html")
