"""Benchmark: arena vote ingestion over HTTP, and no acknowledged vote lost on kill -9.

Usage: python bench/arena_votes.py [--votes N] [--concurrency C] [--workers W] [--database-url URL]
Needs Debian's wrk (apt-get install wrk). Starts `uvicorn modelvs.web.asgi:app` on 127.0.0.1
with a fresh database (SQLite by default; pass a PostgreSQL URL to test that instead) and
records one prompt answered by two models, then:
1. stores N pending battles through the arena service, and wrk (C connections, the script
   bench/arena_votes.lua) posts each battle's vote once through the real form route, with the
   browser's cookie and CSRF token; votes per second = votes stored / wrk's run time
   (target >= 1,000);
2. creates N more battles over HTTP, posts their votes from Python clients, kills the server
   with SIGKILL mid-load, and checks that every vote the server acknowledged (HTTP 303) is in
   the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_web_arena import record_outputs

from modelvs.arena.service import ArenaService
from modelvs.catalog.load import load_catalog
from modelvs.store.arena_tables import VoteRow
from modelvs.store.db import make_engine
from modelvs.web.arena_answers import draw_prompt, stored_prompts
from modelvs.web.identity import csrf_token

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "catalog"
SECRET = "bench-secret-key-0123456789"
CLIENT = "0123456789abcdef0123456789abcdef"
WRK_THREADS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MODELVS_DATA": str(FIXTURE),
        "MODELVS_DATABASE_URL": database_url,
        "MODELVS_ARENA_RATE": "1000000/1000000",
        "MODELVS_SECRET_KEY": SECRET,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "modelvs.web.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(workers),
        ],
        env=env,
        # A session of its own, so that SIGKILL can reach the supervisor and its workers.
        start_new_session=True,
    )


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(base + "/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the server at {base} did not start within 30 s")


async def create_battles(client: httpx.AsyncClient, csrf: str, count: int) -> list[str]:
    async def one() -> str:
        response = await client.post("/arena/battles", data={"draw": "1", "csrf": csrf})
        return response.headers["location"]

    battles: list[str] = []
    for start in range(0, count, 64):
        battles += await asyncio.gather(*(one() for _ in range(min(64, count - start))))
    return battles


async def post_votes(
    client: httpx.AsyncClient,
    csrf: str,
    battles: list[str],
    concurrency: int,
    acknowledged: list[str],
) -> None:
    queue = list(battles)

    async def worker() -> None:
        while queue:
            battle = queue.pop()
            try:
                response = await client.post(
                    battle + "/vote", data={"csrf": csrf, "outcome": "model_a"}
                )
            except httpx.TransportError:
                return
            if response.status_code == 303:
                acknowledged.append(battle.rsplit("/", 1)[1])

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def session(base: str) -> tuple[httpx.AsyncClient, str]:
    client = httpx.AsyncClient(
        base_url=base, timeout=30.0, limits=httpx.Limits(max_connections=128)
    )
    page = (await client.get("/arena")).text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf, "the arena page has no CSRF token"
    return client, csrf.group(1)


def stored_battles(database_url: str, count: int) -> list[str]:
    """Store ``count`` pending battles with both models' answers; return their URL paths."""
    engine = make_engine(database_url)
    service = ArenaService(engine, load_catalog(FIXTURE), SECRET.encode())
    paths = []
    prompts = stored_prompts(engine)
    for seed in range(count):
        prompt = draw_prompt(prompts, seed)
        battle = service.create_battle(
            prompt.text, list(prompt.answers), CLIENT, category=prompt.category, seed=seed
        )
        service.save_answers(
            battle.id, prompt.answers[battle.model_a], prompt.answers[battle.model_b]
        )
        paths.append(f"/arena/battles/{battle.id}")
    engine.dispose()
    return paths


def stored_vote_times(database_url: str) -> tuple[int, float]:
    """Return the number of stored votes and the seconds from the first to the last one."""
    engine = make_engine(database_url)
    with Session(engine) as db:
        times = sorted(db.scalars(select(VoteRow.created_at)))
    engine.dispose()
    return len(times), (times[-1] - times[0]).total_seconds() if times else 0.0


def wrk_votes(base: str, paths: list[str], connections: int) -> dict[str, float]:
    """Post every battle's vote once with wrk; return the script's summary."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
    csrf = csrf_token(SECRET.encode(), CLIENT)
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", "-d30s", "--timeout", "30s"]
    command += ["-s", str(ROOT / "bench" / "arena_votes.lua"), base, "--"]
    command += [handle.name, CLIENT, csrf, str(WRK_THREADS)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    os.unlink(handle.name)
    return dict(json.loads(output.strip().splitlines()[-1]))


async def run(database_url: str, votes: int, concurrency: int, workers: int) -> None:
    record_outputs(database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    paths = stored_battles(database_url, votes)

    server = start_server(database_url, port, workers)
    try:
        await wait_ready(base)
        # wrk runs for its whole -d time even after every vote is sent, so the ingestion
        # time comes from the votes' own timestamps, first to last.
        summary = wrk_votes(base, paths, concurrency)
        stored, seconds = stored_vote_times(database_url)
        print(
            f"stored {stored:,} of {summary['sent']:,.0f} votes sent in {seconds:.2f} s:"
            f" {stored / seconds:,.0f} votes/s at {concurrency} connections, {workers} worker(s)"
        )

        client, csrf = await session(base)
        battles = await create_battles(client, csrf, votes)
        acknowledged: list[str] = []
        load = asyncio.create_task(post_votes(client, csrf, battles, concurrency, acknowledged))
        # Kill the server mid-load: once about a third of the votes have been acknowledged.
        while len(acknowledged) < votes // 3 and not load.done():
            await asyncio.sleep(0.01)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        await load
        await client.aclose()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)

    engine = make_engine(database_url)
    with Session(engine) as db:
        stored_ids = set(db.scalars(select(VoteRow.battle_id)))
    lost = [battle for battle in acknowledged if battle not in stored_ids]
    print(f"kill -9 after {len(acknowledged):,} acknowledged votes: {len(lost)} lost")
    if lost:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=10000, help="Votes per phase.")
    parser.add_argument("--concurrency", type=int, default=32, help="Concurrent clients.")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
    parser.add_argument(
        "--database-url", default=None, help="Database to use (default: a new SQLite file)."
    )
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='modelvs-votes-')}/v.sqlite3"
    asyncio.run(run(url, args.votes, args.concurrency, args.workers))


if __name__ == "__main__":
    main()
