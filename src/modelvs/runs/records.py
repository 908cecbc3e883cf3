"""Typed records of a run: its settings, endpoint snapshots, items and summaries."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from modelvs.runs.client import DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TOTAL_TIMEOUT_S
from modelvs.runs.endpoints import Endpoint


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunSettings(Record):
    """Request settings of a run, stored with it."""

    # Every float setting must be finite; inf would pass the lower bounds below.
    # A run stored before this check with an infinite temperature (possible on SQLite only)
    # is reported as invalid when runs.store reads it back.
    model_config = ConfigDict(allow_inf_nan=False)

    concurrency: int = Field(default=4, ge=1, description="Requests in flight per endpoint.")
    timeout_s: float = Field(default=120.0, gt=0, description="Read timeout per request.")
    connect_timeout_s: float = Field(default=10.0, gt=0)
    # Runs stored before these two limits existed load with the defaults.
    total_timeout_s: float = Field(
        default=DEFAULT_TOTAL_TIMEOUT_S,
        gt=0,
        description="Total timeout per request attempt, connecting included.",
    )
    max_output_bytes: int = Field(
        default=DEFAULT_MAX_OUTPUT_BYTES,
        ge=1,
        description="Maximum output size in bytes of UTF-8 text.",
    )
    retries: int = Field(default=2, ge=0, description="Retries after the first attempt.")
    backoff_base_s: float = Field(default=0.5, ge=0)
    max_tokens: int = Field(default=2048, ge=1, description="Sent as max_tokens.")
    temperature: float | None = Field(default=None, ge=0, description="None: server default.")
    # Seeds the retry jitter, so a run's waits can be reproduced.
    jitter_seed: int = 0


class TokenPrice(Record):
    """The price a run charges tokens at, in USD per 1M tokens, and where it comes from."""

    input_usd_per_mtok: float
    output_usd_per_mtok: float
    source: str


class RunEndpoint(Record):
    """An endpoint as a run used it: the registry entry plus the price resolved at the start.

    ``api_key_env`` is the NAME of the key's environment variable; no key value is stored.
    """

    name: str
    base_url: str
    model: str
    api_key_env: str | None
    catalog_model: str
    price: TokenPrice | None

    @classmethod
    def from_endpoint(cls, endpoint: Endpoint, price: TokenPrice | None) -> RunEndpoint:
        return cls(
            name=endpoint.name,
            base_url=endpoint.base_url,
            model=endpoint.model,
            api_key_env=endpoint.api_key_env,
            catalog_model=endpoint.catalog_model,
            price=price,
        )

    @property
    def chat_url(self) -> str:
        return f"{self.base_url}/chat/completions"


class ItemResult(Record):
    """The finished result of one prompt sent to one endpoint.

    Token counts are None when the server sent no usage report; cost is None when the token
    counts or the price are unknown.
    """

    prompt_id: str
    endpoint_name: str
    model_slug: str
    status: str
    output: str | None = None
    finish_reason: str | None = None
    latency_s: float | None = None
    ttft_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    tokens_per_s: float | None = None
    cost_usd: float | None = None
    error: str | None = None
    attempts: int
    finished_at: dt.datetime


class RunPrompt(Record):
    """A prompt as a run stored it."""

    prompt_id: str
    position: int
    prompt_hash: str
    text: str
    category: str
    reference: str | None
    image_names: list[str]


class RunSummary(Record):
    """A stored run with its item counts; ``items_total`` is prompts times endpoints."""

    id: int
    suite_id: str
    suite_hash: str
    created_at: dt.datetime
    endpoints: list[RunEndpoint]
    settings: RunSettings
    seed: int | None
    prompts: int
    items_total: int
    items_ok: int
    items_failed: int

    @property
    def items_missing(self) -> int:
        return self.items_total - self.items_ok - self.items_failed


class RunDetails(Record):
    """A run with its prompts and every finished item, for ``modelvs runs show``."""

    run: RunSummary
    prompts: list[RunPrompt]
    items: list[ItemResult]
