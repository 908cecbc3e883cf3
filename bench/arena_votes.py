"""Benchmark: arena vote ingestion over HTTP, and no acknowledged vote lost on kill -9.

Usage: python bench/arena_votes.py [--votes N] [--concurrency C] [--database-url URL]
Starts `uvicorn modelvs.web.asgi:app` on 127.0.0.1 with a fresh database (SQLite by default;
pass a PostgreSQL URL to test that instead), records one prompt answered by two models, creates
N battles over HTTP, then:
1. posts the N votes with C concurrent clients and reports votes per second (target >= 1,000);
2. starts a second batch, kills the server with SIGKILL mid-load, and checks that every vote
   the server acknowledged (HTTP 303) is in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_web_arena import record_outputs

from modelvs.store.arena_tables import VoteRow
from modelvs.store.db import make_engine

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "catalog"


def start_server(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MODELVS_DATA": str(FIXTURE),
        "MODELVS_DATABASE_URL": database_url,
        "MODELVS_ARENA_RATE": "1000000/1000000",
        "MODELVS_SECRET_KEY": "bench-secret-key-0123456789",
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
        ],
        env=env,
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


async def run(database_url: str, votes: int, concurrency: int) -> None:
    record_outputs(database_url)
    port = 8790
    base = f"http://127.0.0.1:{port}"

    server = start_server(database_url, port)
    try:
        await wait_ready(base)
        client, csrf = await session(base)
        battles = await create_battles(client, csrf, votes)
        acknowledged: list[str] = []
        started = time.perf_counter()
        await post_votes(client, csrf, battles, concurrency, acknowledged)
        seconds = time.perf_counter() - started
        print(
            f"ingested {len(acknowledged):,} votes in {seconds:.2f} s:"
            f" {len(acknowledged) / seconds:,.0f} votes/s at {concurrency} concurrent clients"
        )

        battles = await create_battles(client, csrf, votes)
        acknowledged = []
        load = asyncio.create_task(post_votes(client, csrf, battles, concurrency, acknowledged))
        await asyncio.sleep(0.5 * seconds)
        server.send_signal(signal.SIGKILL)
        server.wait()
        await load
        await client.aclose()
    finally:
        if server.poll() is None:
            server.kill()

    engine = make_engine(database_url)
    with Session(engine) as db:
        stored = set(db.scalars(select(VoteRow.battle_id)))
    lost = [battle for battle in acknowledged if battle not in stored]
    print(f"kill -9 after {len(acknowledged):,} acknowledged votes: {len(lost)} lost")
    if lost:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=3000, help="Votes per phase.")
    parser.add_argument("--concurrency", type=int, default=32, help="Concurrent clients.")
    parser.add_argument(
        "--database-url", default=None, help="Database to use (default: a new SQLite file)."
    )
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='modelvs-votes-')}/v.sqlite3"
    asyncio.run(run(url, args.votes, args.concurrency))


if __name__ == "__main__":
    main()
