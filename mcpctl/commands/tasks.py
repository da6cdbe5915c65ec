"""``mcpctl tasks get|wait|cancel [SERVER] TASK_ID``: the tasks that ``call --task`` starts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mcpctl.cli.context import Context
from mcpctl.cli.options import server_command

if TYPE_CHECKING:
    from mcpctl.sessions.targets import Target

app = typer.Typer(
    help="Follow tool calls started as tasks (call --task): status, wait for the result, cancel. A stdio server's "
    "tasks end with its process, so these are for HTTP servers (--url or a profile url).",
    no_args_is_help=True,
)

WORDS_HELP = "SERVER TASK_ID (a profile server), or TASK_ID alone with --url/--stdio."
Words = Annotated[list[str], typer.Argument(metavar="[SERVER] TASK_ID", help=WORDS_HELP, show_default=False)]


def task_target(ctx: Context, words: list[str]) -> tuple[Target, str]:
    """The server and the task id from ``SERVER TASK_ID`` (or ``TASK_ID`` with ``--url``/``--stdio``)."""
    from mcpctl.core.errors import UsageError

    wanted = 1 if ctx.adhoc.given else 2
    if len(words) != wanted:
        shape = "TASK_ID (the server is --url/--stdio)" if ctx.adhoc.given else "SERVER TASK_ID"
        raise UsageError(f"expected {shape}, got {len(words)} argument(s)", hint="e.g. mcpctl tasks get build 786512e2")
    targets = ctx.targets(words[:-1])
    return targets[0], words[-1]


@app.command("get")
@server_command()
def get(ctx: Context, words: Words) -> None:
    """Print a task's status object (-o json: exactly as the server sent it).

    Example: mcpctl tasks get build 786512e2-9e0d-44bd-8f29-789f320fe840

    Example: mcpctl tasks get --url http://127.0.0.1:8000/mcp 786512e2 -o json
    """

    async def work() -> int:
        from mcpctl.ops.tasks import get_on
        from mcpctl.output.render import render_task

        target, task_id = task_target(ctx, words)
        task = await get_on(target, ctx.session, task_id)
        ctx.output.result({"server": target.name, "task": task}, lambda: render_task(task))
        return 0

    ctx.run(work)


@app.command("wait")
@server_command(elicit=True)
def wait(ctx: Context, words: Words) -> None:
    """Wait for a task to end (polling at the server's pace) and print its result as `call` does.

    Exit 1 when the tool answered isError or the task failed or was cancelled; --timeout is the longest the
    task may go without a new status, --max-time the longest wait; either, or Ctrl-C, cancels the task.

    Example: mcpctl tasks wait build 786512e2-9e0d-44bd-8f29-789f320fe840

    Example: mcpctl tasks wait --url http://127.0.0.1:8000/mcp 786512e2 --max-time 600 -o json
    """

    async def work() -> int:
        from mcpctl.core.errors import ToolFailed
        from mcpctl.ops.call import first_text
        from mcpctl.ops.tasks import wait_on
        from mcpctl.output.render import render_result

        target, task_id = task_target(ctx, words)
        run = await wait_on(target, ctx.session, task_id, ctx.overrides.tool_timeout_sec)
        result = run.result or {}
        ctx.output.result(run.to_json(), lambda: render_result(result))
        if result.get("isError") or run.failed:
            text = first_text(result)
            ctx.output.error(
                ToolFailed(
                    f"task {task_id} " + (f"reported an error: {text}" if text else "failed"), server=target.name
                )
            )
            return 1
        return 0

    ctx.run(work)


@app.command("cancel")
@server_command()
def cancel(ctx: Context, words: Words) -> None:
    """Ask the server to cancel a task (-o json: its answer as sent; cancelling is up to the server).

    Example: mcpctl tasks cancel build 786512e2-9e0d-44bd-8f29-789f320fe840
    """

    async def work() -> int:
        from mcpctl.ops.tasks import cancel_on
        from mcpctl.output.render import render_task

        target, task_id = task_target(ctx, words)
        answer = await cancel_on(target, ctx.session, task_id)
        text = render_task(answer) if answer.get("taskId") else f"cancel requested: {task_id}\n"
        ctx.output.result({"server": target.name, "taskId": task_id, "result": answer}, lambda: text)
        return 0

    ctx.run(work)
