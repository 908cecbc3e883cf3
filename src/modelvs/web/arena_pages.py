"""Arena pages: start a battle, vote between two anonymous answers, see the ratings.

Names stay hidden until the battle's one vote is stored; sides are randomised by the service.
Every form carries a CSRF token, every POST is rate-limited per client, and pages are private
(never stored by the page cache or shared caches).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from modelvs.arena.rate_limit import RateLimit, TokenBucketLimiter
from modelvs.arena.service import ArenaService
from modelvs.errors import UsageError
from modelvs.render.sections_html import markdown_html
from modelvs.stats.bradley_terry import RatingsError
from modelvs.store.arena_tables import BattleRow, VoteRow
from modelvs.web import views
from modelvs.web.arena_answers import (
    StoredPrompt,
    ask_both,
    draw_prompt,
    live_endpoints,
    stored_prompts,
)
from modelvs.web.arena_chart import ratings_chart
from modelvs.web.arena_images import MAX_IMAGE_BYTES, data_url, load_image, store_image
from modelvs.web.identity import check_csrf, client_id, csrf_token, remember
from modelvs.web.site import Site

router = APIRouter(include_in_schema=False)

PRIVATE = "private, no-store"
MAX_VOTE_FIELDS = 8
MAX_VOTE_BODY_BYTES = 1024
URLENCODED = "application/x-www-form-urlencoded"
MAX_VOTE_FIELD_CHARS = 64
OUTCOME_LABELS = {
    "model_a": "A is better",
    "model_b": "B is better",
    "tie": "Tie",
    "both_bad": "Both are bad",
}


@dataclass
class Arena:
    """Arena state of one app: the service, the secret key and the rate limiter."""

    service: ArenaService
    key: bytes
    limiter: TokenBucketLimiter


def default_limiter() -> TokenBucketLimiter:
    """``$MODELVS_ARENA_RATE`` as "BURST/PER_SECOND" (default 30 requests, 1 per second)."""
    setting = os.environ.get("MODELVS_ARENA_RATE", "30/1")
    try:
        burst, per_second = (float(part) for part in setting.split("/"))
        return TokenBucketLimiter(RateLimit(capacity=burst, refill_per_s=per_second))
    except ValueError:
        raise UsageError(
            f"MODELVS_ARENA_RATE={setting!r} is invalid; use BURST/PER_SECOND such as 30/1"
        ) from None


def _arena(request: Request) -> tuple[Site, Arena]:
    return request.app.state.site, request.app.state.arena


def _page(request: Request, template: str, client: str, new: bool, **context: Any) -> Response:
    site, arena = _arena(request)
    page = views.page(site, template, csrf=csrf_token(arena.key, client), **context)
    response = Response(page.body, media_type=page.media_type, headers={"Cache-Control": PRIVATE})
    if new:
        remember(response, client, request.url.scheme == "https")
    return response


def _stored_prompts(request: Request) -> list[StoredPrompt]:
    site: Site = request.app.state.site
    if site.data is None:
        return stored_prompts(request.app.state.engine)
    return site.data.stored_prompts()


@router.get("/arena")
def arena_home(request: Request) -> Response:
    client, new = client_id(request)
    return _page(
        request,
        "arena.html.j2",
        client,
        new,
        title="Arena",
        stored=len(_stored_prompts(request)),
        endpoints=len(live_endpoints()),
    )


@router.post("/arena/battles")
async def start_battle(
    request: Request,
    csrf: Annotated[str, Form(max_length=64)],
    prompt: Annotated[str, Form(max_length=32_000)] = "",
    draw: Annotated[str, Form(max_length=10)] = "",
    image: Annotated[UploadFile | None, File()] = None,
) -> Response:
    _, arena = _arena(request)
    client, _ = client_id(request)
    check_csrf(arena.key, client, csrf)
    arena.limiter.check(client)

    if draw:
        stored = draw_prompt(_stored_prompts(request), secrets.randbits(63))
        battle = arena.service.create_battle(
            stored.text, list(stored.answers), client, category=stored.category
        )
        answers = (stored.answers[battle.model_a], stored.answers[battle.model_b])
    else:
        endpoints = live_endpoints()
        if len(endpoints) < 2:
            raise UsageError(
                "typed prompts need endpoints for two catalog models (modelvs endpoints add);"
                " draw a recorded prompt instead"
            )
        image_ref = None
        if image is not None and image.filename:
            image_ref = store_image(await image.read(MAX_IMAGE_BYTES + 1))
        battle = arena.service.create_battle(prompt, list(endpoints), client, image_ref=image_ref)
        try:
            answers = await ask_both(
                prompt,
                endpoints[battle.model_a],
                endpoints[battle.model_b],
                data_url(image_ref) if image_ref else None,
            )
        except Exception:
            arena.service.abandon_battle(battle.id)
            raise
    arena.service.save_answers(battle.id, answers[0], answers[1])
    return RedirectResponse(f"/arena/battles/{battle.id}", status_code=303)


@router.get("/arena/battles/{battle_id}")
def show_battle(request: Request, battle_id: str) -> Response:
    site, arena = _arena(request)
    client, new = client_id(request)
    battle = arena.service.get_battle(battle_id)
    with Session(request.app.state.engine) as session:
        row = session.get(BattleRow, battle.id)
        vote = session.scalar(select(VoteRow).where(VoteRow.battle_id == battle.id))
    assert row is not None
    revealed = vote is not None
    return _page(
        request,
        "battle.html.j2",
        client,
        new,
        title="Arena battle",
        battle=battle,
        prompt=row.prompt,
        image_ref=row.image_ref,
        answer_a=markdown_html(row.answer_a or ""),
        answer_b=markdown_html(row.answer_b or ""),
        revealed=revealed,
        names={
            "a": site.catalog.models[battle.model_a].name if revealed else None,
            "b": site.catalog.models[battle.model_b].name if revealed else None,
        },
        vote=vote,
        outcomes=OUTCOME_LABELS,
    )


@router.get("/arena/images/{reference}")
def battle_image(reference: str) -> Response:
    data, media_type = load_image(reference)
    return Response(
        data, media_type=media_type, headers={"Cache-Control": "private, max-age=86400"}
    )


async def vote(request: Request) -> Response:
    """Store the battle's one vote, then show the battle with both names revealed.

    This is a plain Starlette endpoint because it is the arena's busiest write path, and
    FastAPI's per-request parameter solving costs about as much as storing the vote.
    """
    site, arena = _arena(request)
    battle_id = str(request.path_params["battle_id"])
    csrf, outcome = await _vote_form(request)
    client, _ = client_id(request)
    check_csrf(arena.key, client, csrf)
    arena.limiter.check(client)
    if outcome not in OUTCOME_LABELS:
        raise UsageError(f"unknown vote {outcome!r}; choose one of the four buttons")
    await run_in_threadpool(arena.service.record_vote, battle_id, outcome, client)
    if site.data:
        site.data.touch()
    return RedirectResponse(f"/arena/battles/{battle_id}", status_code=303)


router.add_route("/arena/battles/{battle_id}/vote", vote, methods=["POST"])


async def _read_limited(request: Request, limit_bytes: int) -> bytes:
    """Read the request body, and stop with an error as soon as it passes ``limit_bytes``."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit_bytes:
            raise UsageError(
                f"the vote form is larger than {limit_bytes} bytes; vote with the page's buttons"
            )
    return bytes(body)


async def _vote_form(request: Request) -> tuple[str, str]:
    """Read the ``csrf`` and ``outcome`` fields of a posted vote form."""
    fields: dict[str, object]
    if request.headers.get("content-type", "").startswith(URLENCODED):
        # Browsers post this form urlencoded, which the standard library parses in microseconds.
        body = await _read_limited(request, MAX_VOTE_BODY_BYTES)
        try:
            parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_VOTE_FIELDS)
        except ValueError:
            raise UsageError(
                f"the vote form has more than {MAX_VOTE_FIELDS} fields; vote with the page's"
                " buttons"
            ) from None
        fields = {name: parsed.get(name, [""])[0] for name in ("csrf", "outcome")}
    else:
        async with request.form(max_files=0, max_fields=MAX_VOTE_FIELDS) as form:
            fields = {name: form.get(name) for name in ("csrf", "outcome")}
    for name, value in fields.items():
        if not isinstance(value, str) or not value:
            raise UsageError(
                f"the vote form is missing the {name} field; vote with the page's buttons"
            )
        if len(value) > MAX_VOTE_FIELD_CHARS:
            raise UsageError(
                f"the vote form's {name} field is longer than {MAX_VOTE_FIELD_CHARS} characters;"
                " vote with the page's buttons"
            )
    return str(fields["csrf"]), str(fields["outcome"])


@router.get("/arena/leaderboard")
def leaderboard(request: Request, category: Annotated[str, Query(max_length=40)] = "") -> Response:
    from modelvs.arena.leaderboard import arena_ratings, categories

    site, _ = _arena(request)
    engine = request.app.state.engine
    problem, ratings = "", None
    try:
        ratings = arena_ratings(engine, category or None)
    except RatingsError as exc:
        problem = str(exc)
    page = views.page(
        site,
        "arena_leaderboard.html.j2",
        title="Arena leaderboard",
        ratings=ratings,
        problem=problem,
        category=category,
        categories=categories(engine),
        names={slug: m.name for slug, m in site.catalog.models.items()},
        chart=ratings_chart(ratings, site) if ratings and ratings.models else "",
    )
    return Response(page.body, media_type=page.media_type, headers={"Cache-Control": PRIVATE})
