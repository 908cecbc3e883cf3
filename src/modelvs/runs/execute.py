"""Sending a planned run: items sent concurrently, and stored as they finish.

One ``HttpPool`` (keep-alive connections per origin) serves every endpoint, and a fixed
number of workers per endpoint bounds how many of its requests are in flight. The event loop
is uvloop's where it is installed, because it roughly halved a bare client's CPU time per
streamed response (docs/benchmarks.md). Results are written by ``ResultWriter`` on its own
thread, so a commit never stalls the event loop that times the streams.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from modelvs.runs.client import (
    DEFAULT_MAX_OUTPUT_BYTES,
    AttemptError,
    Completion,
    Timeouts,
    send_chat,
)
from modelvs.runs.endpoints import read_api_keys
from modelvs.runs.errors import RunStorageError
from modelvs.runs.plan import PlannedItem, RunPlan
from modelvs.runs.pricing import cost_usd
from modelvs.runs.progress import RunProgress
from modelvs.runs.records import ItemResult, RunEndpoint
from modelvs.runs.retry import Outcome, RetryPolicy, send_with_retries
from modelvs.runs.store import RunStore
from modelvs.runs.wire import HttpPool
from modelvs.runs.writer import ResultWriter
from modelvs.store.runs_tables import ITEM_FAILED, ITEM_OK

log = logging.getLogger(__name__)

REDACTED = "[redacted]"
# Shorter keys are redacted from error messages only: replacing a 3-letter string everywhere
# would mangle model outputs.
REDACT_MIN_CHARS = 8
# Tokens per second needs the first and last token at least this far apart. A shorter span
# means that the tokens arrived together, from a buffering proxy or a server that sends the
# whole output at once, and dividing by it gives rates in the millions. NOTE: 10 ms is a
# chosen threshold, not a measured one. It hides the rate of very short answers from fast
# servers (fewer than 21 tokens at 2,000 tokens/s).
MIN_GENERATION_S = 0.010


class RunReport(BaseModel):
    """Counts and duration of one invocation of a run (a new run or a resume)."""

    run_id: int
    items_total: int
    already_finished: int
    sent: int
    ok: int
    failed: int
    elapsed_s: float
    endpoints_without_usage: list[str]


@dataclass
class _Context:
    plan: RunPlan
    pool: HttpPool
    progress: RunProgress
    api_keys: dict[str, str | None]
    rng: random.Random
    writer: ResultWriter
    contents: dict[str, Any] = field(default_factory=dict)
    without_usage: set[str] = field(default_factory=set)


def run_plan(
    plan: RunPlan,
    store: RunStore,
    api_keys: dict[str, str | None] | None = None,
    show_progress: bool = True,
) -> RunReport:
    """Send every planned item and return the counts.

    ``api_keys`` maps endpoint names to keys; when None, they are read from the environment.
    """
    if api_keys is None:
        api_keys = read_api_keys(plan.endpoints)
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        return runner.run(execute_plan(plan, store, api_keys, show_progress))


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """Return uvloop's loop factory when uvloop is installed (not on Windows), else None."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def execute_plan(
    plan: RunPlan,
    store: RunStore,
    api_keys: dict[str, str | None],
    show_progress: bool,
) -> RunReport:
    """Send every planned item and store each result as soon as it finishes."""
    started = time.perf_counter()
    log.info(
        "run %d: sending %d items (%d already finished) to %d endpoints",
        plan.run_id,
        len(plan.items),
        plan.already_finished,
        len(plan.endpoints),
    )
    async with HttpPool() as pool:
        with RunProgress(plan, show_progress) as progress:
            writer = ResultWriter(store, plan.run_id, progress.advance)
            context = _Context(plan, pool, progress, api_keys, _jitter_rng(plan), writer)
            try:
                await _send_all(context)
            except asyncio.CancelledError:
                # After a cancel (Ctrl-C), results that finished are still written.
                _stop_writer(context, interrupted=True)
                raise
            finally:
                _stop_writer(context, interrupted=False)

    report = RunReport(
        run_id=plan.run_id,
        items_total=plan.items_total,
        already_finished=plan.already_finished,
        sent=len(plan.items),
        ok=context.writer.ok,
        failed=context.writer.failed,
        elapsed_s=round(time.perf_counter() - started, 3),
        endpoints_without_usage=sorted(context.without_usage),
    )
    log.info(
        "run %d: %d items sent in %.1f s: %d ok, %d failed",
        plan.run_id,
        report.sent,
        report.elapsed_s,
        report.ok,
        report.failed,
    )
    return report


def _stop_writer(context: _Context, interrupted: bool) -> None:
    """Stop the result writer; raise RunStorageError if an interrupted run left items unstored."""
    unstored = context.writer.shutdown()
    if interrupted and unstored:
        run_id = context.plan.run_id
        raise RunStorageError(
            f"run {run_id} was interrupted, and {unstored} finished items could not be stored"
            f" ({context.writer.last_error}); resume the run with 'modelvs run SUITE --resume"
            f" {run_id}' to send them again"
        )


def _jitter_rng(plan: RunPlan) -> random.Random:
    return random.Random(plan.settings.jitter_seed)


async def _send_all(context: _Context) -> None:
    plan = context.plan
    # Each prompt's content (images as base64) is built once and shared by its endpoints.
    context.contents = {item.prompt.id: item.prompt.message_content() for item in plan.items}
    queues: dict[str, deque[PlannedItem]] = {endpoint.name: deque() for endpoint in plan.endpoints}
    for item in plan.items:
        queues[item.endpoint.name].append(item)

    # `concurrency` workers per endpoint take its items in plan order. One task per item would
    # make the event loop step through every waiting item before the first responses are read:
    # about 0.1 s for 2,000 items, which delays the first requests' streams.
    # A TaskGroup cancels the workers when results fail to store, instead of running on.
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(context.writer.run())
            async with asyncio.TaskGroup() as workers:
                for queue in queues.values():
                    for _ in range(min(plan.settings.concurrency, len(queue))):
                        workers.create_task(_run_worker(context, queue))
            context.writer.close()
    except* RunStorageError as failures:
        raise failures.exceptions[0] from None


async def _run_worker(context: _Context, queue: deque[PlannedItem]) -> None:
    while queue:
        await context.writer.storage_ready.wait()
        if not queue:
            break
        # The worker's next request goes out while this result is written.
        context.writer.add(await _send_item(context, queue.popleft()))


async def _send_item(context: _Context, item: PlannedItem) -> ItemResult:
    endpoint = item.endpoint
    settings = context.plan.settings
    key = context.api_keys.get(endpoint.name)
    timeouts = Timeouts(
        connect_s=settings.connect_timeout_s,
        read_s=settings.timeout_s,
        total_s=settings.total_timeout_s,
    )
    policy = RetryPolicy(retries=settings.retries, backoff_base_s=settings.backoff_base_s)
    label = f"run {context.plan.run_id}, endpoint {endpoint.name}, prompt {item.prompt.id}"

    body = request_body(endpoint, context.contents[item.prompt.id], context.plan)
    send = chat_sender(
        context.pool, endpoint.chat_url, body, key, timeouts, settings.max_output_bytes
    )
    outcome = await send_with_retries(send, policy, context.rng, label)

    result = item_result(item, outcome, _output_secrets(key))
    if outcome.completion is not None and outcome.completion.usage is None:
        _note_missing_usage(context, endpoint)
    if result.status == ITEM_FAILED:
        log.warning("%s failed: %s", label, result.error)
    return result


def chat_sender(
    pool: HttpPool,
    url: str,
    body: bytes,
    key: str | None,
    timeouts: Timeouts,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
) -> Callable[[], Awaitable[Completion]]:
    """Return a function that sends the request once, with the key redacted from its errors."""
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if key:
        headers["Authorization"] = f"Bearer {key}"

    async def send() -> Completion:
        try:
            return await send_chat(pool, url, headers, body, timeouts, max_output_bytes)
        except AttemptError as exc:
            message = redact_message(str(exc), [key] if key else [])
            raise AttemptError(message, exc.retryable, exc.retry_after) from None

    return send


def request_body(endpoint: RunEndpoint, content: Any, plan: RunPlan) -> bytes:
    """Encode the chat completions request for one prompt.

    NOTE: the OpenAI API reference marks ``max_tokens`` deprecated and not supported by its
    o-series reasoning models, which take ``max_completion_tokens``; older OpenAI-compatible
    servers know only ``max_tokens``, so that is what runs send.
    """
    body: dict[str, Any] = {
        "model": endpoint.model,
        "messages": [{"role": "user", "content": content}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": plan.settings.max_tokens,
    }
    if plan.settings.temperature is not None:
        body["temperature"] = plan.settings.temperature
    if plan.seed is not None:
        body["seed"] = plan.seed
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def item_result(item: PlannedItem, outcome: Outcome, secrets: Sequence[str]) -> ItemResult:
    """Build the stored result of one item from the outcome of its requests."""
    common = {
        "prompt_id": item.prompt.id,
        "endpoint_name": item.endpoint.name,
        "model_slug": item.endpoint.catalog_model,
        "attempts": outcome.attempts,
        "finished_at": dt.datetime.now(dt.UTC),
    }
    completion = outcome.completion
    if completion is None:
        return ItemResult(status=ITEM_FAILED, error=outcome.error, **common)
    usage = completion.usage
    return ItemResult(
        status=ITEM_OK,
        output=redact(completion.text, secrets),
        finish_reason=completion.finish_reason,
        latency_s=completion.latency_s,
        ttft_s=completion.ttft_s,
        input_tokens=usage.input_tokens if usage else None,
        output_tokens=usage.output_tokens if usage else None,
        tokens_per_s=decode_rate(completion),
        cost_usd=cost_usd(item.endpoint.price, usage),
        **common,
    )


def decode_rate(completion: Completion) -> float | None:
    """Return output tokens per second of generation: (n - 1) / (last token - first token).

    The span from the first to the last token-carrying chunk contains the n - 1 tokens after
    the first. None when the server reported no usage, fewer than two tokens came, or the span is
    shorter than MIN_GENERATION_S.
    """
    usage, first_s, last_s = completion.usage, completion.ttft_s, completion.last_token_s
    if usage is None or first_s is None or last_s is None or usage.output_tokens < 2:
        return None
    generating_s = last_s - first_s
    if generating_s < MIN_GENERATION_S:
        return None
    return (usage.output_tokens - 1) / generating_s


def _note_missing_usage(context: _Context, endpoint: RunEndpoint) -> None:
    if endpoint.name in context.without_usage:
        return
    context.without_usage.add(endpoint.name)
    log.warning(
        "endpoint %s sent no token usage report; its token counts, tokens per second and"
        " costs are left unknown",
        endpoint.name,
    )


def _output_secrets(key: str | None) -> list[str]:
    return [key] if key and len(key) >= REDACT_MIN_CHARS else []


def redact_message(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret in an error message, and every piece of it 8 characters or longer.

    Messages quote server text cut to a fixed length, so a cut can fall inside a key, and a
    server may echo a key without its prefix ("...CRET-1234"). Longer pieces go first.
    """
    text = redact(text, secrets)
    for secret in secrets:
        for length in range(len(secret) - 1, REDACT_MIN_CHARS - 1, -1):
            for start in range(len(secret) - length + 1):
                piece = secret[start : start + length]
                if piece in text:
                    text = text.replace(piece, REDACTED)
    return text


def redact(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret in ``text`` with a marker."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text
