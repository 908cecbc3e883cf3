"""Planning a run: store a new run, or check a resume request against the stored run.

A plan lists the items still to send. A resumed run sends only the items that have no row or
whose row failed; items that finished without error are never sent again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

from modelvs.catalog.catalog import Catalog
from modelvs.errors import UnknownModelError, UsageError
from modelvs.runs.endpoints import Endpoint, EndpointsFile
from modelvs.runs.errors import ResumeMismatchError
from modelvs.runs.pricing import resolve_price
from modelvs.runs.records import RunEndpoint, RunSettings
from modelvs.runs.store import RunStore
from modelvs.runs.suite import Prompt, Suite

log = logging.getLogger(__name__)

JITTER_SEED_BITS = 31


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Options given for a run; None means "not given" (defaults, or the stored value)."""

    concurrency: int | None = None
    timeout_s: float | None = None
    connect_timeout_s: float | None = None
    total_timeout_s: float | None = None
    max_output_bytes: int | None = None
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
            "total_timeout_s": self.total_timeout_s,
            "max_output_bytes": self.max_output_bytes,
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
    registry: EndpointsFile | None = None,
) -> RunPlan:
    """Check that a resume request matches the stored run and plan its unfinished items.

    With ``registry``, each endpoint's base URL and key variable come from it as it is now.
    """
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

    endpoints = [_current_endpoint(run_id, endpoint, registry) for endpoint in summary.endpoints]
    settings = RunSettings.model_validate({**summary.settings.model_dump(), **options.transport()})
    store.update_for_resume(run_id, endpoints, settings)
    finished = store.finished_ok(run_id)
    items = [
        PlannedItem(prompt, endpoint)
        for prompt in suite.prompts
        for endpoint in endpoints
        if (prompt.id, endpoint.name) not in finished
    ]
    return RunPlan(run_id, suite, endpoints, settings, summary.seed, items, len(finished))


def _current_endpoint(
    run_id: int, stored: RunEndpoint, registry: EndpointsFile | None
) -> RunEndpoint:
    """Take an endpoint's URL and key variable from the registry as it is now.

    A resumed run must reach the server where it is now (a fixed base URL, a new port, a
    rotated key variable), but it keeps the model and the price it started with, so its items
    stay comparable. An endpoint removed from the registry keeps its stored snapshot.
    """
    entries = [] if registry is None else registry.endpoints
    entry = next((endpoint for endpoint in entries if endpoint.name == stored.name), None)
    if entry is None:
        return stored
    if (entry.model, entry.catalog_model) != (stored.model, stored.catalog_model):
        raise ResumeMismatchError(
            f"run {run_id} sent endpoint {stored.name!r} to model {stored.model!r} (catalog"
            f" model {stored.catalog_model!r}), but the endpoints file now gives model"
            f" {entry.model!r} (catalog model {entry.catalog_model!r}); restore the entry to"
            " resume the run, or start a new run"
        )
    current = stored.model_copy(
        update={"base_url": entry.base_url, "api_key_env": entry.api_key_env}
    )
    if current.base_url != stored.base_url:
        log.warning(
            "run %d: endpoint %s now sends to %s (the run started with %s)",
            run_id,
            stored.name,
            current.base_url,
            stored.base_url,
        )
    return current


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
