"""Group commit: callers that write at the same time share one transaction.

Each commit costs a round trip and, on PostgreSQL, a WAL flush. When many requests store a vote
at once, the first caller writes every waiting request in one transaction, and the others wait
for that commit instead of each running their own. Every caller still returns only after the
transaction holding its write has committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Request = TypeVar("Request")
Result = TypeVar("Result")


@dataclass(slots=True)
class _Slot(Generic[Request, Result]):
    request: Request
    done: bool = False
    result: Result | None = None
    error: BaseException | None = None
    finished: threading.Event = field(default_factory=threading.Event)


class GroupCommit(Generic[Request, Result]):
    """Run ``write_batch`` on every request waiting, in batches of at most ``max_batch``.

    ``write_batch`` gets the requests in arrival order and returns one result or error per
    request, in the same order; an exception it raises goes to every request of the batch.
    """

    def __init__(
        self,
        write_batch: Callable[[Sequence[Request]], Sequence[Result | BaseException]],
        max_batch: int = 64,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._pending: list[_Slot[Request, Result]] = []
        self._writing = False

    def submit(self, request: Request) -> Result:
        """Write ``request`` (possibly with others) and return its result after the commit."""
        slot: _Slot[Request, Result] = _Slot(request)
        with self._lock:
            self._pending.append(slot)
            leads = not self._writing
            if leads:
                self._writing = True
        if not leads:
            # The writer of the current batch hands over to this slot, or finishes it.
            slot.finished.wait()
        if not slot.done:
            self._lead()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _lead(self) -> None:
        """Write the waiting requests, then hand the writer's role to the oldest still waiting."""
        with self._lock:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
        try:
            self._finish(batch, self._run(batch))
        finally:
            with self._lock:
                successor = self._pending[0] if self._pending else None
                self._writing = successor is not None
            if successor is not None:
                # Not done: the successor's own call writes the next batch.
                successor.finished.set()

    def _run(self, batch: list[_Slot[Request, Result]]) -> Sequence[Result | BaseException]:
        try:
            outcomes = self._write_batch([slot.request for slot in batch])
        except Exception as exc:
            # Every caller of the batch sees the failure, as each would have alone.
            return [exc] * len(batch)
        if len(outcomes) != len(batch):
            error = RuntimeError(f"write_batch returned {len(outcomes)} results for {len(batch)}")
            return [error] * len(batch)
        return outcomes

    @staticmethod
    def _finish(
        batch: list[_Slot[Request, Result]], outcomes: Sequence[Result | BaseException]
    ) -> None:
        for slot, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                slot.error = outcome
            else:
                slot.result = outcome
            slot.done = True
            slot.finished.set()
