"""Errors of the arena package, on the modelvs exception tree."""

from __future__ import annotations

from pathlib import Path

from modelvs.errors import ModelvsError, UsageError

# Battle ids are 32 hex digits, so a longer id in a request is cut in messages.
MAX_SHOWN_ID_CHARS = 64


class BattleNotFoundError(UsageError):
    """No stored battle has this id."""

    http_status = 404

    def __init__(self, battle_id: str) -> None:
        self.battle_id = battle_id
        cut = battle_id if len(battle_id) <= MAX_SHOWN_ID_CHARS else battle_id[:32] + "..."
        super().__init__(f"battle {cut!r} not found; start a new battle")


class DuplicateVoteError(UsageError):
    """The battle already has its one vote."""

    http_status = 409

    def __init__(self, battle_id: str) -> None:
        self.battle_id = battle_id
        super().__init__(
            f"battle {battle_id!r} already has a vote; each battle takes one vote, so start a"
            " new battle to vote again"
        )


class BattleClosedError(UsageError):
    """The battle was abandoned and takes no vote."""

    http_status = 409


class VoteClientMismatchError(UsageError):
    """The vote comes from another client than the one the battle was created for."""

    http_status = 403


class NotEnoughModelsError(UsageError):
    """Fewer than two different models can answer, so no battle can be created."""


class RateLimitedError(UsageError):
    """The client sent more requests than its token bucket allows."""

    http_status = 429

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many requests; retry in {retry_after_s:.1f} s")


class BattleFileError(ModelvsError):
    """A battle file cannot be read or has an invalid row; nothing from it is imported."""

    http_status = 400

    def __init__(self, path: Path, message: str, row: int | None = None) -> None:
        self.path = path
        self.row = row
        where = f"{path}: row {row}" if row is not None else str(path)
        super().__init__(f"{where}: {message}; nothing from the file was imported")
