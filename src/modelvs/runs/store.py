"""Reading and writing runs in the database (tables in ``modelvs.store.runs_tables``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, Executable, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement

from modelvs.runs.endpoints import describe_validation_error
from modelvs.runs.errors import RunNotFoundError, StoredRunError
from modelvs.runs.records import (
    ItemResult,
    RunDetails,
    RunEndpoint,
    RunPrompt,
    RunSettings,
    RunSummary,
)
from modelvs.runs.suite import Suite
from modelvs.store.db import as_utc
from modelvs.store.runs_tables import ITEM_FAILED, ITEM_OK, RunItemRow, RunPromptRow, RunRow


class RunStore:
    """Runs, their prompts and their items in one database.

    Every method opens its own session and commits before it returns, so an item is durable
    as soon as ``record_item`` or ``record_items`` returns.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_run(
        self,
        suite: Suite,
        endpoints: Sequence[RunEndpoint],
        settings: RunSettings,
        seed: int | None,
    ) -> int:
        """Store a new run with its prompts and return its id."""
        with Session(self.engine) as session, session.begin():
            run = RunRow(
                suite_id=suite.id,
                suite_hash=suite.hash,
                created_at=dt.datetime.now(dt.UTC),
                endpoints=[endpoint.model_dump(mode="json") for endpoint in endpoints],
                settings=settings.model_dump(mode="json"),
                seed=seed,
            )
            session.add(run)
            session.flush()
            session.add_all(
                RunPromptRow(
                    run_id=run.id,
                    prompt_id=prompt.id,
                    position=prompt.position,
                    prompt_hash=prompt.hash,
                    text=prompt.text,
                    category=prompt.category,
                    reference=prompt.reference,
                    image_names=[image.name for image in prompt.images],
                )
                for prompt in suite.prompts
            )
            return run.id

    def update_for_resume(
        self, run_id: int, endpoints: Sequence[RunEndpoint], settings: RunSettings
    ) -> None:
        """Store the endpoints and settings that a resumed run uses from now on."""
        with Session(self.engine) as session, session.begin():
            run = self._run_row(session, run_id)
            run.endpoints = [endpoint.model_dump(mode="json") for endpoint in endpoints]
            run.settings = settings.model_dump(mode="json")

    def finished_ok(self, run_id: int) -> set[tuple[str, str]]:
        """Return the (prompt id, endpoint name) pairs that already finished without error."""
        query = select(RunItemRow.prompt_id, RunItemRow.endpoint_name).where(
            RunItemRow.run_id == run_id, RunItemRow.status == ITEM_OK
        )
        with Session(self.engine) as session:
            return {(prompt_id, endpoint) for prompt_id, endpoint in session.execute(query)}

    def record_item(self, run_id: int, result: ItemResult) -> None:
        """Insert the item, or replace an earlier failed try of it (adding up the attempts)."""
        self.record_items(run_id, [result])

    def record_items(self, run_id: int, results: Sequence[ItemResult]) -> None:
        """Record several items of one run in one transaction (see ``record_item``).

        One INSERT ... ON CONFLICT statement (SQLite 3.24+ and PostgreSQL) keeps the write
        short, because runs write from a thread beside the event loop. Each item appears at
        most once in ``results``.
        """
        rows = [{"run_id": run_id, **result.model_dump()} for result in results]
        with self.engine.begin() as connection:
            connection.execute(_upsert_item(self.engine.dialect.name), rows)

    def summary(self, run_id: int) -> RunSummary:
        with Session(self.engine) as session:
            return self._summaries(session, [self._run_row(session, run_id)])[0]

    def list_runs(self) -> list[RunSummary]:
        """Return every run, newest first."""
        with Session(self.engine) as session:
            rows = session.scalars(select(RunRow).order_by(RunRow.id.desc())).all()
            return self._summaries(session, rows)

    def details(self, run_id: int) -> RunDetails:
        """Return a run with its prompts and items, in suite order and then endpoint order."""
        summary = self.summary(run_id)
        order = {endpoint.name: index for index, endpoint in enumerate(summary.endpoints)}
        with Session(self.engine) as session:
            prompt_rows = session.scalars(
                select(RunPromptRow)
                .where(RunPromptRow.run_id == run_id)
                .order_by(RunPromptRow.position)
            ).all()
            item_rows = session.scalars(select(RunItemRow).where(RunItemRow.run_id == run_id)).all()
            prompts = [prompt_record(row) for row in prompt_rows]
            items = [item_record(row) for row in item_rows]
        position = {prompt.prompt_id: prompt.position for prompt in prompts}
        items.sort(key=lambda i: (position.get(i.prompt_id, 0), order.get(i.endpoint_name, 0)))
        return RunDetails(run=summary, prompts=prompts, items=items)

    def _run_row(self, session: Session, run_id: int) -> RunRow:
        row = session.get(RunRow, run_id)
        if row is None:
            raise RunNotFoundError(
                f"no run has id {run_id}; list the stored runs with 'modelvs runs list'"
            )
        return row

    def _summaries(self, session: Session, rows: Sequence[RunRow]) -> list[RunSummary]:
        ids = [row.id for row in rows]
        counts: dict[tuple[int, str], int] = {}
        prompts: dict[int, int] = {}
        if ids:
            status_counts = session.execute(
                select(RunItemRow.run_id, RunItemRow.status, func.count())
                .where(RunItemRow.run_id.in_(ids))
                .group_by(RunItemRow.run_id, RunItemRow.status)
            )
            counts = {(run_id, status): count for run_id, status, count in status_counts}
            prompt_counts = session.execute(
                select(RunPromptRow.run_id, func.count())
                .where(RunPromptRow.run_id.in_(ids))
                .group_by(RunPromptRow.run_id)
            )
            prompts = {run_id: count for run_id, count in prompt_counts}
        return [_summary(row, prompts.get(row.id, 0), counts) for row in rows]


@cache
def _upsert_item(dialect: str) -> Executable:
    """Build INSERT ... ON CONFLICT DO UPDATE of one item, for the engine's dialect."""
    key = ["run_id", "prompt_id", "endpoint_name"]
    if dialect == "postgresql":
        on_postgresql = postgresql.insert(RunItemRow)
        replaced = _replacement(on_postgresql.excluded)
        return on_postgresql.on_conflict_do_update(index_elements=key, set_=replaced)
    if dialect == "sqlite":
        on_sqlite = sqlite.insert(RunItemRow)
        replaced = _replacement(on_sqlite.excluded)
        return on_sqlite.on_conflict_do_update(index_elements=key, set_=replaced)
    raise NotImplementedError(f"runs support SQLite and PostgreSQL, not {dialect}")


def _replacement(
    excluded: ReadOnlyColumnCollection[str, KeyedColumnElement[Any]],
) -> dict[str, Any]:
    """Take every new value on conflict, but add the earlier attempts to the new ones."""
    names = [name for name in ItemResult.model_fields if name != "attempts"]
    replaced: dict[str, Any] = {name: excluded[name] for name in names}
    replaced["attempts"] = RunItemRow.attempts + excluded.attempts
    return replaced


def _summary(row: RunRow, prompts: int, counts: dict[tuple[int, str], int]) -> RunSummary:
    try:
        endpoints = [RunEndpoint.model_validate(endpoint) for endpoint in row.endpoints]
        settings = RunSettings.model_validate(row.settings)
    except ValidationError as exc:
        # Older versions stored values that are rejected now, such as an infinite temperature.
        raise StoredRunError(
            f"run {row.id} has stored settings that are no longer valid:"
            f" {describe_validation_error(exc)}; start a new run instead of resuming it"
        ) from None
    return RunSummary(
        id=row.id,
        suite_id=row.suite_id,
        suite_hash=row.suite_hash,
        created_at=as_utc(row.created_at),
        endpoints=endpoints,
        settings=settings,
        seed=row.seed,
        prompts=prompts,
        items_total=prompts * len(endpoints),
        items_ok=counts.get((row.id, ITEM_OK), 0),
        items_failed=counts.get((row.id, ITEM_FAILED), 0),
    )


def prompt_record(row: RunPromptRow) -> RunPrompt:
    return RunPrompt(
        prompt_id=row.prompt_id,
        position=row.position,
        prompt_hash=row.prompt_hash,
        text=row.text,
        category=row.category,
        reference=row.reference,
        image_names=list(row.image_names),
    )


def item_record(row: RunItemRow) -> ItemResult:
    return ItemResult(
        prompt_id=row.prompt_id,
        endpoint_name=row.endpoint_name,
        model_slug=row.model_slug,
        status=row.status,
        output=row.output,
        finish_reason=row.finish_reason,
        latency_s=row.latency_s,
        ttft_s=row.ttft_s,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        tokens_per_s=row.tokens_per_s,
        cost_usd=row.cost_usd,
        error=row.error,
        attempts=row.attempts,
        finished_at=as_utc(row.finished_at),
    )
