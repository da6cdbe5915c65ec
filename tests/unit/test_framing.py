"""mcpctl.sessions.framing: linear, bounded line splitting; the top level of unparsable answers; our requests."""

from __future__ import annotations

import time

import pytest

from mcpctl.sessions.framing import HEAD_BYTES, LineSplitter, Outstanding, top_level

MIB = 1024 * 1024


# ----------------------------------------------------------------------------------------------------- LineSplitter


def test_lines_split_across_chunks_come_out_whole() -> None:
    lines = LineSplitter(100)
    assert lines.feed(b"ab") == []
    assert lines.feed(b"c\nde\n\nf") == [(b"abc", 0), (b"de", 0), (b"", 0)]
    assert lines.rest() == (b"f", 0)


def test_a_line_past_the_limit_keeps_its_head_and_counts_what_was_cut() -> None:
    lines = LineSplitter(4)
    assert lines.feed(b"abcdefg") == []
    assert lines.over_limit
    assert lines.feed(b"hi\nok\n") == [(b"abcd", 5), (b"ok", 0)]
    assert not lines.over_limit


def test_skipping_a_line_drops_the_rest_of_it_and_resumes_after_its_newline() -> None:
    lines = LineSplitter(HEAD_BYTES * 4)
    lines.feed(b"x" * (HEAD_BYTES * 5))
    assert lines.over_limit
    assert lines.skip_line() == b"x" * HEAD_BYTES
    assert not lines.over_limit
    assert lines.feed(b"more of it" * 1000) == []
    assert lines.feed(b"still it\nnext\n") == [(b"next", 0)]
    assert lines.rest() is None


def test_a_long_line_costs_linear_time() -> None:
    """64 KiB chunks, as a pipe delivers them: 40 MiB must not take 16 times as long as 10 MiB."""

    def split(mb: int) -> float:
        lines = LineSplitter(64 * MIB)
        chunk = b"x" * 65536
        started = time.perf_counter()
        for _ in range(mb * 16):
            assert lines.feed(chunk) == []
        assert lines.feed(b"\n")[0][0][:1] == b"x"
        return time.perf_counter() - started

    assert split(40) < 1.0


def test_held_bytes_never_pass_the_limit() -> None:
    lines = LineSplitter(1000)
    for _ in range(1000):
        lines.feed(b"y" * 4096)
    assert sum(len(part) for part in lines._parts) == 1000


# ------------------------------------------------------------------------------------------------------- top_level


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        (b'{"jsonrpc":"2.0","id":3,"result":[1,2]}', {"jsonrpc": "2.0", "id": 3, "result": ...}),
        (b'  { "id" : "a\\"b" , "error": {"code": "x"} }', {"id": 'a"b', "error": ...}),
        (b'{"id":7,"result":{"deep":' + b"[" * 100_000 + b"]" * 100_000 + b"}}", {"id": 7, "result": ...}),
        (b'{"id":7,"result":{"text":"\\ud800"}}', {"id": 7, "result": ...}),
        (
            b'{"jsonrpc":"2.0","id":9,"result":{"content":[{"type":"text","text":"012',
            {"jsonrpc": "2.0", "id": 9, "result": ...},
        ),
        (b'{"method":"notifications/message","params":{"id":5}}', {"method": "notifications/message", "params": ...}),
        (b'{"result":{"id":5},"id":6}', {"result": ..., "id": 6}),
    ],
    ids=["array-result", "escaped-id", "deep", "lone-surrogate", "truncated", "nested-id-is-not-the-id", "id-after"],
)
def test_top_level_reads_the_members_of_text_the_sdk_cannot_parse(line: bytes, fields: dict[str, object]) -> None:
    assert top_level(line) == fields


@pytest.mark.parametrize("line", [b"Welcome to faulty server v1", b"[1, 2]", b""])
def test_top_level_is_none_for_what_is_not_an_object(line: bytes) -> None:
    assert top_level(line) is None


# ----------------------------------------------------------------------------------------------------- Outstanding


class _Message:
    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


def test_an_unreadable_answer_is_matched_to_our_request_by_its_id() -> None:
    requests = Outstanding()
    requests.sent(_Message(id=2, method="tools/list"))
    requests.sent(_Message(id=3, method="tools/call"))
    assert requests.waiting_for({"id": 3, "result": ...}) == (3, "tools/call")
    assert requests.waiting_for({"id": "2", "result": ...}) == (2, "tools/list")  # "2" and 2 alike, as the SDK
    assert requests.waiting_for({"id": 4, "result": ...}) is None
    assert requests.answered(3) == "tools/call"
    assert requests.waiting_for({"id": 3, "result": ...}) is None


def test_an_answer_without_a_usable_id_is_ours_only_when_one_request_waits() -> None:
    requests = Outstanding()
    requests.sent(_Message(id=3, method="tools/call"))
    assert requests.waiting_for({"id": None, "error": ...}) == (3, "tools/call")
    assert requests.waiting_for({"level": "info", "msg": "a JSON log line"}) is None  # not an answer
    requests.sent(_Message(id=4, method="tools/call"))
    assert requests.waiting_for({"error": ...}) is None  # two could be waiting: neither is failed


def test_a_server_request_is_never_taken_for_an_answer() -> None:
    requests = Outstanding()
    requests.sent(_Message(id=1, method="tools/call"))
    assert requests.waiting_for({"id": 1, "method": "sampling/createMessage", "params": ...}) is None


def test_our_cancellation_ends_the_wait_for_its_request() -> None:
    requests = Outstanding()
    requests.sent(_Message(id=5, method="tools/call"))
    requests.sent(_Message(method="notifications/cancelled", params={"requestId": 5, "reason": "caller cancelled"}))
    assert requests.waiting_for({"id": 5, "result": ...}) is None
