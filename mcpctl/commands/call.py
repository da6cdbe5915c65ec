"""``mcpctl call TARGET [ARG…]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mcpctl.cli.context import Context
from mcpctl.cli.options import NoValidateOpt, StrictArgsOpt, server_command


@server_command(elicit=True)
def call(
    ctx: Context,
    target: Annotated[str, typer.Argument(help="SERVER.TOOL, or a bare TOOL (looked up across the profile).")],
    items: Annotated[
        list[str] | None,
        typer.Argument(help="Arguments: key=value (coerced by schema), key:=json, key=@file, key:=@file.json."),
    ] = None,
    args: Annotated[
        str | None, typer.Option("--args", help="The whole arguments object: JSON, @file.json, or - for stdin.")
    ] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="Write image/audio/blob contents into this folder.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the request that would be sent; send nothing.")
    ] = False,
    fallback: Annotated[
        str | None, typer.Option("--fallback", help="S1,S2: servers to try in turn when the call cannot be made.")
    ] = None,
    retry_unsafe: Annotated[
        bool, typer.Option("--retry-unsafe", help="Retry the call even if the tool is not read-only/idempotent.")
    ] = False,
    no_validate: NoValidateOpt = False,
    strict_args: StrictArgsOpt = False,
    task: Annotated[
        bool,
        typer.Option(
            "--task",
            help="Start the call as a task and print its id (-o json: the task); see `mcpctl tasks`.",
        ),
    ] = False,
) -> None:
    """Call a tool and print its result; exit 1 when the tool reports isError.

    Example: mcpctl call --stdio 'python -m mcpctl.demo' echo message=hi

    Example: mcpctl call demo.add a=2 b=3 -o json

    Example: mcpctl call demo.weather --args '{"city": "Oslo"}' units=imperial

    Example: mcpctl call search query=x --fallback mirror1,mirror2

    Example: mcpctl call build.deploy --task   (then: mcpctl tasks wait build TASK_ID)
    """

    async def work() -> int:
        from mcpctl.core.items import load_args_option
        from mcpctl.core.wire import dump_json
        from mcpctl.ops.call import (
            CallRequest,
            run_call,
            save_binaries,
            strip_marks,
            tool_failed,
        )
        from mcpctl.ops.registry import choose_target, parse_tool_ref
        from mcpctl.output.render import render_result

        profile_ = None if ctx.adhoc.given else ctx.profile()
        ref = parse_tool_ref(target, profile_, ctx.adhoc.given)
        base = load_args_option(args, sys.stdin) if args is not None else None
        request = CallRequest(
            ref=ref,
            items=tuple(items or ()),
            base=base,
            timeout=ctx.overrides.tool_timeout_sec,
            dry_run=dry_run,
            retry_unsafe=retry_unsafe,
            validate=not no_validate,
            strict_args=strict_args,
            warn=ctx.output.warn,
            task=task,
        )
        targets = ctx.targets([ref.server] if ref.server else [])
        chosen = await choose_target(ref, targets, ctx.session)
        spare = [n.strip() for n in (fallback or "").split(",") if n.strip()]
        order = [chosen, *(t for t in ctx.profile_targets(spare) if t.name != chosen.name)]
        outcome = await run_call(request, order, ctx.session)
        chosen = next(t for t in order if t.name == outcome.server)
        if outcome.request is not None:
            ctx.output.note(f"# dry run: {chosen.name} ({chosen.describe()}); nothing was sent")
            ctx.output.result(outcome.to_json(), lambda: dump_json(outcome.request, indent=2) + "\n")
            return 0
        if outcome.task is not None:
            task_id = str(outcome.task.get("taskId"))
            ctx.output.result(outcome.to_json(), lambda: task_id + "\n")
            return 0
        result = outcome.result or {}
        if save is not None:
            outcome.saved = save_binaries(result.get("content", []), save, outcome.tool)
        text = render_result(result)
        strip_marks(result.get("content", []))
        ctx.output.result(outcome.to_json(), lambda: text)
        if outcome.is_error:
            ctx.output.error(tool_failed(outcome))
            return 1
        return 0

    ctx.run(work)
