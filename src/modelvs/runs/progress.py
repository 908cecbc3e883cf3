"""The run progress bar on stderr: items done of the total, failures and elapsed time."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from modelvs.runs.plan import RunPlan


class RunProgress:
    """A Rich progress bar that starts at the items a resumed run had already finished."""

    def __init__(self, plan: RunPlan, show: bool) -> None:
        self._progress = Progress(
            TextColumn("run {task.fields[run_id]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("items, {task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            # A redraw holds the GIL for about 1 ms on a terminal and delays the streams that
            # are being timed; 4 redraws per second are enough for a person.
            refresh_per_second=4,
            disable=not show,
        )
        self._failed = 0
        self._task: TaskID = self._progress.add_task(
            "run",
            total=plan.items_total,
            completed=plan.already_finished,
            run_id=plan.run_id,
            failed=0,
        )

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def advance(self, failed: bool) -> None:
        """Count one finished item, failed or not."""
        self._failed += failed
        self._progress.update(self._task, advance=1, failed=self._failed)
