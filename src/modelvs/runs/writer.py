"""Writing a run's finished results: in batches, on one thread beside the event loop.

Results that finish while a write is in progress are written together in the next transaction.
One commit per batch instead of per item keeps the writer thread, which shares the GIL with the
event loop that times every stream, mostly idle. A result counts as done (progress bar, counts)
once its transaction has committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor

from sqlalchemy.exc import OperationalError

from modelvs.runs.errors import RunStorageError
from modelvs.runs.records import ItemResult
from modelvs.runs.store import RunStore
from modelvs.store.runs_tables import ITEM_FAILED

log = logging.getLogger(__name__)

# How long a run waits out a database that rejects writes (a lock held by another process,
# a restarting server) before it stops, and the waits between tries, in seconds.
STORE_RETRY_S = 300.0
STORE_FIRST_WAIT_S = 0.5
STORE_MAX_WAIT_S = 10.0


class ResultWriter:
    """Collects finished results and writes them while ``run()`` is awaited.

    ``storage_ready`` is cleared while the database refuses writes; senders wait on it, so that
    results do not pile up unwritten.
    """

    def __init__(self, store: RunStore, run_id: int, on_written: Callable[[bool], None]) -> None:
        """``on_written`` is called with each result's "failed" flag once it is committed."""
        self.store = store
        self.run_id = run_id
        self.on_written = on_written
        # Written results, by status.
        self.ok = 0
        self.failed = 0
        self.storage_ready = asyncio.Event()
        self.storage_ready.set()
        self._unwritten: list[ItemResult] = []
        self._wake = asyncio.Event()
        self._closing = False
        # Set once writes failed for good; shutdown() then tries no more.
        self._gave_up = False
        # The batch being written, and its latest write attempt on the thread.
        self._writing: list[ItemResult] = []
        self._attempt: Future[None] | None = None
        # The database's message when a write last failed.
        self.last_error = ""
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="modelvs-run-writer")

    def add(self, result: ItemResult) -> None:
        self._unwritten.append(result)
        self._wake.set()

    def close(self) -> None:
        """Let ``run()`` return once every result added so far is written."""
        self._closing = True
        self._wake.set()

    async def run(self) -> None:
        """Write results as they come until ``close()``; raise RunStorageError if writes fail."""
        while True:
            if not self._unwritten:
                if self._closing:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            self._writing, self._unwritten = self._unwritten, []
            try:
                await self._write(self._writing)
            except RunStorageError:
                self._gave_up = True
                raise
            batch, self._writing = self._writing, []
            for result in batch:
                failed = result.status == ITEM_FAILED
                self.ok += not failed
                self.failed += failed
                self.on_written(failed)

    def shutdown(self) -> int:
        """Stop the writer thread; return how many finished results are not stored.

        After a cancel (Ctrl-C) this waits for the write in progress, and then writes the
        results that are left, unless the database has just refused a write: then they stay
        unstored rather than wait another busy timeout. Later calls return 0.
        """
        left = self._unwritten
        if self._writing and not _succeeded(self._attempt):
            left = self._writing + left
        self._writing, self._unwritten = [], []
        try:
            if left and self.storage_ready.is_set() and not self._gave_up:
                self._thread.submit(self.store.record_items, self.run_id, left).result()
                left = []
        except OperationalError as exc:
            self.last_error = first_line(exc)
        finally:
            self._thread.shutdown(wait=True)
        return len(left)

    async def _write(self, batch: list[ItemResult]) -> None:
        """Write one batch, retrying while the database is locked or unreachable."""
        deadline = time.monotonic() + STORE_RETRY_S
        wait_s = STORE_FIRST_WAIT_S
        while True:
            self._attempt = self._thread.submit(self.store.record_items, self.run_id, batch)
            try:
                await asyncio.wrap_future(self._attempt)
                break
            except OperationalError as exc:
                self.last_error = first_line(exc)
                if time.monotonic() + wait_s > deadline:
                    raise self._storage_error(exc) from None
                if self.storage_ready.is_set():
                    log.warning(
                        "run %d: cannot store finished items (%s); pausing new requests and"
                        " retrying for up to %.0f s",
                        self.run_id,
                        self.last_error,
                        STORE_RETRY_S,
                    )
                self.storage_ready.clear()
                await asyncio.sleep(wait_s)
                wait_s = min(2 * wait_s, STORE_MAX_WAIT_S)
        self.storage_ready.set()

    def _storage_error(self, exc: OperationalError) -> RunStorageError:
        url = self.store.engine.url.render_as_string(hide_password=True)
        return RunStorageError(
            f"run {self.run_id}: cannot store finished items in {url} after trying for"
            f" {STORE_RETRY_S:.0f} s: {first_line(exc)}; items not stored are sent again when"
            f" you resume the run with 'modelvs run SUITE --resume {self.run_id}' once the"
            " database accepts writes"
        )


def _succeeded(attempt: Future[None] | None) -> bool:
    """Wait for a write attempt to end, and return whether it committed."""
    if attempt is None:
        return False
    try:
        attempt.result()
    except (OperationalError, CancelledError):
        return False
    return True


def first_line(exc: OperationalError) -> str:
    """Return the database driver's own message, without SQLAlchemy's statement and parameters."""
    return str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
