"""The latest outputs per prompt of several catalog models, for the comparison page.

Prompts are matched across runs by content hash (text and image bytes), so outputs of the same
question from different runs and endpoints line up, and an edited prompt counts as a new one.
For each prompt and model the newest item that finished without error is chosen; a model with
only failed items shows its newest failure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from modelvs.errors import UsageError
from modelvs.store.db import as_utc
from modelvs.store.runs_tables import ITEM_OK, RunItemRow, RunPromptRow, RunRow


class ModelOutput(BaseModel):
    """One model's answer to one prompt.

    Token counts and tokens per second are None when the server reported no usage; cost is
    None when the usage or the price was unknown. ``error`` is set when ``status`` is failed.
    """

    model_config = ConfigDict(frozen=True)

    model_slug: str
    endpoint_name: str
    run_id: int
    status: str
    output: str | None
    finish_reason: str | None
    latency_s: float | None
    ttft_s: float | None
    input_tokens: int | None
    output_tokens: int | None
    tokens_per_s: float | None
    cost_usd: float | None
    error: str | None
    finished_at: dt.datetime


class PromptOutputs(BaseModel):
    """A prompt and each requested model's latest output (None when the model has none)."""

    model_config = ConfigDict(frozen=True)

    suite_id: str
    prompt_id: str
    prompt_hash: str
    text: str
    category: str
    reference: str | None
    image_names: list[str]
    outputs: dict[str, ModelOutput | None]

    @property
    def answered_by_all(self) -> bool:
        return all(output is not None for output in self.outputs.values())


class OutputsComparison(BaseModel):
    """Every prompt that at least one of the models answered, in suite order."""

    model_config = ConfigDict(frozen=True)

    model_slugs: list[str]
    prompts: list[PromptOutputs]


def latest_outputs(engine: Engine, model_slugs: Sequence[str]) -> OutputsComparison:
    """Return the latest finished output per prompt for each of ``model_slugs``.

    Slugs must be catalog slugs (resolve names and aliases with ``Catalog.find_model`` first).
    NOTE: this reads every item of the models; an index on (model_slug, finished_at) keeps that
    fast for thousands of items, but not for millions.
    """
    slugs = list(dict.fromkeys(model_slugs))
    if not slugs:
        raise UsageError("name at least one model slug to read outputs for")

    query = (
        select(RunItemRow, RunPromptRow, RunRow.suite_id)
        .join(
            RunPromptRow,
            (RunPromptRow.run_id == RunItemRow.run_id)
            & (RunPromptRow.prompt_id == RunItemRow.prompt_id),
        )
        .join(RunRow, RunRow.id == RunItemRow.run_id)
        .where(RunItemRow.model_slug.in_(slugs))
        .order_by(RunItemRow.finished_at.desc(), RunItemRow.id.desc())
    )
    chosen: dict[tuple[str, str], ModelOutput] = {}
    prompts: dict[str, tuple[RunPromptRow, str]] = {}
    with Session(engine) as session:
        for item, prompt, suite_id in session.execute(query):
            prompts.setdefault(prompt.prompt_hash, (prompt, suite_id))
            key = (prompt.prompt_hash, item.model_slug)
            current = chosen.get(key)
            # Rows come newest first, so the first row of a key is its newest; an older
            # success still replaces a newer failure.
            if current is None or (current.status != ITEM_OK and item.status == ITEM_OK):
                chosen[key] = _model_output(item)

    ordered = sorted(
        prompts.values(), key=lambda entry: (entry[1], entry[0].position, entry[0].prompt_id)
    )
    return OutputsComparison(
        model_slugs=slugs,
        prompts=[
            PromptOutputs(
                suite_id=suite_id,
                prompt_id=prompt.prompt_id,
                prompt_hash=prompt.prompt_hash,
                text=prompt.text,
                category=prompt.category,
                reference=prompt.reference,
                image_names=list(prompt.image_names),
                outputs={slug: chosen.get((prompt.prompt_hash, slug)) for slug in slugs},
            )
            for prompt, suite_id in ordered
        ],
    )


def _model_output(item: RunItemRow) -> ModelOutput:
    return ModelOutput(
        model_slug=item.model_slug,
        endpoint_name=item.endpoint_name,
        run_id=item.run_id,
        status=item.status,
        output=item.output,
        finish_reason=item.finish_reason,
        latency_s=item.latency_s,
        ttft_s=item.ttft_s,
        input_tokens=item.input_tokens,
        output_tokens=item.output_tokens,
        tokens_per_s=item.tokens_per_s,
        cost_usd=item.cost_usd,
        error=item.error,
        finished_at=as_utc(item.finished_at),
    )
