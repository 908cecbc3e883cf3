"""Map a path inside a YAML document (keys and list indexes) to its line number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

# libyaml's composer keeps the same line marks and is about ten times faster.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                return value, key.start_mark.line + 1
        return None
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(step, int)
        and 0 <= step < len(node.value)
    ):
        item = node.value[step]
        return item, item.start_mark.line + 1
    return None
