"""Problems found while loading or checking the catalog."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

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
        message = _explain(item["type"], item["msg"], item.get("input"), item.get("ctx", {}))
        found.append(Problem(path, line_of(text, loc), dotted(loc), message))
    return found


def plain_message(error: ErrorDetails) -> str:
    """Rewrite one Pydantic error as what the field must be, without the value found.

    For files whose values may be secrets, such as an API key pasted into endpoints.yaml.
    """
    return _explain(error["type"], error["msg"], None, error.get("ctx", {}))


def _is_internal_step(step: str | int) -> bool:
    return isinstance(step, str) and ("[" in step or step.startswith("function-"))


def _explain(kind: str, message: str, value: object, context: dict[str, Any]) -> str:
    """Rewrite a Pydantic message as what the field must be, plus the value found."""
    if kind == "extra_forbidden":
        return "unknown field; check its spelling against the schema (modelvs data schema)"
    if kind == "missing":
        return "required field is missing; add it"
    if kind == "model_type":
        return expected_shape(str(context.get("class_name", "")))

    if kind in PLAIN_MESSAGES:
        message = PLAIN_MESSAGES[kind]
    elif kind in BOUND_MESSAGES:
        phrase, key = BOUND_MESSAGES[kind]
        message = f"must be {phrase} {context.get(key)}"
    elif kind in ("enum", "literal_error"):
        message = f"must be {context.get('expected')}"
    elif kind == "string_pattern_mismatch":
        message = _pattern_message(str(context.get("pattern", "")))
    elif kind in ("string_too_short", "too_short"):
        message = f"must have at least {_count(kind, context.get('min_length'))}"
    elif kind in ("string_too_long", "too_long"):
        message = f"must have at most {_count(kind, context.get('max_length'))}; shorten it"
    elif kind.startswith("date"):
        reason = context.get("error")
        message = "must be a real date written YYYY-MM-DD" + (f", but {reason}" if reason else "")
    else:
        message = message.removeprefix("Value error, ").replace("Input should be", "must be")

    if value is not None and not isinstance(value, dict | list):
        return f"{message} (got {_shorten(repr(value))})"
    return message


PLAIN_MESSAGES = {
    "dict_type": "must be a mapping of key: value pairs",
    "list_type": "must be a list, written [a, b] or as lines that start with '- '",
    "string_type": "must be text; put quotes around it",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number, not .inf or .nan",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "url_type": "must be a full URL that starts with https://",
    "url_parsing": "must be a full URL that starts with https://",
    "url_scheme": "must be a full URL that starts with https://",
}

# Pydantic error type -> (phrase, key of the bound in the error's context).
BOUND_MESSAGES = {
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("below", "lt"),
    "less_than_equal": ("at most", "le"),
}


def expected_shape(class_name: str) -> str:
    """Describe the mapping a schema class expects, for a value that is not a mapping."""
    from modelvs.catalog import schema

    cls = getattr(schema, class_name, None)
    if not isinstance(cls, type) or not issubclass(cls, BaseModel):
        return "must be a mapping of key: value pairs"
    if issubclass(cls, schema.Fact):
        return "must be a mapping such as {value: ..., source: KEY}"

    fields = cls.model_fields
    required = [name for name, info in fields.items() if info.is_required()]
    if class_name.endswith("File") and len(required) == 1:
        key = required[0]
        return f"must be a mapping with a {key!r} list; start the file with '{key}:'"
    if required:
        return f"must be a mapping with the fields {', '.join(required)}"
    return f"must be a mapping with any of the fields {', '.join(fields)}"


def _pattern_message(pattern: str) -> str:
    from modelvs.catalog.schema import SLUG_PATTERN, VARIANT_PATTERN

    if pattern == SLUG_PATTERN:
        return (
            "must be a slug: lowercase letters, digits, '.' and '-', starting and ending with"
            " a letter or digit"
        )
    if pattern == VARIANT_PATTERN:
        return "must be a variant id: slugs joined by '/', such as docvqa/test"
    return f"must match the pattern {pattern}"


def _count(kind: str, bound: object) -> str:
    unit = "character" if kind.startswith("string") else "item"
    return f"{bound} {unit}" if bound == 1 else f"{bound} {unit}s"


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def problem_at(path: Path, text: str, loc: Sequence[str | int], message: str) -> Problem:
    return Problem(path, line_of(text, loc), dotted(loc), message)
