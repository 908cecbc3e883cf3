"""Render a ``Comparison`` as a Rich terminal report."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from modelvs.compare.facts import usd
from modelvs.compare.model import Cell, Comparison, DetailRow, FactSection, ScoreValue

DEFAULT_WIDTH = 110


def render_text(comparison: Comparison, *, width: int = DEFAULT_WIDTH, color: bool = False) -> str:
    """Render to a string; a fixed width and no colour make the output reproducible."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        highlight=False,
        emoji=False,
        markup=False,
    )
    for renderable in report(comparison):
        console.print(renderable)
    return buffer.getvalue()


def report(c: Comparison) -> list[RenderableType]:
    names = {m.slug: m.name for m in c.models}
    title = " vs ".join(m.name for m in c.models)
    parts: list[RenderableType] = [
        Text(f"{title}  (facts as of {c.as_of})", style="bold"),
        _section("1. Verdict", _verdict(c, names)),
        _section("2. Which should you choose?", _choose(c, names)),
        _section("3. Benchmarks", _benchmarks(c, names)),
        _section("4. Arena rating", _arena(c, names)),
        _section("5. Pricing", _pricing(c, names)),
        _section("6. Size and memory to self-host", _size(c, names)),
        _section("7. Context window", _facts(c, c.context)),
        _section("8. Modalities", _facts(c, c.modalities)),
        _section("9. License", _facts(c, c.license)),
        _section("10. Release timeline", _bullets(c.timeline.sentences)),
        _section("11. Knowledge cutoff", _facts(c, c.knowledge_cutoff)),
        _section("12. Outputs comparison", _outputs(c, names)),
        _section("13. Key takeaways", _takeaways(c, names)),
        _section("14. Every field, with sources", _details(c, c.details)),
        _section("15. FAQ", _faq(c)),
    ]
    return parts


def _section(title: str, body: RenderableType) -> Panel:
    return Panel(body, title=title, title_align="left", box=box.ROUNDED, padding=(0, 1))


def _bullets(lines: Sequence[str]) -> Text:
    return Text("\n".join(f"- {line}" for line in lines))


def _verdict(c: Comparison, names: dict[str, str]) -> Group:
    items: list[RenderableType] = []
    for pair in c.pairs:
        verdict = pair.verdict
        label = Text(f"[{verdict.strength.value}] ", style="bold")
        if len(c.pairs) > 1:
            label.append(f"{names[pair.model_a]} vs {names[pair.model_b]}: ", style="bold")
        items.append(label + Text(verdict.headline))
        items.extend(Text(f"  Note: {caveat}", style="dim") for caveat in verdict.caveats)
    if len(c.pairs) > 1:
        items.append(Text(c.headline))
    return Group(*items)


def _choose(c: Comparison, names: dict[str, str]) -> Group:
    items: list[RenderableType] = []
    for choice in c.choose:
        items.append(Text(f"Choose {names[choice.model]} if", style="bold"))
        items.append(_bullets([reason.text for reason in choice.reasons]))
    return Group(*items)


def _score(score: ScoreValue | None) -> str:
    return score.text if score else "not published"


def _benchmarks(c: Comparison, names: dict[str, str]) -> Group:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Benchmark variant")
    for model in c.models:
        table.add_column(model.name, justify="right")
    for row in c.table:
        table.add_row(f"{row.benchmark} [{row.variant}]", *(_score(s) for s in row.cells))
    items: list[RenderableType] = [table]

    for pair in c.pairs:
        items.append(
            Text(f"{names[pair.model_a]} vs {names[pair.model_b]}: shared variants", style="bold")
        )
        shared = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for header in (
            "Variant",
            names[pair.model_a],
            names[pair.model_b],
            "Diff (0-100)",
            "95% interval",
            "Significant",
        ):
            shared.add_column(header, justify="left" if header == "Variant" else "right")
        for s in pair.shared:
            interval = (
                f"{s.low:+.1f} to {s.high:+.1f}"
                if s.low is not None and s.high is not None
                else "none"
            )
            verdict = f"yes, {names[s.winner]}" if s.significant and s.winner else "no"
            shared.add_row(s.variant, s.a.text, s.b.text, f"{s.difference:+.1f}", interval, verdict)
        items.append(shared if pair.shared else Text("No shared comparable variant."))
        if pair.left_out:
            items.append(Text("Left out:", style="bold"))
            items.append(
                _bullets([f"{lo.benchmark} ({lo.variant}): {lo.reason}" for lo in pair.left_out])
            )
        if pair.only_one:
            only = "; ".join(f"{o.variant} ({names[o.model]})" for o in pair.only_one)
            items.append(Text(f"Reported by one model only: {only}.", style="dim"))
    return Group(*items)


def _pricing(c: Comparison, names: dict[str, str]) -> Group:
    ratio = f"{c.pricing.ratio_input}:{c.pricing.ratio_output}"
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in ("Model", "Input/1M", "Output/1M", f"Blended {ratio}", "Provider, date"):
        table.add_column(
            header, justify="left" if header in ("Model", "Provider, date") else "right"
        )
    for line in c.pricing.lines:
        provider = (
            f"{line.blended_provider or line.input_provider}, {line.date}"
            if line.date
            else "; ".join(line.states)
        )
        fallback = "; ".join(line.states) if line.states else "not published"
        table.add_row(
            names[line.model],
            _money(line.input_usd_per_mtok, fallback),
            _money(line.output_usd_per_mtok, fallback),
            _money(line.blended_usd_per_mtok, fallback),
            provider,
        )
    return Group(table, _bullets(c.pricing.sentences))


def _money(value: float | None, fallback: str = "not published") -> str:
    return usd(value) if value is not None else fallback


def _size(c: Comparison, names: dict[str, str]) -> Group:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in ("Model", "Architecture", "Total", "Active", "bf16", "8-bit", "4-bit"):
        table.add_column(header, justify="left" if header in ("Model", "Architecture") else "right")
    for line in c.size.lines:
        memory = [f"{m.gib:.1f} GiB" for m in line.memory] or ["not published"] * 3
        table.add_row(
            names[line.model],
            line.architecture or "not published",
            line.total.text,
            line.active.text,
            *memory,
        )
    return Group(table, _bullets(c.size.sentences), Text(c.size.note, style="dim"))


def _facts(c: Comparison, section: FactSection) -> Group:
    return Group(_details(c, section.rows), _bullets(section.sentences))


def _details(c: Comparison, rows: Sequence[DetailRow]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Field")
    for model in c.models:
        table.add_column(model.name, overflow="fold")
    for row in rows:
        table.add_row(row.label, *(_cell(cell) for cell in row.cells))
    return table


def _cell(cell: Cell) -> str:
    if cell.source is None:
        return cell.text
    return f"{cell.text}\n  {cell.source.url}"


def _takeaways(c: Comparison, names: dict[str, str]) -> Group:
    items: list[RenderableType] = []
    for takeaway in c.takeaways:
        items.append(Text(names[takeaway.model], style="bold"))
        items.append(_bullets(takeaway.points))
    return Group(*items)


def _faq(c: Comparison) -> Group:
    items: list[RenderableType] = []
    for item in c.faq:
        items.append(Text(item.question, style="bold"))
        items.append(Text(item.answer))
    return Group(*items)


def _arena(c: Comparison, names: dict[str, str]) -> RenderableType:
    if not any(r.rating is not None for r in c.arena.ratings):
        return Text(c.arena.status.capitalize() + ".")
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in ("Model", "Rating", "95% interval", "Rank", "Votes"):
        table.add_column(header, justify="left" if header == "Model" else "right")
    for r in c.arena.ratings:
        votes = f"{r.votes:,}" + (" (provisional)" if r.provisional else "")
        if r.rating is None or r.low is None or r.high is None:
            table.add_row(names[r.model], "no votes yet", "", "", votes)
        else:
            table.add_row(
                names[r.model],
                f"{r.rating:.0f}",
                f"{r.low:.0f} to {r.high:.0f}",
                str(r.rank),
                votes,
            )
    return Group(table, _bullets(c.arena.sentences), Text(c.arena.status, style="dim"))


def _outputs(c: Comparison, names: dict[str, str]) -> RenderableType:
    from modelvs.render.sections_html import measurements_text

    if not c.outputs.prompts:
        return Text(c.outputs.status.capitalize() + ".")
    items: list[RenderableType] = [Text(c.outputs.status, style="dim")]
    for prompt in c.outputs.prompts:
        items.append(Text(f"{prompt.prompt_id} ({prompt.category}): {prompt.prompt}", style="bold"))
        for answer in prompt.answers:
            body = answer.text if answer.text is not None else f"failed: {answer.error}"
            items.append(
                Panel(
                    Text(body or ""),
                    title=names[answer.model],
                    title_align="left",
                    subtitle=measurements_text(answer),
                    subtitle_align="left",
                )
            )
    return Group(*items)
