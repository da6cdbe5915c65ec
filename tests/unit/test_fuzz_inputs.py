"""Property tests: whatever text a user feeds mcpctl as a profile or a batch file, the answer is the parsed value
or a usage error (exit 2) that says what is wrong, never another exception (which would reach the user as
"unexpected error"). ``args.build_arguments`` has its own property tests in ``test_args.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mcpctl.core.errors import ProfileError, UsageError
from mcpctl.core.profile import SERVER_KEYS, Profile, parse_profile
from mcpctl.ops.batch.file import LINE_KEYS, BatchLine, read_batch

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile (conftest)
PROFILE = Path("fuzz.toml")

# Numbers at and past the edges: huge (no float for them), over Python's 4300-digit int limit, not finite.
EXTREME_INT_LITERALS = ["9" * 400, "9" * 5000, "-" + "9" * 400, "0", "-1", "9223372036854775808"]
EXTREME_FLOAT_LITERALS = ["1e400", "-1e400", "nan", "inf", "-inf", "-0.0", "1e-400", "0.5"]


def _assert_usage_error(error: UsageError) -> None:
    assert error.exit_code == 2
    assert error.message.strip()


# ----------------------------------------------------------------------------------------------------------------------
# profile.parse_profile
# ----------------------------------------------------------------------------------------------------------------------


def check_profile(text: str) -> None:
    try:
        profile = parse_profile(text, PROFILE)
    except (ProfileError, UsageError) as error:
        _assert_usage_error(error)
        assert "fuzz.toml" in error.message, error.message  # every problem names the file
        return
    assert isinstance(profile, Profile)
    for name, server in profile.servers.items():
        assert server.name == name
        assert (server.command is None) != (server.url is None)
        for value in (server.settings.startup_timeout_sec, server.settings.tool_timeout_sec):
            assert value is None or value >= 0  # NaN and negatives are refused
        assert server.settings.retries is None or server.settings.retries >= 0


names = st.one_of(
    st.sampled_from(["demo", "api", "a-b_c", "X1"]),
    st.text(min_size=0, max_size=8),  # dots, spaces, quotes, empty: all must be refused cleanly
)
scalars = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**320),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
server_tables = st.dictionaries(
    st.one_of(st.sampled_from(sorted(SERVER_KEYS)), st.text(min_size=1, max_size=10)),
    toml_values,
    max_size=6,
)
# Mostly well-typed tables, so the checks past the TOML layer are reached too.
typed_values = {
    "command": st.text(max_size=10),
    "url": st.sampled_from(["http://127.0.0.1:1/mcp", "https://x.test/sse", "", "not a url"]),
    "args": st.lists(st.text(max_size=8), max_size=3),
    "env": st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=3),
    "transport": st.sampled_from(["stdio", "sse", "http", "streamable-http", "bogus", "SSE"]),
    "startup_timeout_sec": st.one_of(st.integers(), st.floats(), st.integers(min_value=10**300)),
    "tool_timeout_sec": st.one_of(st.integers(), st.floats(), st.integers(min_value=10**300)),
    "retries": st.one_of(st.integers(), st.integers(min_value=10**300)),
    "enabled": st.booleans(),
    "enabled_tools": st.lists(st.text(max_size=5), max_size=3),
}
typed_server_tables = st.fixed_dictionaries({}, optional=typed_values)
documents = st.fixed_dictionaries(
    {},
    optional={
        "defaults": st.dictionaries(
            st.sampled_from(["startup_timeout_sec", "tool_timeout_sec", "retries", "other"]), scalars, max_size=3
        ),
        "servers": st.dictionaries(names, st.one_of(typed_server_tables, server_tables), max_size=3),
        "extra": toml_values,
    },
)


def toml_lines() -> st.SearchStrategy[str]:
    """TOML-ish text: headers and ``key = literal`` lines, some broken, some with numbers past every limit."""
    header = st.builds(
        lambda kind, name: f"[{kind}{name}]",
        st.sampled_from(["servers.", "defaults", "[servers.", "servers.demo.", ""]),
        names,
    )
    literal = st.one_of(
        st.sampled_from(EXTREME_INT_LITERALS + EXTREME_FLOAT_LITERALS),
        st.sampled_from(['"x"', "'y'", "true", "[]", '["a", 1]', "{}", '{ A = "b" }', "1979-05-27", '"""', "[["]),
        st.text(max_size=6),
    )
    key = st.one_of(st.sampled_from(sorted(SERVER_KEYS)), st.text(min_size=1, max_size=6))
    assignment = st.builds(lambda k, v: f"{k} = {v}", key, literal)
    return st.lists(st.one_of(header, assignment), max_size=12).map("\n".join)


@FUZZ
@given(st.text())
@example("[defaults]\nstartup_timeout_sec = " + "9" * 400)  # no float that big
@example("[defaults]\nretries = " + "9" * 5000)  # past Python's int-from-string limit
@example("[defaults]\ntool_timeout_sec = nan")
@example("x = " + "[" * 5000 + "]" * 5000)  # nested past the recursion limit
@example('[servers."a.b"]\ncommand = "x"')
def test_parse_profile_on_any_text_gives_a_profile_or_a_usage_error(text: str) -> None:
    check_profile(text)


@FUZZ
@given(documents)
def test_parse_profile_on_generated_documents_gives_a_profile_or_a_usage_error(document: dict[str, Any]) -> None:
    check_profile(tomli_w.dumps(document))


@FUZZ
@given(toml_lines())
def test_parse_profile_on_toml_ish_lines_gives_a_profile_or_a_usage_error(text: str) -> None:
    check_profile(text)


# ----------------------------------------------------------------------------------------------------------------------
# batch.read_batch
# ----------------------------------------------------------------------------------------------------------------------


def check_batch(text: str, source: str) -> None:
    try:
        lines = read_batch(text, source)
    except UsageError as error:
        _assert_usage_error(error)
        return
    assert lines and all(isinstance(line, BatchLine) for line in lines)
    assert [line.index for line in lines] == list(range(len(lines)))
    assert len({line.id for line in lines}) == len(lines)
    for line in lines:
        assert line.tool and isinstance(line.arguments, dict)
        assert line.timeout is None or line.timeout >= 0
        assert line.retries is None or line.retries >= 0


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**300, max_value=10**320),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=10),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=10,
)
call_objects = st.dictionaries(
    st.one_of(st.sampled_from(sorted(LINE_KEYS)), st.text(max_size=8)), json_values, max_size=7
)
well_formed_calls = st.fixed_dictionaries(
    {"tool": st.sampled_from(["echo", "demo.echo", "a.b.c", ""])},
    optional={
        "id": st.one_of(st.text(max_size=4), st.integers(), st.booleans()),
        "server": st.one_of(st.sampled_from(["demo", ""]), st.integers()),
        "arguments": st.one_of(st.dictionaries(st.text(max_size=4), json_values, max_size=2), json_values),
        "timeout": st.one_of(st.floats(), st.integers(), st.integers(min_value=10**300), st.text(max_size=3)),
        "retries": st.one_of(st.integers(), st.floats(), st.integers(min_value=10**300)),
        "expect": json_values,
        "fallback": json_values,
    },
)


@FUZZ
@given(st.text(), st.sampled_from(["fuzz.jsonl", "fuzz.toml", "-"]))
@example('{"tool": "echo", "timeout": ' + "9" * 400 + "}", "fuzz.jsonl")
@example('{"tool": "echo", "id": ' + "9" * 5000 + "}", "fuzz.jsonl")
@example('{"tool": "echo", "timeout": NaN}', "fuzz.jsonl")
@example("[" * 100_000 + "]" * 100_000, "fuzz.jsonl")
@example('[[call]]\ntool = "echo"\ntimeout = ' + "9" * 400, "fuzz.toml")
@example('[[call]]\ntool = "echo"\nretries = ' + "9" * 5000, "fuzz.toml")
@example("[[call]]\ntool = 'x'\n" + "y = " + "[" * 5000 + "]" * 5000, "fuzz.toml")
def test_read_batch_on_any_text_gives_lines_or_a_usage_error(text: str, source: str) -> None:
    check_batch(text, source)


@FUZZ
@given(st.lists(st.one_of(well_formed_calls, call_objects, json_values), min_size=0, max_size=6), st.data())
def test_read_batch_on_generated_json_lines_gives_lines_or_a_usage_error(calls: list[Any], data: st.DataObject) -> None:
    lines = [json.dumps(call) for call in calls]  # NaN and Infinity are written as JSON's non-standard literals
    if lines and data.draw(st.booleans(), label="break a line"):
        index = data.draw(st.integers(0, len(lines) - 1), label="line")
        cut = data.draw(st.integers(0, len(lines[index])), label="cut")
        lines[index] = lines[index][:cut]
    check_batch("\n".join(lines), "fuzz.jsonl")


@FUZZ
@given(st.lists(well_formed_calls, min_size=1, max_size=4))
def test_read_batch_on_generated_toml_calls_gives_lines_or_a_usage_error(calls: list[dict[str, Any]]) -> None:
    try:
        text = tomli_w.dumps({"call": calls})
    except (TypeError, ValueError):  # None has no TOML spelling
        text = "[[call]]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in calls[0].items())
    check_batch(text, "fuzz.toml")
