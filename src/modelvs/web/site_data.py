"""Database-backed parts of a comparison: arena ratings and recorded model outputs.

The web layer reads them here and passes them to the pure comparison engine. Reading the
database on every request would cost more than rendering a cached page, so ``version()`` is
polled at most every ``VERSION_TTL_S`` seconds. Pages are keyed by it, so a new vote or run
shows within that time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from modelvs.arena.leaderboard import arena_ratings
from modelvs.compare.model import (
    ArenaRating,
    ArenaSection,
    OutputAnswer,
    OutputPrompt,
    OutputsSection,
)
from modelvs.errors import UsageError
from modelvs.runs.outputs import ModelOutput, latest_outputs
from modelvs.stats.bradley_terry import RatingsError
from modelvs.stats.ratings import Ratings
from modelvs.store.arena_tables import VoteRow
from modelvs.store.runs_tables import RunItemRow
from modelvs.web.arena_answers import StoredPrompt, stored_prompts

log = logging.getLogger(__name__)

VERSION_TTL_S = 2.0
PROMPTS_PER_PAGE = 20


class SiteData:
    """Arena ratings and outputs for comparison pages, cached per data version."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._version = "0:0"
        self._checked_s = -VERSION_TTL_S
        self._ratings: tuple[str, Ratings | None, str] | None = None
        self._prompts: tuple[str, list[StoredPrompt]] | None = None

    def version(self) -> str:
        """``"<last vote id>:<last run item id>"``, re-read at most every two seconds."""
        now = time.monotonic()
        if now - self._checked_s < VERSION_TTL_S:
            return self._version
        with self._lock:
            try:
                with Session(self.engine) as session:
                    votes = session.scalar(select(func.max(VoteRow.id))) or 0
                    items = session.scalar(select(func.max(RunItemRow.id))) or 0
                self._version = f"{votes}:{items}"
            except SQLAlchemyError as exc:
                log.warning("could not read the data version: %s", exc)
            self._checked_s = now
        return self._version

    def touch(self) -> None:
        """Make the next ``version()`` call read the database (after this process wrote)."""
        self._checked_s = -VERSION_TTL_S

    def ratings(self) -> tuple[Ratings | None, str]:
        """All-category ratings, or None with the reason they cannot be computed."""
        version = self.version()
        cached = self._ratings
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        try:
            ratings: Ratings | None = arena_ratings(self.engine)
            problem = ""
        except RatingsError as exc:
            ratings, problem = None, str(exc)
        self._ratings = (version, ratings, problem)
        return ratings, problem

    def stored_prompts(self) -> list[StoredPrompt]:
        """Recorded prompts that two models answered (see arena_answers.stored_prompts)."""
        version = self.version()
        cached = self._prompts
        if cached is not None and cached[0] == version:
            return cached[1]
        prompts = stored_prompts(self.engine)
        self._prompts = (version, prompts)
        return prompts

    def arena_section(self, slugs: Sequence[str]) -> ArenaSection:
        ratings, problem = self.ratings()
        if ratings is None or ratings.battles == 0:
            status = "no votes yet" if not problem else f"no ratings yet: {problem}"
            return ArenaSection(status=status)
        found = {r.model: r for r in ratings.models}
        rows = []
        for slug in slugs:
            rating = found.get(slug)
            rows.append(
                ArenaRating(
                    model=slug,
                    rating=rating.rating,
                    low=rating.lower,
                    high=rating.upper,
                    rank=rating.rank,
                    votes=rating.votes,
                    provisional=rating.provisional,
                )
                if rating
                else ArenaRating(
                    model=slug,
                    rating=None,
                    low=None,
                    high=None,
                    rank=None,
                    votes=0,
                    provisional=True,
                )
            )
        status = (
            f"Bradley-Terry ratings (Elo scale, mean 1000) from {ratings.battles:,} counted votes"
            f" with 95% {ratings.interval} intervals; a model with fewer than"
            f" {ratings.min_votes} votes is provisional. Details at /arena/leaderboard."
        )
        return ArenaSection(status=status, ratings=rows, sentences=list(ratings.warnings))

    def outputs_section(self, slugs: Sequence[str], page: int = 1) -> OutputsSection:
        """Return one page of recorded outputs; prompts that every model answered come first."""
        try:
            outputs = latest_outputs(self.engine, slugs)
        except SQLAlchemyError as exc:
            log.warning("could not read recorded outputs: %s", exc)
            return OutputsSection(status="none recorded yet")
        prompts = [p for p in outputs.prompts if any(o is not None for o in p.outputs.values())]
        if not prompts:
            return OutputsSection(status="none recorded yet")
        # A stable sort keeps suite order within each group.
        prompts.sort(key=lambda prompt: not prompt.answered_by_all)
        pages = -(-len(prompts) // PROMPTS_PER_PAGE)
        if not 1 <= page <= pages:
            raise UsageError(
                f"outputs page {page} does not exist; pages run from 1 to {pages}"
                f" ({len(prompts)} prompts, {PROMPTS_PER_PAGE} per page)"
            )
        start = (page - 1) * PROMPTS_PER_PAGE
        shown = prompts[start : start + PROMPTS_PER_PAGE]
        return OutputsSection(
            status=_outputs_status(start, len(shown), len(prompts)),
            prompts=[
                OutputPrompt(
                    prompt_id=p.prompt_id,
                    prompt=p.text,
                    category=p.category,
                    answers=[_answer(slug, p.outputs.get(slug)) for slug in slugs],
                )
                for p in shown
            ],
            total_prompts=len(prompts),
            page=page,
            pages=pages,
        )


def _outputs_status(start: int, shown: int, total: int) -> str:
    if shown == total:
        counted = f"{total} prompt{'s' if total != 1 else ''}"
    else:
        counted = f"prompts {start + 1} to {start + shown} of {total}"
    return (
        f"Latest recorded answer of each model to {counted}, those that every model answered"
        " first; run `modelvs run` to record more."
    )


def _answer(slug: str, output: ModelOutput | None) -> OutputAnswer:
    if output is None:
        return OutputAnswer(
            model=slug,
            text=None,
            error=None,
            latency_s=None,
            ttft_s=None,
            output_tokens=None,
            tokens_per_s=None,
            cost_usd=None,
            endpoint=None,
        )
    return OutputAnswer(
        model=slug,
        text=output.output if output.status == "ok" else None,
        error=output.error,
        latency_s=output.latency_s,
        ttft_s=output.ttft_s,
        output_tokens=output.output_tokens,
        tokens_per_s=output.tokens_per_s,
        cost_usd=output.cost_usd,
        endpoint=output.endpoint_name,
    )
