"""Map between paths inside a YAML document (keys and list indexes) and line numbers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import yaml

# libyaml's composer keeps the same line marks and is about ten times faster.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FieldPath = list[str | int]


def line_of(text: str, path: Sequence[str | int]) -> int:
    """Return the 1-based line of the deepest node of ``path`` that exists in ``text``.

    Used only to report problems, so this second, node-preserving parse happens on the
    error path alone. Returns 1 when the document cannot be parsed.
    """
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return 1
    if node is None:
        return 1

    line = node.start_mark.line + 1
    for step in path:
        child = _child(node, step)
        if child is None:
            break
        node, line = child
    return line


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node, int] | None:
    if isinstance(node, yaml.MappingNode):
        # The last of repeated keys wins, as it does when the document is constructed.
        found = None
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                found = value, key.start_mark.line + 1
        return found
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(step, int)
        and 0 <= step < len(node.value)
    ):
        item = node.value[step]
        return item, item.start_mark.line + 1
    return None


def walk_nodes(root: yaml.Node) -> Iterator[tuple[FieldPath, yaml.Node]]:
    """Yield every node with its field path, parents before children.

    A mapping key is yielded with the path of its value. Each node is visited once, so
    aliases that repeat or contain their anchor cannot make the walk loop or explode.
    """
    seen: set[int] = set()
    stack: list[tuple[FieldPath, yaml.Node]] = [([], root)]
    while stack:
        path, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield path, node

        children: list[tuple[FieldPath, yaml.Node]] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                step = key.value if isinstance(key, yaml.ScalarNode) else "?"
                children += [([*path, step], key), ([*path, step], value)]
        elif isinstance(node, yaml.SequenceNode):
            children = [([*path, index], item) for index, item in enumerate(node.value)]
        stack.extend(reversed(children))


def path_of_node(root: yaml.Node, target: yaml.Node) -> FieldPath:
    """Return the field path of ``target`` inside ``root``, or [] when it is not found."""
    for path, node in walk_nodes(root):
        if node is target:
            return path
    return []


def path_at(root: yaml.Node, line: int, column: int) -> FieldPath:
    """Return the path of the deepest node that spans the 0-based ``line`` and ``column``."""
    position = (line, column)
    found: FieldPath = []
    for path, node in walk_nodes(root):
        start = (node.start_mark.line, node.start_mark.column)
        end = (node.end_mark.line, node.end_mark.column)
        # Parents come before children and siblings do not overlap, so the last match is
        # the deepest one.
        if start <= position < end:
            found = path
    return found
