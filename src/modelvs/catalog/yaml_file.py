"""Read one catalog YAML file, reporting every problem of its text with the line.

Catalog text reaches terminals and web pages, so control characters and bidirectional
overrides are rejected wherever they appear: written raw or produced by an escape such as
``"\\e"`` or ``"\\u202e"``. Dates stay strings here, so that Pydantic validates them and an
impossible date such as 2024-02-30 becomes a located problem instead of a crash.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.constructor import ConstructorError

from modelvs.catalog.lines import path_at, path_of_node
from modelvs.catalog.problems import Problem, dotted

# Category Cc except tab, line feed and carriage return, then the bidirectional embeddings,
# overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F).
UNSAFE_CHARACTER = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)

TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
MERGE_TAG = "tag:yaml.org,2002:merge"

try:  # The C parser is about ten times faster; fall back where libyaml is missing.
    _BaseLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


class FastLoader(_BaseLoader):  # type: ignore[misc]
    """The plain safe loader with dates kept as strings; used when no escape can hide text."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != TIMESTAMP_TAG]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


FastLoader.add_constructor(TIMESTAMP_TAG, FastLoader.construct_yaml_str)


class CatalogLoader(_BaseLoader):  # type: ignore[misc]
    """A safe loader that keeps dates as strings and records repeated keys and unsafe text."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != TIMESTAMP_TAG]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.repeated_keys: list[tuple[yaml.Node, yaml.Node]] = []
        self.unsafe_values: list[tuple[yaml.Node, str]] = []

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        constructed_before = node in self.constructed_objects
        try:
            value = super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:
            # PyYAML's constructors raise assorted built-in errors on malformed tagged
            # scalars (IndexError for an empty "!!int", KeyError for "!!bool maybe"), so any
            # of them is re-raised as a YAML error at the node's position.
            value_text = repr(node.value) if isinstance(node, yaml.ScalarNode) else "the value"
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            message = f"cannot read {value_text} as {tag}: {exc}"
            raise ConstructorError(None, None, message, node.start_mark) from exc
        if isinstance(value, str) and not constructed_before:
            match = UNSAFE_CHARACTER.search(value)
            if match:
                self.unsafe_values.append((node, match.group()))
        return value

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            first_keys: dict[Hashable, yaml.Node] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE_TAG:
                    continue
                key = self.construct_object(key_node)
                if not isinstance(key, Hashable):
                    continue
                if key in first_keys:
                    self.repeated_keys.append((first_keys[key], key_node))
                else:
                    first_keys[key] = key_node
        mapping: dict[Any, Any] = super().construct_mapping(node, deep)
        return mapping


# An explicit "!!timestamp" stays a string too, so Pydantic validates every date the same way.
CatalogLoader.add_constructor(TIMESTAMP_TAG, CatalogLoader.construct_yaml_str)


@dataclass(frozen=True, slots=True)
class YamlFile:
    """The parsed content of a file and the text that line numbers refer to.

    ``text`` has unsafe characters removed, which keeps every line number unchanged.
    """

    data: Any
    text: str


def read_yaml(path: Path, problems: list[Problem]) -> YamlFile | None:
    """Parse ``path``, appending its problems; return None when it cannot be parsed."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, 1, "(file)", f"cannot be read: {exc}; save it as UTF-8"))
        return None

    # Unsafe characters are removed before parsing, so the rest of the file is still checked.
    text = UNSAFE_CHARACTER.sub("", raw)
    if "\\" not in text and "!!" not in text:
        fast = _read_fast(path, raw, text)
        if fast is not None:
            parsed, found = fast
            problems.extend(found)
            return parsed
    loader = CatalogLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        problems.extend(_raw_character_problems(path, raw, None))
        problems.append(_syntax_problem(path, exc))
        return None
    except (ValueError, TypeError, RecursionError) as exc:
        problems.extend(_raw_character_problems(path, raw, None))
        problems.append(Problem(path, 1, "(file)", f"cannot be read as YAML: {exc}"))
        return None
    finally:
        loader.dispose()

    problems.extend(_raw_character_problems(path, raw, root))
    if root is not None:
        problems.extend(_repeated_key_problems(path, root, loader.repeated_keys))
        problems.extend(_unsafe_value_problems(path, root, loader.unsafe_values))
    return YamlFile(data, text)


def _read_fast(path: Path, raw: str, text: str) -> tuple[YamlFile, list[Problem]] | None:
    """Parse with the plain loader, checking repeated keys on the node tree.

    Without backslashes no escape can produce an unsafe character, and without "!!" no tag
    can make a constructor fail, so only repeated keys need checking. Returns None to send
    the file through the slower, per-value checking loader (for example on a syntax error).
    """
    loader = FastLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except Exception:
        return None
    finally:
        loader.dispose()
    problems = _raw_character_problems(path, raw, root)
    if root is not None:
        problems.extend(_repeated_key_problems(path, root, _repeated_keys(root)))
    return YamlFile(data, text), problems


def _repeated_keys(root: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
    repeated: list[tuple[yaml.Node, yaml.Node]] = []
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            first_keys: dict[str, yaml.Node] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != MERGE_TAG:
                    earlier = first_keys.setdefault(key_node.value, key_node)
                    if earlier is not key_node:
                        repeated.append((earlier, key_node))
                pending.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return repeated


def _syntax_problem(path: Path, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 1
    reason = getattr(exc, "problem", None) or str(exc)
    return Problem(path, line, "(file)", f"invalid YAML: {reason}; fix the syntax")


def describe_character(character: str) -> str:
    """Return ``U+202E RIGHT-TO-LEFT OVERRIDE``, or ``U+001B`` for unnamed controls."""
    code = f"U+{ord(character):04X}"
    name = unicodedata.name(character, "")
    return f"{code} {name}" if name else code


def _unsafe_message(character: str, verb: str) -> str:
    code = f"U+{ord(character):04X}"
    kind = "control character"
    if unicodedata.category(character) != "Cc":
        kind = "bidirectional control"
    return (
        f"{verb} the {kind} {describe_character(character)}, which can rewrite what a"
        f" terminal or browser shows; remove {code}"
    )


def _raw_character_problems(path: Path, raw: str, root: yaml.Node | None) -> list[Problem]:
    """Report each unsafe character written directly in the file, with its line and field."""
    found = []
    removed_on_line = 0
    line_start = 0
    for match in UNSAFE_CHARACTER.finditer(raw):
        index = match.start()
        newline = raw.rfind("\n", 0, index)
        if newline + 1 != line_start:
            line_start, removed_on_line = newline + 1, 0
        line = raw.count("\n", 0, index)
        # The parsed text lacks the characters removed earlier on this line.
        column = index - line_start - removed_on_line
        removed_on_line += 1
        field = dotted(path_at(root, line, column)) if root is not None else "(file)"
        message = _unsafe_message(match.group(), "contains")
        found.append(Problem(path, line + 1, field, message))
    return found


def _repeated_key_problems(
    path: Path, root: yaml.Node, repeated: list[tuple[yaml.Node, yaml.Node]]
) -> list[Problem]:
    found = []
    for first, again in repeated:
        field = dotted(path_of_node(root, again))
        message = (
            f"key {again.value!r} is repeated (first on line {first.start_mark.line + 1});"
            " YAML keeps only the last value, so remove one of them"
        )
        found.append(Problem(path, again.start_mark.line + 1, field, message))
    return found


def _unsafe_value_problems(
    path: Path, root: yaml.Node, unsafe: list[tuple[yaml.Node, str]]
) -> list[Problem]:
    found = []
    for node, character in unsafe:
        field = dotted(path_of_node(root, node))
        message = _unsafe_message(character, "an escape sequence produces")
        found.append(Problem(path, node.start_mark.line + 1, field, message))
    return found
