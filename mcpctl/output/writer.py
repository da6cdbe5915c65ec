"""The one output layer: results and errors as text, table, JSON or NDJSON.

Commands hand it data plus, for humans, a text renderer or a table; they never
branch on the format. Box tables and colour appear only on a TTY (and never with
``NO_COLOR``); piped tables are tab-separated without a header, like gh's.
Server-provided text is never read as markup, and its control characters are shown, never
obeyed (``mcpctl.output.sanitize``): in table cells, error lines, warnings, server stderr and
logs always; in a result's text only on a terminal (piped, the answer stays byte for byte).
A failed write of the results is an ``OutputError``; a reader that left (``| head``) is
``StdoutClosed``, which the boundary turns into a quiet 141. Being our errors, neither is
mistaken for a connection failure inside a session. rich is imported only on a TTY.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcpctl.core.errors import McpctlError, OutputError, StdoutClosed, UsageError
from mcpctl.core.secrets import redact
from mcpctl.core.wire import dump_json
from mcpctl.output.progress import ProgressView
from mcpctl.output.sanitize import cell, json_safe, visible
from mcpctl.output.streams import Streams, write_all

FORMATS = ("text", "table", "json", "ndjson")


@dataclass(frozen=True)
class Table:
    """Columns and rows of plain strings."""

    columns: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass
class Output:
    """Renders results on stdout and notes/errors on stderr in the chosen format."""

    format: str | None = None
    streams: Streams = field(default_factory=Streams.from_env)
    quiet: bool = False
    #: The live progress line on stderr, wiped before anything else is written (None: none drawn).
    live: ProgressView | None = None

    def __post_init__(self) -> None:
        chosen = self.format or os.environ.get("MCPCTL_OUTPUT") or None
        if chosen is not None and chosen not in FORMATS:
            self.format = None
            raise UsageError(f"unknown output format '{chosen}'", hint=f"use one of: {', '.join(FORMATS)}")
        self.format = chosen

    @property
    def machine(self) -> bool:
        """Whether the output is for programs (json/ndjson)."""
        return self.format in ("json", "ndjson")

    # ---------------------------------------------------------------- results

    def result(self, data: Any, text: Callable[[], str] | None = None) -> None:
        """One result: ``data`` as JSON for machines, ``text()`` (or a JSON dump) for humans.

        The text may be a server's answer (a tool's text): piped it is written exactly; on a
        terminal its control characters are shown, not obeyed.
        """
        if self.format == "json":
            self._write_json(data, indent=2)
        elif self.format == "ndjson":
            self._write_json(data)
        else:
            human = text() if text is not None else dump_json(data, indent=2) + "\n"
            self._write(visible(human) if self.streams.out_tty else human)

    def items(self, items: Sequence[Any], table: Table | Callable[[], Table]) -> None:
        """A list: a JSON array, one NDJSON line each, or a table."""
        if self.format == "json":
            self._write_json(list(items), indent=2)
        elif self.format == "ndjson":
            for item in items:
                self._write_json(item)
        else:
            self.table(table() if callable(table) else table)

    def line(self, data: Any) -> None:
        """One streamed NDJSON line (batch, watch), flushed at once."""
        self._write_json(data)

    def text(self, text: str) -> None:
        """A status line for humans on stdout (control characters shown, never obeyed)."""
        self._write(visible(text))

    def table(self, table: Table) -> None:
        """A box table on a TTY, tab-separated rows without a header otherwise."""
        if self.streams.out_tty:
            self._rich_table(table)
            return
        self._write("".join("\t".join(cell(c) for c in row) + "\n" for row in table.rows))

    def _rich_table(self, table: Table) -> None:
        from rich.console import Console
        from rich.table import Table as RichTable
        from rich.text import Text

        console = Console(
            file=self.streams.out, no_color=not self.streams.color, markup=False, highlight=False, emoji=False
        )
        rich_table = RichTable(*table.columns, header_style="bold" if self.streams.color else "")
        for row in table.rows:
            rich_table.add_row(*(Text(cell(c)) for c in row))
        with console.capture() as captured:  # one write through ``_write``: its errors are ours
            console.print(rich_table)
        self._write(captured.get())

    def _write_json(self, data: Any, indent: int | None = None) -> None:
        self._write(json_safe(dump_json(data, indent=indent)) + "\n")

    def _write(self, text: str) -> None:
        if self.live is not None:
            self.live.clear()
        try:
            write_all(self.streams.out, text)
        except BrokenPipeError as exc:
            raise StdoutClosed("stdout was closed by its reader") from exc
        except OSError as exc:
            raise OutputError(
                f"could not write the results to stdout: {exc.strerror or exc}",
                hint="check where stdout goes (a full disk, a closed file)",
            ) from exc

    # ---------------------------------------------------------------- stderr

    def note(self, message: str) -> None:
        """A human note on stderr (silenced by ``-q``)."""
        if not self.quiet:
            self._err(f"{visible(message)}\n")

    def instruct(self, message: str) -> None:
        """What a person must do now (open a URL, enter a code) on stderr; shown even with ``-q``."""
        self._err(f"{visible(message)}\n")

    def warn(self, message: str) -> None:
        """A warning on stderr (kept even with ``-q``)."""
        self._err(f"{self._label('warning', 'yellow')}: {visible(redact(message))}\n")

    def server_stderr(self, server: str, line: str) -> None:
        """One line of a stdio server's stderr, live (``-v``), prefixed with its name."""
        self._err(f"[{visible(server)}] {visible(redact(line))}\n")

    def server_log(self, server: str, level: str, data: Any) -> None:
        """One log notification of a server (``-v``): a string as it is, other data as compact JSON."""
        text = data if isinstance(data, str) else json_safe(dump_json(data))
        self._err(f"[{visible(server)}] {visible(str(level))}: {visible(redact(text))}\n")

    def asker(self) -> Callable[[str, str, dict[str, Any]], dict[str, Any] | None] | None:
        """What answers ``--elicit prompt``: questions at the terminal, or None when stdin is not one."""
        if not self.streams.in_tty:
            return None
        from mcpctl.output.prompt import ask_form

        streams = self.streams
        return lambda server, message, schema: ask_form(streams, server, message, schema)

    def error(self, error: McpctlError) -> None:
        """The failure: one JSON line under json/ndjson, ``mcpctl: error: …`` + ``hint:`` otherwise."""
        if self.machine:
            self._err(json_safe(redact(dump_json(error.to_json()))) + "\n")
            return
        lines = [f"{self._label('error', 'red')}: {visible(redact(_naming_server(error)))}"]
        lines += [f"  {visible(redact(d))}" for d in error.details if d != error.message]
        if error.hint:
            lines.append(f"hint: {visible(redact(error.hint))}")
        self._err("\n".join(lines) + "\n")

    def _label(self, word: str, colour: str) -> str:
        codes = {"red": "31", "yellow": "33"}
        if self.streams.color and self.streams.err_tty:
            return f"mcpctl: \x1b[1;{codes[colour]}m{word}\x1b[0m"
        return f"mcpctl: {word}"

    def _err(self, text: str) -> None:
        if self.live is not None:
            self.live.clear()
        self.streams.err.write(text)
        self.streams.err.flush()


def _naming_server(error: McpctlError) -> str:
    """``SERVER: message`` unless the message names its server already (with several servers, which one failed)."""
    server = error.server
    if not server or re.search(rf"(?<![\w.-]){re.escape(server)}(?![\w-])", error.message):
        return error.message
    return f"{server}: {error.message}"


def first_line(text: str | None, limit: int = 80) -> str:
    """The first line of a description, shortened for a table cell."""
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
