"""Generate the README's command reference from the command tree (``mcpctl.cli.app:app``).

    python scripts/readme_reference.py            # print the generated block
    python scripts/readme_reference.py --write    # replace the block between the markers in README.md
    python scripts/readme_reference.py --check    # exit 1 when README.md is stale

Every visible command path gets a section, in the order the tree is walked (a group, then its
subcommands sorted by name, like ``mcpctl.output.completion``): the usage line, the first paragraph of
its help, its arguments and options (spellings and value type as ``--help`` shows them, help text, env
var, default, range) and the ``Example:`` lines of its docstring. Nothing is wrapped: the text does not
depend on the terminal. tests/cli/test_docs.py fails when README.md differs from this output.
"""

# A program of its own (like bench/): it writes to the terminal.
# ruff: noqa: TID251

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
COMMAND = "python scripts/readme_reference.py --write"
BEGIN = f"<!-- BEGIN generated command reference: {COMMAND} -->"
END = "<!-- END generated command reference -->"
EXAMPLE = "Example:"


@dataclass(frozen=True)
class Node:
    """One visible command path: ``path`` is "" for the root, else e.g. "servers add"."""

    path: str
    command: Any  # the click command (typer's vendored click)
    ctx: Any  # a context for it, parented like a real invocation's (for usage pieces and help records)

    @property
    def is_group(self) -> bool:
        return hasattr(self.command, "commands")

    @property
    def title(self) -> str:
        return f"mcpctl {self.path}".strip()

    def subcommands(self) -> dict[str, Any]:
        """The visible subcommands, by name."""
        found = getattr(self.command, "commands", {})
        return {name: found[name] for name in sorted(found) if not getattr(found[name], "hidden", False)}


def root_command() -> Any:
    """The click command of the typer app."""
    from typer.main import get_command

    from mcpctl.cli.app import app

    return get_command(app)


def walk(root: Any) -> list[Node]:
    """Every visible command path under ``root``: the group first, then its subcommands sorted by name."""
    nodes: list[Node] = []

    def visit(command: Any, path: str, parent: Any) -> None:
        name = path.split()[-1] if path else "mcpctl"
        node = Node(path, command, command.context_class(command, info_name=name, parent=parent))
        nodes.append(node)
        for sub, child in node.subcommands().items():
            visit(child, f"{path} {sub}".strip(), node.ctx)

    visit(root, "", None)
    return nodes


def help_text(command: Any) -> str:
    """The command's help as ``--help`` has it (click drops what follows a form feed)."""
    return str(command.help or "").split("\f")[0]


def paragraphs(text: str) -> list[str]:
    """The help's paragraphs, each with its lines joined by single spaces."""
    blocks = re.split(r"\n\s*\n", text.strip())
    return [" ".join(line.strip() for line in block.splitlines() if line.strip()) for block in blocks if block.strip()]


def summary(command: Any) -> str:
    """The first paragraph of the help that is not an ``Example:``."""
    return next((p for p in paragraphs(help_text(command)) if not p.startswith(EXAMPLE)), "")


def examples(command: Any) -> list[str]:
    """The command lines of the ``Example:`` lines of the help, in order."""
    lines = (line.strip() for line in help_text(command).splitlines())
    return [line[len(EXAMPLE) :].strip() for line in lines if line.startswith(EXAMPLE)]


def visible_params(node: Node, kind: str) -> list[Any]:
    """The command's visible parameters of ``kind`` ("argument" or "option"), in declaration (help) order."""
    return [p for p in node.command.params if p.param_type_name == kind and not getattr(p, "hidden", False)]


def _md(text: str) -> str:
    """Prose from help texts, made literal for Markdown (no emphasis, code or HTML by accident)."""
    return re.sub(r"([\\`*<>])", r"\\\1", text)


def _code(text: str) -> str:
    """A Markdown code span around ``text`` (a longer fence when it holds backticks)."""
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _default(param: Any) -> str | None:
    """The default worth printing: a value an option takes when absent (not a flag's False, not None)."""
    default = param.default
    if (
        getattr(param, "is_flag", False)
        or getattr(param, "count", False)
        or getattr(param, "show_default", True) is False
    ):
        return None
    if default is None or default == () or default == []:
        return None
    if callable(default):
        return "(dynamic)"
    if isinstance(default, list | tuple):
        return ", ".join(str(d) for d in default)
    return str(getattr(default, "value", default))


def _range(param: Any) -> str | None:
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is None and high is None:
        return None
    if high is None:
        return f"x>={low}"
    if low is None:
        return f"x<={high}"
    return f"{low}<=x<={high}"


def param_line(node: Node, param: Any) -> str:
    """``- `-o, --output <str>`: help. Env var: `MCPCTL_OUTPUT`. Default: `auto`.`` for one parameter."""
    record = param.get_help_record(node.ctx)
    spelling = record[0] if record else ", ".join(param.opts)
    facts = []
    envvar = param.envvar
    if envvar:
        names = [envvar] if isinstance(envvar, str) else list(envvar)
        facts.append("Env var: " + ", ".join(_code(n) for n in names) + ".")
    default = _default(param)
    if default is not None:
        facts.append(f"Default: {_code(default)}.")
    bounds = None if getattr(param, "count", False) else _range(param)  # -vv: a flag repeated, not a number
    if bounds is not None:
        facts.append(f"Range: {_code(bounds)}.")
    if param.required:
        facts.append("Required.")
    text = _md(str(getattr(param, "help", None) or "").strip())
    if text and not text.endswith((".", "!", "?", ")")):
        text += "."
    return " ".join([f"- {_code(spelling)}:", *filter(None, [text]), *facts])


def render_node(node: Node) -> list[str]:
    """The Markdown section of one command path."""
    lines = [f"### `{node.title}`", ""]
    text = summary(node.command)
    if text:
        lines += [_md(text), ""]
    usage = " ".join([node.ctx.command_path, *node.command.collect_usage_pieces(node.ctx)])
    lines += ["```text", usage, "```", ""]
    if node.is_group:
        subs = node.subcommands()
        lines += ["Commands:", ""]
        lines += [f"- {_code(f'{node.title} {name}')}: {_md(summary(sub))}" for name, sub in subs.items()]
        lines.append("")
    for kind, heading in (("argument", "Arguments"), ("option", "Options")):
        params = visible_params(node, kind)
        if params:
            lines += [f"{heading}:", "", *(param_line(node, p) for p in params), ""]
    shown = examples(node.command)
    if shown:
        lines += ["Examples:" if len(shown) > 1 else "Example:", "", "```bash", *shown, "```", ""]
    return lines


def render(root: Any) -> str:
    """The generated block (what goes between the markers, markers excluded)."""
    lines = [
        "Generated from the command tree by `python scripts/readme_reference.py --write`; do not edit by hand.",
        "Every command also takes `-h, --help`.",
        "",
    ]
    for node in walk(root):
        lines += render_node(node)
    return "\n".join(lines).rstrip("\n") + "\n"


def _span(text: str) -> tuple[int, int]:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start or text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ValueError(f"README.md needs exactly one {BEGIN!r} line followed by one {END!r} line")
    return start + len(BEGIN), end


def extract(readme: str) -> str:
    """The block between the markers in ``readme`` (without the blank lines that frame it)."""
    start, end = _span(readme)
    return readme[start:end].strip("\n") + "\n"


def splice(readme: str, block: str) -> str:
    """``readme`` with the block between the markers replaced by ``block``."""
    start, end = _span(readme)
    return readme[:start] + "\n\n" + block.strip("\n") + "\n\n" + readme[end:]


def iter_sections(block: str) -> Iterator[tuple[str, list[str]]]:
    """(command path, its lines) for each ``### `mcpctl …``` section of a generated block."""
    path: str | None = None
    lines: list[str] = []
    for line in block.splitlines():
        found = re.fullmatch(r"### `mcpctl ?(.*)`", line)
        if found:
            if path is not None:
                yield path, lines
            path, lines = found.group(1), []
        elif path is not None:
            lines.append(line)
    if path is not None:
        yield path, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="replace the generated block in README.md")
    mode.add_argument("--check", action="store_true", help="exit 1 when README.md's block is stale")
    options = parser.parse_args(argv)
    block = render(root_command())
    if not (options.write or options.check):
        sys.stdout.write(block)
        return 0
    readme = README.read_text(encoding="utf-8")
    if options.check:
        if extract(readme) != block:
            sys.stderr.write(f"README.md's command reference is stale: run `{COMMAND}`\n")
            return 1
        return 0
    updated = splice(readme, block)
    if updated != readme:
        README.write_text(updated, encoding="utf-8")
        sys.stderr.write("README.md: command reference updated\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
