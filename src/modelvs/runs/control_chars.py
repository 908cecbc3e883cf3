"""Escaping of control characters in text from servers before it reaches a terminal or a log.

A server's output, error body or reason phrase can contain terminal escape sequences (ESC, CSI),
carriage returns that overwrite a line, or bidirectional overrides that reorder what a terminal
shows. Each such character becomes a visible escape such as ``\\x1b`` or ``\\u202e``.
"""

from __future__ import annotations

import re

# Category Cc except tab and line feed (C0, DEL and C1), then the bidirectional marks,
# embeddings, overrides and isolates (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069).
_UNSAFE_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The same characters plus tab and line feed, for text that must stay on one line.
_UNSAFE_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control_chars(text: str) -> str:
    """Escape control characters except tab and line feed, for multi-line text."""
    return _UNSAFE_IN_TEXT.sub(_escape, text)


def escape_control_chars_in_line(text: str) -> str:
    """Escape every control character, tab and line feed included, for one-line messages."""
    return _UNSAFE_IN_LINE.sub(_escape, text)
