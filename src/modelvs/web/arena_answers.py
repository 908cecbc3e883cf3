"""Sources of arena answers: recorded run outputs, or live calls to registered endpoints."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from modelvs.errors import ModelvsError, UsageError
from modelvs.runs.client import AttemptError, Timeouts
from modelvs.runs.endpoints import Endpoint, endpoints_path, load_endpoints, read_api_keys
from modelvs.runs.execute import chat_sender
from modelvs.runs.outputs import latest_outputs
from modelvs.runs.wire import HttpPool
from modelvs.store.runs_tables import ITEM_OK, RunItemRow

log = logging.getLogger(__name__)

LIVE_TIMEOUTS = Timeouts(connect_s=10.0, read_s=120.0)
LIVE_MAX_TOKENS = 1024


class AnswerError(ModelvsError):
    """A model's endpoint failed to answer an arena prompt."""

    http_status = 502


@dataclass(frozen=True, slots=True)
class StoredPrompt:
    """A recorded prompt and the successful answer of each model that has one."""

    text: str
    category: str
    answers: dict[str, str]


def stored_prompts(engine: Engine) -> list[StoredPrompt]:
    """Recorded prompts that at least two models answered without error."""
    with Session(engine) as session:
        query = select(RunItemRow.model_slug).where(RunItemRow.status == ITEM_OK).distinct()
        slugs = list(session.scalars(query))
    if len(slugs) < 2:
        return []
    found = []
    for prompt in latest_outputs(engine, sorted(slugs)).prompts:
        answers = {
            slug: output.output
            for slug, output in prompt.outputs.items()
            if output is not None and output.status == ITEM_OK and output.output
        }
        # Runs keep image file names, not the images, so a voter could not see an image
        # prompt; only text prompts are drawn.
        if len(answers) >= 2 and not prompt.image_names:
            found.append(StoredPrompt(prompt.text, "text", answers))
    return found


def draw_prompt(prompts: Sequence[StoredPrompt], seed: int) -> StoredPrompt:
    """Pick one of ``prompts`` (from ``stored_prompts``) with a seeded draw."""
    if not prompts:
        raise UsageError(
            "no recorded prompt has answers from two models yet; record some with"
            " `modelvs run SUITE --endpoints A,B`, or type a prompt"
        )
    return random.Random(seed).choice(prompts)


def live_endpoints(path: Path | None = None) -> dict[str, Endpoint]:
    """Return the first registered endpoint of each catalog model, keyed by catalog slug."""
    file = endpoints_path(path)
    if not file.exists():
        return {}
    by_model: dict[str, Endpoint] = {}
    for endpoint in load_endpoints(file).endpoints:
        by_model.setdefault(endpoint.catalog_model, endpoint)
    return by_model


Content = str | list[dict[str, object]]


async def ask_both(
    prompt: str, first: Endpoint, second: Endpoint, image_url: str | None = None
) -> tuple[str, str]:
    """Send ``prompt`` (and an image as a data URL) to both endpoints; return both answers."""
    keys = read_api_keys([first, second])
    content: Content = prompt
    if image_url:
        content = [
            {"type": "image_url", "image_url": {"url": image_url}},
            {"type": "text", "text": prompt},
        ]
    async with HttpPool() as pool:
        answers = await asyncio.gather(
            _ask(pool, content, first, keys.get(first.name)),
            _ask(pool, content, second, keys.get(second.name)),
        )
    return answers[0], answers[1]


async def _ask(pool: HttpPool, content: Content, endpoint: Endpoint, key: str | None) -> str:
    body = json.dumps(
        {
            "model": endpoint.model,
            "messages": [{"role": "user", "content": content}],
            "stream": True,
            "max_tokens": LIVE_MAX_TOKENS,
        }
    ).encode()
    send = chat_sender(pool, endpoint.chat_url, body, key, LIVE_TIMEOUTS)
    try:
        completion = await send()
    except AttemptError as exc:
        # The sender already removed the key from the message. The endpoint name would reveal
        # the model before the vote, so it is not shown.
        log.warning("arena answer failed on endpoint %s: %s", endpoint.name, exc)
        raise AnswerError(f"one of the models failed to respond: {exc}; try again") from None
    return completion.text
