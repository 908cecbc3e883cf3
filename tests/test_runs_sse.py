"""The event stream parser, the Retry-After parser and the backoff draws."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelvs.runs.retry import RetryPolicy, backoff_s, parse_retry_after
from modelvs.runs.sse import CompletionStream, MalformedStreamError, ServerStreamError, Usage


def event(payload: object) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def delta(content: str, finish_reason: str | None = None) -> bytes:
    return event(
        {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish_reason}]}
    )


STREAM = (
    b": keep-alive comment\n\n"
    + event({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
    + delta("Hello")
    + delta(", wörld")
    + delta("", finish_reason="stop")
    + event({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3}})
    + b"data: [DONE]\n\n"
)


def parse(data: bytes, pieces: list[int] | None = None) -> CompletionStream:
    stream = CompletionStream()
    cuts = sorted({0, len(data), *(pieces or [])})
    for start, end in itertools.pairwise(cuts):
        stream.feed(data[start:end])
    stream.finish()
    return stream


def test_stream_parsed_whole() -> None:
    stream = parse(STREAM)
    assert stream.text == "Hello, wörld"
    assert stream.finish_reason == "stop"
    assert stream.usage == Usage(7, 3)
    assert stream.done
    assert stream.has_token


@settings(deadline=None)  # a correctness property; a loaded machine must not fail it
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=20))
def test_stream_split_anywhere(cuts: list[int]) -> None:
    stream = parse(STREAM, cuts)
    assert stream.text == "Hello, wörld"
    assert stream.usage == Usage(7, 3)
    assert stream.done


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=20))
def test_text_bytes_counted_per_piece(cuts: list[int]) -> None:
    stream = CompletionStream()
    bounds = sorted({0, len(STREAM), *cuts})
    for start, end in itertools.pairwise(bounds):
        stream.feed(STREAM[start:end])
        assert stream.text_bytes() == len(stream.text.encode())
    assert stream.text_bytes() == len("Hello, wörld".encode())
    assert stream.token_events == 2


def test_pending_bytes_of_unfinished_event() -> None:
    stream = CompletionStream()
    stream.feed(b'data: {"choices":\ndata: [],')
    assert stream.pending_bytes == len(b'{"choices":') + len(b"data: [],")
    stream.feed(b'"x": 1}\n\n')
    assert stream.pending_bytes == 0
    assert stream.events == 1


def test_reasoning_counts_as_token() -> None:
    reasoning = {"choices": [{"index": 0, "delta": {"reasoning_content": "hmm"}}]}
    stream = parse(event(reasoning) + delta("answer") + b"data: [DONE]\n\n")
    assert stream.token_events == 2
    assert stream.text == "answer"


@settings(deadline=None)
@given(
    st.sampled_from([b"\r\n", b"\r", b"\n"]),
    st.lists(st.integers(min_value=0, max_value=400), max_size=10),
)
def test_stream_any_line_ending(ending: bytes, cuts: list[int]) -> None:
    data = STREAM.replace(b"\n", ending)
    stream = parse(data, [cut for cut in cuts if cut <= len(data)])
    assert stream.text == "Hello, wörld"
    assert stream.finish_reason == "stop"
    assert stream.done


EVENT_FORMS = {
    # How an event that adds ``word`` can be written; all of them mean the same.
    "plain": lambda word: delta(word),
    "no space": lambda word: delta(word).replace(b"data: ", b"data:", 1),
    "two spaces": lambda word: delta(word).replace(b"data: ", b"data:  ", 1),
    "two lines": lambda word: delta(word).replace(b', "delta"', b',\ndata: "delta"', 1),
    "with id": lambda word: b"id: 7\n" + delta(word),
    "after comment": lambda word: b": ping\n\n" + delta(word),
    "extra blank line": lambda word: b"\n" + delta(word),
}


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(sorted(EVENT_FORMS)), st.text(max_size=5)), max_size=8),
    st.lists(st.integers(min_value=0, max_value=2000), max_size=6),
)
def test_event_forms_mixed_and_split(events: list[tuple[str, str]], cuts: list[int]) -> None:
    data = b"".join(EVENT_FORMS[form](word) for form, word in events) + b"data: [DONE]\n\n"
    expected = "".join(word for _, word in events)
    assert parse(data).text == expected
    assert parse(data, [cut for cut in cuts if cut <= len(data)]).text == expected
    assert parse(data, list(range(len(data)))).text == expected  # one byte at a time


def test_deeply_nested_json_malformed() -> None:
    with pytest.raises(MalformedStreamError, match="event 2 is not valid JSON"):
        parse(delta("a") + b"data: " + b"[" * 100_000 + b"\n\n")


def test_multiline_data_joined() -> None:
    payload = b'data: {"choices": [{"index": 0,\ndata: "delta": {"content": "joined"}}]}\n\n'
    assert parse(payload).text == "joined"


def test_done_without_blank_line() -> None:
    stream = parse(delta("x", "stop") + b"data: [DONE]")
    assert stream.done


def test_unfinished_event_dropped() -> None:
    stream = parse(delta("kept") + b'data: {"choices": [{"delta": {"content": "lost"')
    assert stream.text == "kept"
    assert not stream.done
    assert stream.finish_reason is None


def test_invalid_json_rejected() -> None:
    with pytest.raises(MalformedStreamError, match="event 2 is not valid JSON"):
        parse(delta("a") + b"data: {nope\n\n")


def test_non_object_rejected() -> None:
    with pytest.raises(MalformedStreamError, match="not a JSON object"):
        parse(b"data: [1, 2]\n\n")


def test_error_event_raises() -> None:
    with pytest.raises(ServerStreamError, match="overloaded"):
        parse(delta("a") + event({"error": {"message": "overloaded", "code": 503}}))


def test_usage_absent_is_none() -> None:
    stream = parse(delta("a", "stop") + b"data: [DONE]\n\n")
    assert stream.usage is None


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": 3},
        {"prompt_tokens": "3", "completion_tokens": 4},
        {"prompt_tokens": -1, "completion_tokens": 4},
        {"prompt_tokens": True, "completion_tokens": 4},
    ],
)
def test_invalid_usage_ignored(usage: dict[str, object]) -> None:
    stream = parse(event({"choices": [], "usage": usage}) + b"data: [DONE]\n\n")
    assert stream.usage is None


def test_reasoning_counts_as_first_token() -> None:
    stream = CompletionStream()
    stream.feed(event({"choices": [{"index": 0, "delta": {"reasoning_content": "hmm"}}]}))
    assert stream.has_token
    assert stream.text == ""


def test_other_choices_ignored() -> None:
    chunk = {
        "choices": [
            {"index": 1, "delta": {"content": "second"}},
            {"index": 0, "delta": {"content": "first"}},
        ]
    }
    assert parse(event(chunk)).text == "first"


NOW = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("header", "expected_s"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Fri, 04 Dec 2026 12:00:30 GMT", 30.0),
        ("Fri, 04 Dec 2026 11:59:00 GMT", 0.0),
        (None, None),
        ("soon", None),
        ("-5", None),
        ("inf", None),
        ("nan", None),
        ("", None),
    ],
)
def test_retry_after_parsed(header: str | None, expected_s: float | None) -> None:
    assert parse_retry_after(header, NOW) == expected_s


@settings(deadline=None)
@given(
    st.integers(min_value=0, max_value=60),
    st.floats(min_value=0, max_value=5),
    st.floats(min_value=0, max_value=100),
    st.integers(),
)
def test_backoff_within_full_jitter_bounds(
    retry_number: int, base_s: float, cap_s: float, seed: int
) -> None:
    policy = RetryPolicy(retries=3, backoff_base_s=base_s, backoff_cap_s=cap_s)
    wait_s = backoff_s(policy, retry_number, random.Random(seed))
    assert 0 <= wait_s <= min(cap_s, base_s * 2.0**retry_number)


def test_backoff_reproducible_from_seed() -> None:
    policy = RetryPolicy(retries=3)
    first = [backoff_s(policy, n, random.Random(7)) for n in range(5)]
    second = [backoff_s(policy, n, random.Random(7)) for n in range(5)]
    assert first == second
