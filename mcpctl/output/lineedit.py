"""Line editing for ``mcpctl shell`` on a terminal: prompt_toolkit, imported only here and only then.

``LineEditor`` reads one line with editing, Ctrl-R search over the lines given as history, and tab
completion from a plain function (``before cursor → [(text, start)]``), so this layer knows nothing
of servers. ``patched()`` routes what is written to ``sys.stdout``/``sys.stderr`` while a line is
being typed above the prompt (server notifications), without corrupting the line.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO

CompleteFn = Callable[[str], Sequence[tuple[str, int]]]
#: Longest a TAB waits for what completion needs (the first tool listing) before completing from what is known.
READY_WAIT = 5.0
#: Longest a TAB waits for values a server offers (``completion/complete``) before completing without them.
OFFER_WAIT = 2.0


class LineEditor:
    """One prompt_toolkit session: ``read`` raises ``EOFError`` on Ctrl-D and ``KeyboardInterrupt`` on Ctrl-C."""

    def __init__(
        self,
        lines: Iterable[str],
        complete: CompleteFn,
        ready: Callable[[], Awaitable[None]] | None = None,
        prepare: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """``ready`` is awaited (at most ``READY_WAIT`` seconds) before completing: a TAB typed right after
        start-up must see the tools still being listed. ``prepare(before cursor)`` is then awaited (at most
        ``OFFER_WAIT`` seconds) to fetch what a server offers for the word being typed."""
        import asyncio

        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import Completer, Completion
        from prompt_toolkit.history import InMemoryHistory

        class _Completer(Completer):
            def get_completions(self, document: Any, complete_event: Any) -> Iterator[Completion]:
                for text, start in complete(document.text_before_cursor):
                    yield Completion(text, start_position=-start)

            async def get_completions_async(
                self, document: Any, complete_event: Any
            ) -> AsyncGenerator[Completion, None]:
                if ready is not None:
                    with contextlib.suppress(TimeoutError):  # then complete from what is known
                        await asyncio.wait_for(ready(), READY_WAIT)
                if prepare is not None:
                    with contextlib.suppress(TimeoutError):  # a slow server: complete without its values
                        await asyncio.wait_for(prepare(document.text_before_cursor), OFFER_WAIT)
                for completion in self.get_completions(document, complete_event):
                    yield completion

        history = InMemoryHistory()
        for line in lines:
            history.append_string(line)
        self._session: Any = PromptSession(history=history, completer=_Completer(), complete_while_typing=False)

    async def read(self, prompt: str) -> str:
        """The next line typed (Ctrl-C here is for the line, not a signal: prompt_toolkit keeps SIGINT)."""
        text: str = await self._session.prompt_async(prompt, handle_sigint=False)
        return text


@contextlib.asynccontextmanager
async def patched() -> AsyncIterator[TextIO]:
    """While the shell runs, text written to ``sys.stderr`` appears above the prompt; yields that stream."""
    import sys

    from prompt_toolkit.patch_stdout import patch_stdout

    with patch_stdout(raw=True):
        yield sys.stderr
