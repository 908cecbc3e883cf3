"""Problems found while loading or checking the catalog."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import ValidationError

from modelvs.catalog.lines import line_of


class Severity(StrEnum):
    ERROR = "error"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem, printed as ``file:line: field: message``."""

    path: Path
    line: int
    field: str
    message: str
    severity: Severity = Severity.ERROR

    def format(self, root: Path | None = None) -> str:
        shown = self.path
        if root is not None:
            try:
                shown = self.path.relative_to(root)
            except ValueError:
                shown = self.path
        prefix = "" if self.severity is Severity.ERROR else "review: "
        return f"{shown}:{self.line}: {self.field}: {prefix}{self.message}"


def dotted(path: Sequence[str | int]) -> str:
    """Render a field path the way the YAML reads: ``scores[3].setting.shots``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else step
    return out or "(file)"


def problems_from_validation(path: Path, text: str, error: ValidationError) -> list[Problem]:
    """Turn every error of a Pydantic validation into a located problem."""
    found = []
    for item in error.errors(include_url=False):
        # Pydantic adds the generic parameter or validator name as extra loc steps
        # ("Fact[int]", "function-after[...]"); they are not YAML keys.
        loc = [step for step in item["loc"] if not _is_internal_step(step)]
        message = _explain(item["type"], item["msg"], item.get("input"))
        found.append(Problem(path, line_of(text, loc), dotted(loc), message))
    return found


def _is_internal_step(step: str | int) -> bool:
    return isinstance(step, str) and ("[" in step or step.startswith("function-"))


def _explain(kind: str, message: str, value: object) -> str:
    if kind == "extra_forbidden":
        return "unknown field; check its spelling against the schema (modelvs data schema)"
    if kind == "missing":
        return "required field is missing; add it"
    message = message.removeprefix("Value error, ")
    if value is not None and not isinstance(value, dict | list):
        return f"{message} (got {value!r})"
    return message


def problem_at(path: Path, text: str, loc: Sequence[str | int], message: str) -> Problem:
    return Problem(path, line_of(text, loc), dotted(loc), message)
