"""``mcpctl resources watch``: the command line in-process against a real server of subscribable resources.

``tests/servers/watch.py`` announces updates as each era expects: ``resources/subscribe`` then
``notifications/resources/updated`` (``--protocol legacy``), or a ``subscriptions/listen`` stream (``auto``
negotiates 2026-07-28 with it). Each test asserts the exit code, stdout and stderr separately.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, SERVERS_DIR, faulty, serve_asgi

from cli.runner import mcpctl

WATCH_PY = SERVERS_DIR / "watch.py"
ERAS = ["auto", "legacy"]  # auto: 2026-07-28 (subscriptions/listen); legacy: the handshake era (resources/subscribe)


def watch_server(*flags: str) -> str:
    """The ``--stdio`` command line of the watch test server."""
    return " ".join([shlex.quote(sys.executable), shlex.quote(str(WATCH_PY)), *flags])


def lines(stdout: str) -> list[dict[str, Any]]:
    """stdout as NDJSON: every line one JSON object."""
    return [json.loads(line) for line in stdout.splitlines()]


def error_line(stderr: str) -> dict[str, Any]:
    """The one JSON error line on stderr (the watch's default output is NDJSON)."""
    found = [line for line in stderr.splitlines() if line.strip()]
    assert len(found) == 1, stderr
    return json.loads(found[0])["error"]  # type: ignore[no-any-return]


def seen_by_server(calls: Path) -> list[str]:
    """What the watch server noted in $WATCH_CALLS, without its pid line."""
    return [line for line in calls.read_text().splitlines() if not line.startswith("pid ")]


# ----------------------------------------------------------------------------------------------------------- updates


@pytest.mark.parametrize("protocol", ERAS)
def test_count_2_prints_two_ndjson_lines_with_the_uri_server_and_utc_time(protocol: str) -> None:
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.2"), "watch://counter", "--count", "2",
        "--protocol", protocol,
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert r.stderr == ""
    got = lines(r.stdout)
    assert len(got) == 2
    for line in got:
        assert list(line)[:3] == ["uri", "server", "time"]
        assert line["uri"] == "watch://counter"
        assert line["server"] == "watch"
        assert line["time"].endswith("Z")
        assert datetime.datetime.fromisoformat(line["time"].replace("Z", "+00:00")).utcoffset() == datetime.timedelta(0)
        assert "result" not in line


def test_2026_lines_carry_the_notifications_meta_as_sent() -> None:
    r = mcpctl("resources", "watch", "--stdio", watch_server("--every", "0.2"), "watch://counter", "--count", "1")
    assert r.exit_code == 0, r
    (line,) = lines(r.stdout)
    assert list(line["_meta"]) == ["io.modelcontextprotocol/subscriptionId"]  # the listen request's id, as stamped
    assert str(line["_meta"]["io.modelcontextprotocol/subscriptionId"]).startswith("listen-")


@pytest.mark.parametrize("protocol", ERAS)
def test_read_adds_the_resources_read_answer_after_each_update(protocol: str) -> None:
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.2"), "watch://counter", "--count", "2", "--read",
        "--protocol", protocol,
    )  # fmt: skip
    assert r.exit_code == 0, r
    first, second = lines(r.stdout)
    texts = [line["result"]["contents"][0]["text"] for line in (first, second)]
    assert texts[0].startswith("counter ") and texts[1].startswith("counter ")
    assert int(texts[1].split()[1]) > int(texts[0].split()[1])  # read after each update, not once
    assert first["result"]["contents"][0] == {"uri": "watch://counter", "mimeType": "text/plain", "text": texts[0]}


@pytest.mark.parametrize("protocol", ERAS)
def test_updates_of_only_the_watched_uris_are_printed(protocol: str) -> None:
    # The server ticks watch://counter; watching watch://other only, nothing comes before --max-time.
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.2"), "watch://other", "--max-time", "1.5",
        "--protocol", protocol,
    )  # fmt: skip
    assert r.exit_code == 4, r
    assert r.stdout == ""


@pytest.mark.parametrize("protocol", ERAS)
def test_a_read_that_fails_after_an_update_is_an_error_field_and_the_watch_goes_on(protocol: str) -> None:
    # The server announces watch://ghost but cannot read it (a resource removed as it changed).
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.2", "--tick", "watch://ghost"), "watch://ghost",
        "--count", "2", "--read", "--protocol", protocol,
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert r.stderr == ""
    got = lines(r.stdout)
    assert len(got) == 2
    for line in got:
        assert "result" not in line
        assert line["error"]["type"] == "protocol"
        assert line["error"]["code"] == -32602
        assert line["error"]["message"].startswith("Unknown resource: watch://ghost")


def test_json_output_is_one_compact_object_per_update_too() -> None:
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.2"), "watch://counter", "--count", "2", "-o", "json"
    )
    assert r.exit_code == 0, r
    assert [line["uri"] for line in lines(r.stdout)] == ["watch://counter", "watch://counter"]


def test_text_output_prints_time_server_uri_then_the_contents() -> None:
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.2"), "watch://counter", "--count", "1", "--read",
        "-o", "text",
    )  # fmt: skip
    assert r.exit_code == 0, r
    header, contents = r.stdout.splitlines()
    stamp, server, uri = header.split(" ")
    assert stamp.endswith("Z") and server == "watch" and uri == "watch://counter"
    assert contents.startswith("counter ")


@pytest.mark.parametrize("protocol", ERAS)
def test_timeout_does_not_end_an_idle_watch(protocol: str) -> None:
    # Updates 1.2 s apart under --timeout 0.5: the silence between updates is no call going silent.
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "1.2"), "watch://counter", "--count", "2",
        "--timeout", "0.5", "--protocol", protocol,
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert len(lines(r.stdout)) == 2


@pytest.mark.parametrize("protocol", ERAS)
def test_max_time_bounds_the_watch_with_exit_4_saying_how_many_came(protocol: str) -> None:
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.4"), "watch://counter", "--count", "100",
        "--max-time", "1.5", "--protocol", protocol,
    )  # fmt: skip
    assert r.exit_code == 4, r
    assert 1 <= len(lines(r.stdout)) < 100  # what came before the bound was written
    error = error_line(r.stderr)
    assert error["type"] == "timeout"
    assert "--max-time" in error["message"] and "of 100 update(s)" in error["message"]
    assert r.elapsed < 10


# --------------------------------------------------------------------------------------------- subscribe, unsubscribe


def test_handshake_era_subscribes_each_uri_and_unsubscribes_after_count(tmp_path: Path) -> None:
    calls = tmp_path / "calls.txt"
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.2"), "watch://counter", "watch://other",
        "--count", "1", "--protocol", "legacy", env={"WATCH_CALLS": str(calls)},
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert seen_by_server(calls) == [
        "subscribe watch://counter",
        "subscribe watch://other",
        "unsubscribe watch://counter",
        "unsubscribe watch://other",
    ]


def test_a_uri_named_twice_is_subscribed_once_and_each_update_is_one_line(tmp_path: Path) -> None:
    calls = tmp_path / "calls.txt"
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.3"), "watch://counter", "watch://counter",
        "--max-time", "1.6", "--protocol", "legacy", env={"WATCH_CALLS": str(calls)},
    )  # fmt: skip
    assert r.exit_code == 4, r
    assert len(lines(r.stdout)) >= 1
    assert seen_by_server(calls) == ["subscribe watch://counter", "unsubscribe watch://counter"]


def test_2026_opens_one_listen_stream_for_every_uri_and_ends_it_after_count(tmp_path: Path) -> None:
    calls = tmp_path / "calls.txt"
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.2"), "watch://counter", "watch://other",
        "--count", "1", env={"WATCH_CALLS": str(calls)},
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert seen_by_server(calls) == ["listen watch://counter,watch://other", "listen-end"]


# ------------------------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("protocol", ERAS)
def test_server_without_resource_subscriptions_is_exit_5_saying_so(protocol: str) -> None:
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--no-subscribe"), "watch://counter", "--protocol", protocol
    )
    assert r.exit_code == 5, r
    assert r.stdout == ""
    error = error_line(r.stderr)
    assert error["type"] == "protocol"
    assert "does not support resource subscriptions" in error["message"]


def test_demo_server_in_the_handshake_era_does_not_offer_subscriptions_exit_5() -> None:
    r = mcpctl("resources", "watch", "--stdio", DEMO, "demo://readme", "--protocol", "legacy", "-o", "text")
    assert r.exit_code == 5, r
    assert r.stdout == ""
    assert r.stderr.startswith("mcpctl: error: mcpctl.demo does not support resource subscriptions")
    assert "hint: " in r.stderr


def test_unknown_uri_refused_by_a_handshake_era_server_is_exit_5_with_its_answer(tmp_path: Path) -> None:
    calls = tmp_path / "calls.txt"
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server(), "watch://counter", "watch://nope", "--protocol", "legacy",
        env={"WATCH_CALLS": str(calls)},
    )  # fmt: skip
    assert r.exit_code == 5, r
    assert r.stdout == ""
    error = error_line(r.stderr)
    assert (
        error["message"]
        == "could not subscribe to watch://nope: Unknown resource: watch://nope (JSON-RPC error -32602)"
    )
    assert error["code"] == -32602
    # what was subscribed before the refusal is unsubscribed all the same
    assert seen_by_server(calls) == [
        "subscribe watch://counter",
        "subscribe watch://nope",
        "unsubscribe watch://counter",
    ]


def test_unknown_uri_in_2026_is_accepted_by_the_server_and_waits_until_max_time() -> None:
    # 2026-07-28 servers honour any URI ("a subscription to a nonexistent resource is honored and never fires").
    r = mcpctl("resources", "watch", "--stdio", watch_server(), "watch://nope", "--max-time", "1")
    assert r.exit_code == 4, r
    assert r.stdout == ""
    assert "0 update(s) seen" in error_line(r.stderr)["message"]


def test_a_2026_stream_the_server_closes_gracefully_ends_the_watch_with_exit_0_and_a_note() -> None:
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.3", "--close-after", "1.6"), "watch://counter",
        "-o", "text",
    )  # fmt: skip
    assert r.exit_code == 0, r
    updates = [line for line in r.stdout.splitlines() if line.endswith(" watch://counter")]
    assert len(updates) >= 1
    assert r.stderr == f"watch closed the subscription after {len(updates)} update(s)\n"


@pytest.mark.parametrize("protocol", ERAS)
def test_server_exiting_mid_watch_is_exit_3_after_the_updates_it_sent(protocol: str) -> None:
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.2", "--exit-after", "3"), "watch://counter",
        "--protocol", protocol,
    )  # fmt: skip
    assert r.exit_code == 3, r
    assert len(lines(r.stdout)) >= 1  # what came before it went was written
    error = error_line(r.stderr)
    assert error["exit_code"] == 3
    assert "server exited with status 0" in error["message"]
    assert r.elapsed < 15


def test_pinned_2026_revision_subscribes_without_asking_what_the_server_offers() -> None:
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--every", "0.2"), "watch://counter", "--count", "1",
        "--protocol", "2026-07-28",
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert [line["uri"] for line in lines(r.stdout)] == ["watch://counter"]


def test_pinned_2026_revision_on_a_server_without_listen_is_exit_5_saying_so() -> None:
    r = mcpctl(
        "resources", "watch", "--stdio", watch_server("--no-subscribe"), "watch://counter", "--protocol", "2026-07-28"
    )
    assert r.exit_code == 5, r
    error = error_line(r.stderr)
    assert error["message"].startswith("watch does not support resource subscriptions (subscriptions/listen: ")
    assert error["code"] == -32601


def test_pinned_2026_revision_on_a_handshake_era_server_is_exit_5_naming_the_revision() -> None:
    r = mcpctl("resources", "watch", "--stdio", faulty("legacy"), "x://y", "--protocol", "2026-07-28")
    assert r.exit_code == 5, r
    error = error_line(r.stderr)
    assert error["type"] == "unsupported_revision"
    assert error["message"].startswith("the server does not speak protocol revision 2026-07-28")


@pytest.mark.parametrize("args", [[], ["watch"]])
def test_missing_server_or_uri_is_a_usage_error(args: list[str]) -> None:
    r = mcpctl("resources", "watch", *args)
    assert r.exit_code == 2, r
    assert r.stdout == ""


def test_uri_is_required_with_stdio_too() -> None:
    r = mcpctl("resources", "watch", "--stdio", watch_server(), "-o", "text")
    assert r.exit_code == 2, r
    assert r.stdout == ""
    assert "Missing argument '[SERVER] URI'" in r.stderr


@pytest.mark.parametrize("count", ["0", "-1", "x"])
def test_count_must_be_a_positive_integer(count: str) -> None:
    r = mcpctl("resources", "watch", "--stdio", watch_server(), "watch://counter", "--count", count)
    assert r.exit_code == 2, r
    assert r.stdout == ""


# -------------------------------------------------------------------------------------------------------------- HTTP


@pytest.fixture
def watch_http_url() -> Iterator[str]:
    """The watch server over Streamable HTTP, ticking watch://counter every 0.2 s: ``http://127.0.0.1:PORT/mcp``."""
    spec = importlib.util.spec_from_file_location("mcpctl_tests_watch", WATCH_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with serve_asgi(module.build(0.2, True).streamable_http_app(host="127.0.0.1")) as base:
        yield f"{base}/mcp"


@pytest.mark.parametrize("protocol", ERAS)
def test_watch_over_streamable_http_in_both_eras(watch_http_url: str, protocol: str) -> None:
    r = mcpctl(
        "resources", "watch", "--url", watch_http_url, "watch://counter", "--count", "2", "--read",
        "--protocol", protocol,
    )  # fmt: skip
    assert r.exit_code == 0, r
    got = lines(r.stdout)
    assert [line["uri"] for line in got] == ["watch://counter", "watch://counter"]
    assert all(line["result"]["contents"][0]["text"].startswith("counter ") for line in got)
