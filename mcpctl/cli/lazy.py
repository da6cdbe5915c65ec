"""The root command group, whose commands are imported only when they are used.

``mcpctl --help`` lists every command from its summary in ``app.COMMANDS`` without importing
``mcpctl.commands`` (each module pulls in the profile, the output layer and more: most of
``--help``'s start-up); ``mcpctl call`` imports the ``call`` module only. Whatever walks the whole
tree (the README reference, completion scripts, an unknown command's suggestions) reads
``commands``, which loads them all. A test checks that each summary is its command's help.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from typer._click import Command, Context, HelpFormatter
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup


@dataclass(frozen=True)
class Lazy:
    """One top-level command: where it lives and what ``--help`` says of it before it is loaded."""

    module: str
    #: The command function, or (``group``) the ``typer.Typer`` of a command group.
    attribute: str
    #: The first paragraph of the command's help, as ``--help`` shows it.
    summary: str
    group: bool = False
    hidden: bool = False
    context_settings: Mapping[str, Any] = field(default_factory=dict)
    #: Run on the loaded object before it becomes a command (a group that gathers commands of other modules).
    prepare: Callable[[Any], Any] | None = None

    def load(self, name: str) -> Command:
        """The click command, built from the imported module as ``typer`` would have built it."""
        from typer.main import get_command_from_info, get_group_from_info
        from typer.models import CommandInfo, TyperInfo

        target = getattr(importlib.import_module(self.module), self.attribute)
        if self.prepare is not None:
            target = self.prepare(target)
        if self.group:
            info = TyperInfo(target, name=name)
            return get_group_from_info(info, pretty_exceptions_short=True, suggest_commands=True, rich_markup_mode=None)
        command = CommandInfo(
            name=name, callback=target, hidden=self.hidden, context_settings=dict(self.context_settings)
        )
        return get_command_from_info(command, pretty_exceptions_short=True, rich_markup_mode=None)


class LazyGroup(TyperGroup):
    """A ``TyperGroup`` over ``LAZY`` (set by a subclass): commands load on first use."""

    LAZY: Mapping[str, Lazy] = {}

    @property
    def commands(self) -> MutableMapping[str, Command]:
        """Every command, loaded (the whole tree is being walked)."""
        for name in self.LAZY:
            self._load(name)
        return self._loaded

    @commands.setter
    def commands(self, value: MutableMapping[str, Command]) -> None:
        self._loaded = dict(value)

    def _load(self, name: str) -> Command | None:
        if name not in self._loaded and name in self.LAZY:
            self._loaded[name] = self.LAZY[name].load(name)
        return self._loaded.get(name)

    def list_commands(self, ctx: Context) -> list[str]:
        return [*self.LAZY, *(n for n in self._loaded if n not in self.LAZY)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        return self._load(cmd_name)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The command list from the summaries, as ``TyperGroup`` words it, loading nothing.

        A command registered on the typer app the usual way (not in the table) is listed too, after them.
        """
        names = [
            n
            for n in self.list_commands(ctx)
            if not (self.LAZY[n].hidden if n in self.LAZY else self._loaded[n].hidden)
        ]
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)

        def summary(name: str) -> str:
            lazy = self.LAZY.get(name)
            return (
                make_default_short_help(lazy.summary, limit) if lazy else self._loaded[name].get_short_help_str(limit)
            )

        with formatter.section("Commands"):
            formatter.write_dl([(name, summary(name)) for name in names])


def lazy_group(commands: Mapping[str, Lazy]) -> type[LazyGroup]:
    """A ``LazyGroup`` class over ``commands`` (``typer.Typer(cls=…)`` takes a class)."""
    return type("MCPCtlGroup", (LazyGroup,), {"LAZY": commands})
