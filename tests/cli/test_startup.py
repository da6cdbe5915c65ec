"""The command tree loads lazily (issue 19): ``--help`` imports no command module, a command imports its own,
and what ``--help`` lists before loading is what the loaded commands say of themselves."""

from __future__ import annotations

import json
import subprocess
import sys

import typer
from typer._click import Context
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup
from typer.main import get_command

from cli.runner import mcpctl
from mcpctl.cli.app import COMMANDS, app
from mcpctl.cli.context import emit_text

PROBE = """
import json, sys
from mcpctl.cli.main import run
run(json.loads(sys.argv[1]))
loaded = sorted(m for m in sys.modules if m.startswith(("mcpctl.commands.", "mcpctl.sessions.")) or m == "anyio")
sys.stderr.write("LOADED=" + json.dumps(loaded) + "\\n")
"""


def loaded_by(*argv: str) -> list[str]:
    """The command modules, session modules and anyio that ``mcpctl ARGV`` imported, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("LOADED=")]
    assert line, done.stderr
    found: list[str] = json.loads(line[0][len("LOADED=") :])
    return found


def test_help_imports_no_command_module_nor_the_session_layer() -> None:
    assert loaded_by("--help") == []


def test_a_command_imports_its_own_module_only() -> None:
    found = loaded_by("call", "--help")
    assert [m for m in found if m.startswith("mcpctl.commands.")] == ["mcpctl.commands.call"]
    assert "anyio" not in found


def test_every_summary_is_the_first_paragraph_of_its_command_help() -> None:
    root = get_command(app)
    for name, lazy in COMMANDS.items():
        command = root.get_command(Context(root), name)  # type: ignore[attr-defined]
        assert command is not None, name
        assert command.hidden == lazy.hidden, name
        for limit in (30, 45, 60, 200):
            shown = command.get_short_help_str(limit)
            assert make_default_short_help(lazy.summary, limit) == shown, f"update COMMANDS[{name!r}] in cli/app.py"


def test_help_lists_the_commands_as_typer_would_after_loading_them_all() -> None:
    root = get_command(app)
    ctx = Context(root, info_name="mcpctl")
    lazily, eagerly = ctx.make_formatter(), ctx.make_formatter()
    root.format_commands(ctx, lazily)  # type: ignore[attr-defined]
    TyperGroup.format_commands(root, ctx, eagerly)  # type: ignore[arg-type]  # loads each command for its help
    assert lazily.getvalue() == eagerly.getvalue()
    assert "call" in lazily.getvalue()
    assert mcpctl("--help").stdout.endswith(lazily.getvalue())


def test_an_unknown_command_still_suggests_the_near_one() -> None:
    r = mcpctl("cal")
    assert r.exit_code == 2
    assert "call" in r.stderr


def test_a_command_registered_the_usual_way_is_listed_and_runs_too() -> None:
    extra = typer.Typer()

    @extra.command("hello")
    def hello() -> None:
        """Say hello."""
        emit_text("hello\n")

    root = get_command(app)
    root.add_command(get_command(extra), "hello")  # type: ignore[attr-defined]
    ctx = Context(root, info_name="mcpctl")
    formatter = ctx.make_formatter()
    root.format_commands(ctx, formatter)  # type: ignore[attr-defined]
    assert formatter.getvalue().rstrip().endswith("hello       Say hello.")
    assert root.get_command(ctx, "hello") is not None  # type: ignore[attr-defined]
