"""Edit a YAML document in place so that diffs stay small and comments survive.

Every edit is applied twice: to the parsed data, which is the truth, and to the text, by
splicing the lines around the node that PyYAML's composer locates. ``render`` returns the
edited text only when it parses back to exactly the edited data. Otherwise (a layout the
splicer does not handle) it renders the whole document from the data and logs a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import yaml

log = logging.getLogger(__name__)

Key = str | int
KeyOrder = Callable[[tuple[str, ...]], Sequence[str]]

# Keys that mark a catalog record (a fact, a source, a score, a price): records are written
# on one line in flow style, as the hand-written catalog files do.
RECORD_KEYS = frozenset({"value", "source", "url", "variant", "provider", "slug", "field"})
LINE_WIDTH = 100
_MISSING = object()


class YamlEditError(Exception):
    """The text cannot be edited in place; the caller falls back to a full rendering."""


def flow(value: Any) -> str:
    """Render ``value`` as one line of flow-style YAML, quoting only where needed."""
    text = yaml.safe_dump(
        [value], default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**9
    )
    return text.strip()[1:-1]


def _inline(key: str, value: Any, indent: int) -> bool:
    if not isinstance(value, dict | list) or not value:
        return True
    if isinstance(value, list):
        return all(not isinstance(item, dict | list) for item in value)
    if RECORD_KEYS & value.keys():
        # A record goes on one line, except a top-level section that contains mappings.
        return indent > 0 or not any(isinstance(item, dict) for item in value.values())
    if indent == 0:
        return False
    return indent + len(key) + 2 + len(flow(value)) <= LINE_WIDTH


def render_block(data: dict[str, Any], indent: int) -> str:
    """Render a mapping in block style: top-level sections as blocks, records on one line."""
    lines: list[str] = []
    pad = " " * indent
    for key, value in data.items():
        if _inline(key, value, indent):
            lines.append(f"{pad}{flow(key)}: {flow(value)}\n")
        elif isinstance(value, dict):
            lines.append(f"{pad}{flow(key)}:\n{render_block(value, indent + 2)}")
        else:
            lines.append(f"{pad}{flow(key)}:\n{render_sequence(value, indent + 2)}")
    return "".join(lines)


def render_sequence(items: list[Any], indent: int) -> str:
    return "".join(f"{' ' * indent}- {flow(item)}\n" for item in items)


def _render_item(item: Any, column: int, block: bool) -> str:
    """Render a sequence item that follows a "- " indicator whose content starts at ``column``."""
    if block and isinstance(item, dict):
        return render_block(item, column)[column:]
    return flow(item) + "\n"


class YamlDocument:
    """A YAML mapping document with its text, edited through ``set``, ``append`` and
    ``replace_item``."""

    def __init__(self, text: str, key_order: KeyOrder | None = None) -> None:
        self.original = text
        self.text = text
        loaded = yaml.safe_load(text) if text.strip() else {}
        if not isinstance(loaded, dict):
            raise YamlEditError("the document is not a YAML mapping")
        self.data: dict[str, Any] = loaded
        self._key_order = key_order or (lambda _path: ())
        self._in_place = bool(text.strip())

    def get(self, path: Sequence[Key], default: Any = None) -> Any:
        node: Any = self.data
        for key in path:
            node = _child(node, key)
            if node is _MISSING:
                return default
        return node

    def set(self, path: Sequence[str], value: Any) -> None:
        """Set the value at ``path``, creating missing mappings in schema key order."""
        parent = self._parent_for(path)
        _insert_ordered(parent, path[-1], value, self._key_order(tuple(path[:-1])))
        self._edit_text(lambda: self._splice_set(path))

    def append(self, path: Sequence[str], item: Any) -> None:
        """Append ``item`` to the sequence at ``path``, creating it when missing."""
        current = self.get(path)
        if not isinstance(current, list):
            self.set(path, [item])
            return
        current.append(item)
        self._edit_text(lambda: self._splice_append(path, item))

    def replace_item(self, path: Sequence[str], index: int, item: Any) -> None:
        """Replace item ``index`` of the sequence at ``path``."""
        current = self.get(path)
        if not isinstance(current, list) or not 0 <= index < len(current):
            raise IndexError(f"no item {index} at {'.'.join(path)}")
        current[index] = item
        self._edit_text(lambda: self._splice_replace_item(path, index, item))

    @property
    def keeps_layout(self) -> bool:
        """Return whether ``render`` returns the edited text rather than a full rendering."""
        return self._in_place and self._text_matches_data()

    def render(self) -> str:
        """Return the edited text, or a full rendering when the in-place edit did not hold."""
        if self.keeps_layout:
            return self.text
        if self.original.strip():
            log.warning("could not keep the layout of a YAML file; rendering it in full")
        return render_block(self.data, 0)

    def _parent_for(self, path: Sequence[str]) -> dict[str, Any]:
        node = self.data
        for depth, key in enumerate(path[:-1]):
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                _insert_ordered(node, key, child, self._key_order(tuple(path[:depth])))
            node = child
        return node

    def _edit_text(self, splice: Callable[[], None]) -> None:
        if not self._in_place:
            return
        try:
            splice()
        except (YamlEditError, yaml.YAMLError) as exc:
            log.debug("in-place YAML edit failed: %s", exc)
            self._in_place = False

    def _text_matches_data(self) -> bool:
        try:
            return bool(yaml.safe_load(self.text) == self.data)
        except yaml.YAMLError:
            return False

    def _root(self) -> yaml.MappingNode:
        node = yaml.compose(self.text, Loader=yaml.SafeLoader)
        if not isinstance(node, yaml.MappingNode) or node.flow_style:
            raise YamlEditError("the document root is not a block mapping")
        return node

    def _walk(self, path: Sequence[str]) -> tuple[yaml.MappingNode, int, tuple[Any, Any] | None]:
        """Return the deepest block mapping on ``path``, the depth reached and the pair found
        there (``None`` when the key at that depth is missing)."""
        node = self._root()
        for depth, key in enumerate(path):
            pair = _find(node, key)
            last = depth == len(path) - 1
            if pair is None or last or not _is_block_mapping(pair[1]):
                return node, depth, pair
            node = pair[1]
        raise YamlEditError("empty path")

    def _splice_set(self, path: Sequence[str]) -> None:
        mapping, depth, pair = self._walk(path)
        subtree = self.get(path[: depth + 1])
        if pair is None:
            self._insert_key(mapping, path[:depth], str(path[depth]), subtree)
        else:
            self._replace_value(pair[0], pair[1], subtree)

    def _splice_append(self, path: Sequence[str], item: Any) -> None:
        _, depth, pair = self._walk(path)
        sequence = pair[1] if pair else None
        complete = depth == len(path) - 1
        if not (complete and isinstance(sequence, yaml.SequenceNode) and _is_block(sequence)):
            self._splice_set(path[: depth + 1])
            return
        last = sequence.value[-1]
        prefix = self._dash_prefix(last)
        offset = self._line_after(_content_end(self.text, last))
        block = _is_block_mapping(last)
        text = prefix + _render_item(item, last.start_mark.column, block)
        self._insert_text(offset, text)

    def _splice_replace_item(self, path: Sequence[str], index: int, item: Any) -> None:
        _, depth, pair = self._walk(path)
        sequence = pair[1] if pair else None
        complete = depth == len(path) - 1
        if not (complete and isinstance(sequence, yaml.SequenceNode) and _is_block(sequence)):
            self._splice_set(path[: depth + 1])
            return
        node = sequence.value[index]
        self._dash_prefix(node)
        start = node.start_mark.index
        end = self._line_after(_content_end(self.text, node))
        text = _render_item(item, node.start_mark.column, _is_block_mapping(node))
        self.text = self.text[:start] + text + self.text[end:]

    def _dash_prefix(self, item: yaml.Node) -> str:
        start = item.start_mark.index
        line_start = self.text.rfind("\n", 0, start) + 1
        prefix = self.text[line_start:start]
        if prefix.strip() != "-":
            raise YamlEditError("a sequence item does not start its own line")
        return prefix

    def _insert_key(
        self, mapping: yaml.MappingNode, mapping_path: Sequence[str], key: str, value: Any
    ) -> None:
        column = mapping.value[0][0].start_mark.column if mapping.value else 0
        order = list(self._key_order(tuple(mapping_path)))
        present = [pair for pair in mapping.value if isinstance(pair[0], yaml.ScalarNode)]
        before = _preceding_pair(present, key, order)
        sibling_block = any(_is_block_mapping(value_node) for _, value_node in present)
        text = _render_entry(key, value, column, block=sibling_block and isinstance(value, dict))
        if before is not None:
            offset = self._line_after(_content_end(self.text, before[1]))
        elif present:
            first_key = present[0][0]
            offset = self.text.rfind("\n", 0, first_key.start_mark.index) + 1
        else:
            raise YamlEditError("cannot insert into an empty mapping")
        self._insert_text(offset, text)

    def _replace_value(self, key_node: yaml.Node, value_node: yaml.Node, value: Any) -> None:
        column = key_node.start_mark.column
        start = key_node.end_mark.index
        end = max(_content_end(self.text, value_node), start)
        colon = self.text.find(":", start)
        if colon < 0 or colon >= max(end, start + 1) or self.text[start:colon].strip():
            raise YamlEditError("no colon after a mapping key")
        block = _is_block_mapping(value_node) and isinstance(value, dict) and bool(value)
        # A record that was written in flow style stays in flow style.
        was_flow = isinstance(value_node, yaml.MappingNode) and bool(value_node.flow_style)
        inline = (was_flow and isinstance(value, dict)) or _inline(
            str(key_node.value), value, column
        )
        if block or not inline:
            nested = (
                render_block(value, column + 2)
                if isinstance(value, dict)
                else render_sequence(value, column + 2)
            )
            body = ":\n" + nested.rstrip("\n")
        else:
            body = ": " + flow(value)
        self.text = self.text[:start] + body + self.text[end:]

    def _line_after(self, index: int) -> int:
        newline = self.text.find("\n", index)
        if newline < 0:
            self.text += "\n"
            return len(self.text)
        return newline + 1

    def _insert_text(self, offset: int, text: str) -> None:
        self.text = self.text[:offset] + text + self.text[offset:]


def _render_entry(key: str, value: Any, column: int, block: bool) -> str:
    if block and isinstance(value, dict) and value:
        return f"{' ' * column}{flow(key)}:\n{render_block(value, column + 2)}"
    return render_block({key: value}, column)


def _insert_ordered(mapping: dict[str, Any], key: str, value: Any, order: Sequence[str]) -> None:
    """Set ``mapping[key]``; a new key goes after the keys that precede it in ``order``."""
    if key in mapping or key not in order:
        mapping[key] = value
        return
    rank = {name: index for index, name in enumerate(order)}
    items = list(mapping.items())
    position = len(items)
    for index, (existing, _) in enumerate(items):
        if existing in rank and rank[existing] > rank[key]:
            position = index
            break
    items.insert(position, (key, value))
    mapping.clear()
    mapping.update(items)


def _preceding_pair(
    pairs: list[tuple[Any, Any]], key: str, order: Sequence[str]
) -> tuple[Any, Any] | None:
    """Return the pair after which ``key`` belongs, or ``None`` when it belongs first."""
    if key not in order:
        return pairs[-1] if pairs else None
    rank = {name: index for index, name in enumerate(order)}
    before = None
    for pair in pairs:
        name = pair[0].value
        if name in rank and rank[name] > rank[key]:
            return before
        before = pair
    return before


def _child(node: Any, key: Key) -> Any:
    if isinstance(node, dict):
        return node.get(key, _MISSING)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return _MISSING


def _find(mapping: yaml.MappingNode, key: Key) -> tuple[Any, Any] | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(key):
            return key_node, value_node
    return None


def _is_block(node: yaml.Node) -> bool:
    return isinstance(node, yaml.CollectionNode) and not node.flow_style and bool(node.value)


def _is_block_mapping(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode) and _is_block(node)


def _content_end(text: str, node: yaml.Node) -> int:
    """Return the index just after the last character of ``node``'s content, leaving out the
    trailing blank lines and comments that PyYAML counts into block collections."""
    if _is_block_mapping(node):
        return _content_end(text, node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and _is_block(node):
        return _content_end(text, node.value[-1])
    start, end = node.start_mark.index, node.end_mark.index
    return start + len(text[start:end].rstrip())
