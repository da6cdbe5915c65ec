"""Docs that cannot drift: the README's command reference and its overview table follow the command tree.

``scripts/readme_reference.py`` renders the reference from ``mcpctl.cli.app:app``; these tests fail when
README.md is stale, when a command has no ``Example:``, when an example runs a command or a flag that does
not exist, and when the ``## Commands`` table lists a command (or a flag) that does not exist or leaves
one out. The checkers are also run on a small broken tree to show that they can fail.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import pytest
import typer
from typer.main import get_command

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "readme_reference.py"
REGENERATE = "run `python scripts/readme_reference.py --write`"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_reference", SCRIPT)
    assert spec is not None and spec.loader is not None, f"cannot load {SCRIPT}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


ref = _load_generator()


@pytest.fixture(scope="module")
def root() -> Any:
    return ref.root_command()


@pytest.fixture(scope="module")
def readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------------- checkers


def leaves(root: Any) -> list[Any]:
    """The visible commands that run (not groups), as generator nodes."""
    return [node for node in ref.walk(root) if not node.is_group]


def spellings(command: Any) -> set[str]:
    """Every option spelling a command offers (hidden ones are not documented), ``-h/--help`` included."""
    names = {"-h", "--help"}
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "hidden", False):
            names.update(param.opts, param.secondary_opts)
    return names


def expand(root: Any, words: list[str]) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Walk ``words`` down the visible tree: ([(command path, the words after it)], problems).

    Where a group expects a subcommand the word may list alternatives (``list|templates``): one path each.
    """

    def walk(node: Any, path: list[str], rest: list[str]) -> tuple[list[tuple[str, list[str]]], list[str]]:
        where = " ".join(["mcpctl", *path])
        if not hasattr(node, "commands"):
            return [(" ".join(path), rest)], []
        if not rest:
            return [], [f"'{where}' is a group, not a command"]
        visible = {n: c for n, c in node.commands.items() if not getattr(c, "hidden", False)}
        found: list[tuple[str, list[str]]] = []
        problems: list[str] = []
        for word in rest[0].split("|"):
            if word not in visible:
                problems.append(f"'{where}' has no command '{word}' (it has: {', '.join(sorted(visible))})")
                continue
            more, wrong = walk(visible[word], [*path, word], rest[1:])
            found += more
            problems += wrong
        return found, problems

    return walk(root, [], list(words))


def shell_words(line: str) -> list[str]:
    """The words of one command in a shell line: comments dropped, cut at the first pipe or redirection."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = []
    for word in lexer:
        if word and all(c in "();<>|&" for c in word):
            break
        words.append(word)
    return words


def example_problems(root: Any, block: str) -> list[str]:
    """What is wrong with the examples of a generated block (README.md's, or one rendered from ``root``)."""
    nodes = {node.path: node for node in ref.walk(root)}
    problems = []
    for section, lines in ref.iter_sections(block):
        fenced, shown = False, []
        for line in lines:
            if line in ("```bash", "```"):
                fenced = line == "```bash"
            elif fenced:
                shown.append(line)
        for line in shown:
            words = shell_words(line)
            if not words or words[0] != "mcpctl":
                problems.append(f"{section or 'mcpctl'}: example does not begin with mcpctl: {line}")
                continue
            found, wrong = expand(root, words[1:])
            if wrong or len(found) != 1:
                problems += [f"{section}: {line}: {problem}" for problem in wrong or ["not one command"]]
                continue
            ((path, rest),) = found
            if path != section:
                problems.append(f"{section}: example runs 'mcpctl {path}' instead: {line}")
                continue
            node = nodes[section]
            try:
                node.command.make_context(path.split()[-1], rest, parent=node.ctx.parent)
            except Exception as exc:  # the click usage error: unknown option, missing value, bad type
                message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
                problems.append(f"{section}: example does not parse: {line}: {message}")
    return problems


def commands_table(readme: str) -> list[list[str]]:
    """The rows of the first table under ``## Commands``: each a list of cells (``\\|`` unescaped)."""
    found = re.search(r"^## Commands\n(.*?)(?=^## )", readme, re.S | re.M)
    assert found, "README.md has no '## Commands' section"
    rows, started = [], False
    for line in found.group(1).splitlines():
        if line.startswith("|"):
            started = True
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
        elif started:
            break
    return rows[1:]  # the header row is not a command


def table_problems(root: Any, readme: str) -> list[str]:
    """Commands (and flags) the overview table lists that do not exist, and commands it leaves out."""
    problems, listed = [], set()
    for cells in commands_table(readme):
        paths: list[str] = []
        for span in re.findall(r"`([^`]+)`", cells[0]):
            found, wrong = expand(root, span.split())
            problems += [f"`{span}`: {problem}" for problem in wrong]
            paths += [path for path, _ in found]
        listed.update(paths)
        if not paths:
            continue
        commands = [_command(root, path) for path in paths]
        known = set().union(*(spellings(c) for c in commands))
        for span in re.findall(r"`([^`]+)`", " ".join(cells)):
            for flag in re.findall(r"(?:^|[\s\[(])(--?[A-Za-z][A-Za-z0-9-]*)", span):
                if flag not in known:
                    problems.append(f"`{span}`: {' / '.join(paths)} has no option {flag}")
    for node in leaves(root):
        if node.path not in listed:
            problems.append(f"'{node.title}' is not listed in the '## Commands' table")
    return problems


def _command(root: Any, path: str) -> Any:
    node = root
    for word in path.split():
        node = node.commands[word]
    return node


def help_problems(root: Any) -> list[str]:
    """Commands without an ``Example:`` or without help, and parameters without help text."""
    problems = []
    for node in ref.walk(root):
        if not ref.summary(node.command):
            problems.append(f"'{node.title}' has no help")
        if not node.is_group and not ref.examples(node.command):
            problems.append(f"'{node.title}' has no 'Example: mcpctl …' line in its docstring")
        for param in [*ref.visible_params(node, "argument"), *ref.visible_params(node, "option")]:
            if not (getattr(param, "help", None) or "").strip():
                problems.append(f"'{node.title}': {', '.join(param.opts)} has no help text")
    return problems


# ---------------------------------------------------------------------------------------------------- the README


def test_readme_command_reference_matches_the_command_tree(root: Any, readme: str) -> None:
    assert ref.extract(readme) == ref.render(root), f"README.md's command reference is stale: {REGENERATE}"


def test_every_command_has_help_and_an_example(root: Any) -> None:
    problems = help_problems(root)
    assert not problems, "\n".join(problems)


def test_every_reference_example_runs_an_existing_command_with_existing_flags(root: Any, readme: str) -> None:
    block = ref.extract(readme)
    assert "```bash\nmcpctl " in block, "the README's command reference shows no examples"
    problems = example_problems(root, block)
    assert not problems, "\n".join(problems)


def test_the_commands_table_lists_every_command_and_only_existing_ones(root: Any, readme: str) -> None:
    assert len(commands_table(readme)) >= 5, "the '## Commands' table was not found"
    problems = table_problems(root, readme)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------- the generator


def test_the_reference_has_every_command_argument_and_option_spelling(root: Any) -> None:
    sections = dict(ref.iter_sections(ref.render(root)))
    for node in ref.walk(root):
        assert node.path in sections, f"no section for '{node.title}'"
        text = "\n".join(sections[node.path])
        assert f"```text\n{node.title} [OPTIONS]" in text
        for name in spellings(node.command) - {"-h", "--help"}:
            assert re.search(rf"^- `(?:[^`]*[ ,])?{re.escape(name)}[ ,`]", text, re.M), f"{node.title}: {name}"
        for example in ref.examples(node.command):
            assert f"\n{example}\n" in text
    assert "__complete-arg" not in "\n".join(sections), "hidden commands are not documented"


def test_the_reference_names_env_vars_defaults_and_does_not_depend_on_the_terminal(
    root: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = ref.render(root)
    sections = dict(ref.iter_sections(block))
    call = "\n".join(sections["call"])
    assert "- `-o, --output <str>`: Output format: text, table, json, ndjson. Env var: `MCPCTL_OUTPUT`." in call
    assert "Calls in flight at once. Default: `4`." in "\n".join(sections["batch"])
    monkeypatch.setenv("COLUMNS", "30")
    monkeypatch.setenv("LINES", "10")
    assert ref.render(root) == block


def test_splice_replaces_only_the_block_and_extract_reads_it_back() -> None:
    readme = f"# x\n\n## Command reference\n\n{ref.BEGIN}\nold\n{ref.END}\n\n## The profile\n"
    spliced = ref.splice(readme, "new\n")
    assert spliced == f"# x\n\n## Command reference\n\n{ref.BEGIN}\n\nnew\n\n{ref.END}\n\n## The profile\n"
    assert ref.extract(spliced) == "new\n"
    assert ref.splice(spliced, "new\n") == spliced
    with pytest.raises(ValueError, match="exactly one"):
        ref.extract("# no markers\n")


def test_readme_places_the_reference_before_the_profile(readme: str) -> None:
    headings = re.findall(r"^## .*$", readme, re.M)
    assert headings.index("## Command reference") + 1 == headings.index("## The profile")
    assert readme.index(ref.BEGIN) > readme.index("## Command reference\n") > readme.index("## Commands\n")


# ---------------------------------------------------------------------------------------------------- the checkers fail


def _broken_root() -> Any:
    """A tiny tree with the faults the checkers exist for."""
    app = typer.Typer(no_args_is_help=True)
    things = typer.Typer(help="Things.", no_args_is_help=True)

    @things.command("list")
    def list_(flag: Annotated[bool, typer.Option("--flag", "-f", help="A flag.")] = False) -> None:
        """List things.

        Example: mcpctl things list --flag

        Example: mcpctl things list --flga
        """

    @app.command("go")
    def go(speed: Annotated[int, typer.Option("--speed")] = 1) -> None:
        """Go, without an example."""

    @app.command("stop")
    def stop() -> None:
        """Stop.

        Example: stop now

        Example: mcpctl things remove x
        """

    app.add_typer(things, name="things")
    return get_command(app)


def test_the_checkers_catch_missing_examples_unknown_commands_flags_and_table_rows() -> None:
    broken = _broken_root()
    assert help_problems(broken) == [
        "'mcpctl' has no help",
        "'mcpctl go' has no 'Example: mcpctl …' line in its docstring",
        "'mcpctl go': --speed has no help text",
    ]
    examples = example_problems(broken, ref.render(broken))
    assert [p.split(":")[0] for p in examples] == ["stop", "stop", "things list"]
    assert "does not begin with mcpctl: stop now" in examples[0]
    assert "'mcpctl things' has no command 'remove'" in examples[1]
    assert "No such option: --flga" in examples[2]
    rows = ["| `go [--fast]` | go |", "| `things list\\|show` | `--flag` |", "| `things` | a group |"]
    table = "\n".join(["## Commands", "", "| command | what |", "|---|---|", *rows, "", "## Next", ""])
    assert table_problems(broken, table) == [
        "`go [--fast]`: go has no option --fast",
        "`things list|show`: 'mcpctl things' has no command 'show' (it has: list)",
        "`things`: 'mcpctl things' is a group, not a command",
        "'mcpctl stop' is not listed in the '## Commands' table",
    ]
