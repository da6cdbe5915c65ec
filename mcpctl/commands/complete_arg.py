"""``mcpctl __complete-arg --line LINE``: values for a prompt or resource-template argument.

The completion scripts call it with the command line up to the cursor while a
``key=value`` argument of ``prompts get SERVER.PROMPT`` or ``resources read SERVER TEMPLATE``
is being typed; it asks the named profile server (``completion/complete``) and prints one
value a line. It never prints errors and always exits 0: a failure means no suggestions.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Annotated

import typer

COMPLETE_TIMEOUT = 5.0
#: Options of ``prompts get`` / ``resources read`` that take a value (their values are not positionals).
VALUED = {"--profile", "-p", "--output", "-o", "--url", "--header", "-H", "--transport", "--stdio", "--env", "-e"}
VALUED |= {"--timeout", "--connect-timeout", "--retries", "--protocol", "--trace", "--elicit", "--save"}


@dataclass(frozen=True)
class Request:
    """What is being completed: which argument of which prompt or template, and what is typed so far."""

    kind: str
    server: str
    name: str
    argument: str
    prefix: str
    profile: str | None


def parse_line(line: str) -> Request | None:
    """The completion request in a partial command line, or None when there is nothing to complete."""
    try:
        words = shlex.split(line)
    except ValueError:
        try:
            words = shlex.split(line + '"')
        except ValueError:
            return None
    if line.endswith((" ", "\t")):
        words.append("")
    if len(words) < 4 or "=" not in words[-1]:
        return None
    current = words.pop()
    profile = None
    positionals: list[str] = []
    skip = False
    for index, word in enumerate(words[1:], start=1):
        if skip:
            skip = False
            if words[index - 1] in ("--profile", "-p"):
                profile = word
            continue
        if word in VALUED:
            skip = True
        elif word.startswith("--profile="):
            profile = word.split("=", 1)[1]
        elif not word.startswith("-"):
            positionals.append(word)
    argument, _, prefix = current.partition("=")
    if positionals[:2] == ["prompts", "get"] and len(positionals) >= 3 and "." in positionals[2]:
        server, _, name = positionals[2].partition(".")
        return Request("prompt", server, name, argument, prefix, profile)
    if positionals[:2] == ["resources", "read"] and len(positionals) >= 4:
        return Request("template", positionals[2], positionals[3], argument, prefix, profile)
    return None


def complete_arg(
    line: Annotated[str, typer.Option("--line", help="the command line up to the cursor")],
) -> None:
    """Print completion values for the argument being typed (used by the completion scripts)."""
    import anyio

    from mcpctl.cli.logs import configure_logging
    from mcpctl.core.errors import McpctlError

    request = parse_line(line)
    if request is None:
        return

    async def work() -> list[str]:
        from mcpctl.core.profile import Settings, load_profile
        from mcpctl.ops.prompts import complete_argument
        from mcpctl.sessions.options import SessionOptions
        from mcpctl.sessions.session import open_session
        from mcpctl.sessions.targets import from_config

        config = load_profile(request.profile).server(request.server)
        settings = Settings(startup_timeout_sec=COMPLETE_TIMEOUT, tool_timeout_sec=COMPLETE_TIMEOUT, retries=0)
        target = from_config(config, overrides=settings)
        ref = {"type": request.kind, "name": request.name, "uri": request.name}
        with anyio.fail_after(COMPLETE_TIMEOUT * 2):
            async with open_session(target, SessionOptions()) as session:
                return await complete_argument(session, ref, request.argument, request.prefix)

    configure_logging(verbose=False, quiet=True, debug=False)
    try:
        values = anyio.run(work)
    except (McpctlError, TimeoutError, OSError, KeyboardInterrupt):
        return
    for value in values:
        typer.echo(value)
