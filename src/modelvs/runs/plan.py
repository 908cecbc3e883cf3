"""Planning a run: store a new run, or check a resume request against the stored run.

A plan lists the items still to send. A resumed run sends only the items that have no row or
whose row failed; items that finished without error are never sent again.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from modelvs.catalog.catalog import Catalog
from modelvs.errors import UnknownModelError, UsageError
from modelvs.runs.endpoints import Endpoint
from modelvs.runs.errors import ResumeMismatchError
from modelvs.runs.pricing import resolve_price
from modelvs.runs.records import RunEndpoint, RunSettings
from modelvs.runs.store import RunStore
from modelvs.runs.suite import Prompt, Suite

JITTER_SEED_BITS = 31


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Options given for a run; None means "not given" (defaults, or the stored value)."""

    concurrency: int | None = None
    timeout_s: float | None = None
    connect_timeout_s: float | None = None
    retries: int | None = None
    backoff_base_s: float | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None

    def transport(self) -> dict[str, float | int]:
        """Return the given options that change how requests are sent, not what they request."""
        values = {
            "concurrency": self.concurrency,
            "timeout_s": self.timeout_s,
            "connect_timeout_s": self.connect_timeout_s,
            "retries": self.retries,
            "backoff_base_s": self.backoff_base_s,
        }
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True, slots=True)
class PlannedItem:
    prompt: Prompt
    endpoint: RunEndpoint


@dataclass(frozen=True, slots=True)
class RunPlan:
    """A stored run and the items it still has to send."""

    run_id: int
    suite: Suite
    endpoints: list[RunEndpoint]
    settings: RunSettings
    seed: int | None
    items: list[PlannedItem]
    already_finished: int

    @property
    def items_total(self) -> int:
        return len(self.suite.prompts) * len(self.endpoints)


def plan_new_run(
    store: RunStore,
    catalog: Catalog,
    suite: Suite,
    endpoints: Sequence[Endpoint],
    options: RunOptions,
) -> RunPlan:
    """Store a new run of ``suite`` on ``endpoints`` and plan every item."""
    snapshots = [_run_endpoint(endpoint, catalog) for endpoint in endpoints]
    # The jitter seed is drawn here and stored with the run, so its retry waits can be replayed.
    jitter_seed = options.seed
    if jitter_seed is None:
        jitter_seed = random.SystemRandom().getrandbits(JITTER_SEED_BITS)
    max_tokens = {} if options.max_tokens is None else {"max_tokens": options.max_tokens}
    settings = RunSettings.model_validate(
        {
            **options.transport(),
            **max_tokens,
            "temperature": options.temperature,
            "jitter_seed": jitter_seed,
        }
    )
    run_id = store.create_run(suite, snapshots, settings, options.seed)
    items = [PlannedItem(prompt, endpoint) for prompt in suite.prompts for endpoint in snapshots]
    return RunPlan(run_id, suite, snapshots, settings, options.seed, items, 0)


def _run_endpoint(endpoint: Endpoint, catalog: Catalog) -> RunEndpoint:
    try:
        price = resolve_price(endpoint, catalog)
    except UnknownModelError:
        raise UsageError(
            f"endpoint {endpoint.name!r} serves the catalog model {endpoint.catalog_model!r},"
            " which the catalog does not contain; re-add the endpoint with"
            f" 'modelvs endpoints add {endpoint.name} ... --replace'"
        ) from None
    return RunEndpoint.from_endpoint(endpoint, price)


def plan_resume(
    store: RunStore,
    suite: Suite,
    run_id: int,
    endpoint_names: Sequence[str] | None,
    options: RunOptions,
) -> RunPlan:
    """Check that a resume request matches the stored run and plan its unfinished items."""
    summary = store.summary(run_id)
    if (suite.id, suite.hash) != (summary.suite_id, summary.suite_hash):
        raise ResumeMismatchError(
            f"run {run_id} sent suite {summary.suite_id!r} (content hash"
            f" {summary.suite_hash[:12]}), but {suite.path} is suite {suite.id!r} (content hash"
            f" {suite.hash[:12]}); resume with the unchanged suite file, or start a new run"
        )
    stored_names = [endpoint.name for endpoint in summary.endpoints]
    if endpoint_names is not None and list(endpoint_names) != stored_names:
        raise ResumeMismatchError(
            f"run {run_id} used the endpoints {','.join(stored_names)}, not"
            f" {','.join(endpoint_names)}; leave out --endpoints to resume it, or start a new run"
        )
    _check_sampling(run_id, summary.settings, summary.seed, options)

    settings = RunSettings.model_validate({**summary.settings.model_dump(), **options.transport()})
    store.update_settings(run_id, settings)
    finished = store.finished_ok(run_id)
    items = [
        PlannedItem(prompt, endpoint)
        for prompt in suite.prompts
        for endpoint in summary.endpoints
        if (prompt.id, endpoint.name) not in finished
    ]
    return RunPlan(run_id, suite, summary.endpoints, settings, summary.seed, items, len(finished))


def _check_sampling(
    run_id: int, settings: RunSettings, seed: int | None, options: RunOptions
) -> None:
    """Reject sampling options that differ from the stored run: its outputs must stay comparable."""
    checks = [
        ("--max-tokens", options.max_tokens, settings.max_tokens),
        ("--temperature", options.temperature, settings.temperature),
        ("--seed", options.seed, seed),
    ]
    for option, requested, stored in checks:
        if requested is not None and requested != stored:
            stored_text = "unset" if stored is None else stored
            raise ResumeMismatchError(
                f"run {run_id} was sent with {option} {stored_text}, not {requested}; leave the"
                " option out to resume with the stored value, or start a new run"
            )
