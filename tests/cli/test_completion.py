"""`mcpctl completion bash|zsh|fish`: generated scripts, kept in completions/, that work in a real shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.runner import mcpctl
from mcpctl.output.completion import SHELLS
from mcpctl.output.completion import completion_script as generate


def completion_script(shell: str) -> str:
    from typer.main import get_command

    from mcpctl.cli.app import app

    return generate(shell, get_command(app))


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("shell", SHELLS)
def test_completions_folder_matches_the_generated_script(shell: str) -> None:
    stored = (REPO / "completions" / f"mcpctl.{shell}").read_text()
    assert stored == completion_script(shell), (
        f"completions/mcpctl.{shell} is stale: run `mcpctl completion {shell} > completions/mcpctl.{shell}`"
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_command_prints_the_script(shell: str) -> None:
    done = mcpctl("completion", shell)
    assert done.exit_code == 0
    assert done.stdout == completion_script(shell)
    assert done.stderr == ""


def test_unknown_shell_is_exit_2() -> None:
    done = mcpctl("completion", "tcsh")
    assert done.exit_code == 2
    assert done.stdout == ""
    assert "unsupported shell 'tcsh'" in done.stderr


def test_every_command_and_option_is_in_the_bash_script() -> None:
    script = completion_script("bash")
    for word in ('"servers:add"', '"servers:inspect"', '"tools:show"', "--connect-timeout", "--dry-run", "--save"):
        assert word in script


def _complete(words: list[str], env: dict[str, str]) -> list[str]:
    """Run the bash completion function for ``words`` (the last one is being completed)."""
    script = REPO / "completions" / "mcpctl.bash"
    quoted = " ".join(f"'{w}'" for w in words)
    program = (
        f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; _mcpctl; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_options_values_and_profile_servers(tmp_path: Path) -> None:
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
    profile = Path(env["XDG_CONFIG_HOME"]) / "mcpctl" / "profile.toml"
    profile.parent.mkdir(parents=True, exist_ok=True)
    profile.write_text('[servers.alpha]\ncommand = "x"\n\n[servers.beta]\nurl = "http://127.0.0.1:9/mcp"\n')
    assert _complete(["mcpctl", "se"], env) == ["servers"]
    assert _complete(["mcpctl", "servers", "in"], env) == ["inspect"]
    assert _complete(["mcpctl", "call", "--dry"], env) == ["--dry-run"]
    assert _complete(["mcpctl", "tools", "list", "-o", "nd"], env) == ["ndjson"]
    assert _complete(["mcpctl", "servers", "show", ""], env) == ["alpha", "beta"]
    assert _complete(["mcpctl", "call", "al"], env) == ["alpha."]


def test_complete_arg_parses_what_is_being_typed() -> None:
    from mcpctl.commands.complete_arg import Request, parse_line

    assert parse_line("mcpctl prompts get demo.review language=j") == Request(
        "prompt", "demo", "review", "language", "j", None
    )
    assert parse_line("mcpctl resources read -p ./x.toml demo 'greet://{name}' name=") == Request(
        "template", "demo", "greet://{name}", "name", "", "./x.toml"
    )
    assert parse_line("mcpctl prompts get demo.review ") is None
    assert parse_line("mcpctl call demo.echo message=") is None


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_prompt_and_template_arguments_from_the_server(tmp_path: Path) -> None:
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
    profile = Path(env["XDG_CONFIG_HOME"]) / "mcpctl" / "profile.toml"
    profile.parent.mkdir(parents=True, exist_ok=True)
    profile.write_text(f'[servers.demo]\ncommand = "{sys.executable}"\nargs = ["-m", "mcpctl.demo"]\n')
    script = REPO / "completions" / "mcpctl.bash"
    program = (
        f"source {script}; COMP_LINE='mcpctl prompts get demo.review language=j'; COMP_POINT=${{#COMP_LINE}}; "
        "COMP_WORDS=(mcpctl prompts get demo.review language = j); COMP_CWORD=6; _mcpctl; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["javascript", "java"]
