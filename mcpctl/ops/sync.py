"""``Toolkit``: the toolkit for scripts and notebooks, with no ``async`` in sight.

It runs an ``AsyncToolkit`` on an event loop of its own, in a thread of its own (an anyio
blocking portal), so it works from a plain script and from code that already runs inside an
event loop (a Jupyter cell): the caller's thread only waits. Leaving the ``with`` block (or
``close()``) shuts every server down, also after an exception or Ctrl-C.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from mcpctl.ops.model import Health, Server, Status, Tool, ToolResult
from mcpctl.ops.toolkit import AsyncToolkit, Middleware, connect

T = TypeVar("T")


class Toolkit:
    """Every tool of every server, for synchronous code: ``with mcpctl.Toolkit.open("demo") as tk: …``."""

    def __init__(self, stack: contextlib.ExitStack, portal: Any, toolkit: AsyncToolkit) -> None:
        self._stack: contextlib.ExitStack | None = stack
        self._portal = portal
        self._toolkit = toolkit

    @classmethod
    def open(
        cls,
        *servers: str | Server,
        profile: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        retries: int | None = None,
        protocol: str | None = None,
        retry_unsafe: bool = False,
        validate: bool = True,
    ) -> Toolkit:
        """Open a toolkit (arguments as ``mcpctl.connect``); use it as a context manager, or ``close()`` it."""
        from anyio.from_thread import start_blocking_portal

        stack = contextlib.ExitStack()
        try:
            portal = stack.enter_context(start_blocking_portal())
            toolkit = stack.enter_context(
                portal.wrap_async_context_manager(
                    connect(
                        *servers,
                        profile=profile,
                        timeout=timeout,
                        connect_timeout=connect_timeout,
                        retries=retries,
                        protocol=protocol,
                        retry_unsafe=retry_unsafe,
                        validate=validate,
                    )
                )
            )
        except BaseException:
            stack.close()
            raise
        opened = cls(stack, portal, toolkit)
        # Never closed (a notebook, a script without ``with``): closed at exit, while its loop thread still
        # runs; left to interpreter shutdown, the portal would wait forever for that (frozen) thread.
        atexit.register(opened.close)
        return opened

    def __enter__(self) -> Toolkit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut every server down and stop the toolkit's event loop (idempotent)."""
        atexit.unregister(self.close)
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    def _run(self, work: Callable[[], Awaitable[T]]) -> T:
        if self._stack is None:
            from mcpctl.core.errors import UsageError

            raise UsageError("the toolkit is closed", hint="open a new one: mcpctl.Toolkit.open(...)")
        future = self._portal.start_task_soon(work)
        try:
            # Short waits, not one long one: a Ctrl-C that the kernel hands to another thread (the loop's)
            # does not wake a thread blocked on a lock, but is seen as soon as this one wakes.
            while not future.done():
                concurrent.futures.wait((future,), timeout=0.1)
            result: T = future.result()
        except BaseException:
            future.cancel()  # Ctrl-C while waiting: the call must stop too, not run on in the loop's thread
            raise
        return result

    # ------------------------------------------------------------------ the AsyncToolkit's verbs, blocking

    @property
    def servers(self) -> list[str]:
        """The names of the toolkit's servers."""
        return self._toolkit.servers

    def list_tools(self, *servers: str, skip_unreachable: bool = False) -> list[Tool]:
        """Every tool of the named servers (default: all)."""
        return self._run(lambda: self._toolkit.list_tools(*servers, skip_unreachable=skip_unreachable))

    def find(self, name: str) -> Tool:
        """The tool ``SERVER.TOOL`` or a unique bare ``TOOL`` names."""
        return self._run(lambda: self._toolkit.find(name))

    def tool(self, name: str) -> Callable[..., ToolResult]:
        """A callable for one tool: ``tk.tool("echo")(message="hi")``."""

        def call(arguments: Mapping[str, Any] | None = None, /, **kwargs: Any) -> ToolResult:
            return self.call(name, arguments, **kwargs)

        call.__name__ = name.replace(".", "_")
        return call

    def call(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        raise_on_error: bool = True,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> ToolResult:
        """Call a tool (see ``AsyncToolkit.call``)."""
        return self._run(
            lambda: self._toolkit.call(name, arguments, raise_on_error=raise_on_error, timeout=timeout, **kwargs)
        )

    def use(self, middleware: Middleware) -> Middleware:
        """Add an (async) middleware around every call; returns it."""
        return self._toolkit.use(middleware)

    def list_resources(self, *servers: str) -> list[dict[str, Any]]:
        return self._run(lambda: self._toolkit.list_resources(*servers))

    def list_resource_templates(self, *servers: str) -> list[dict[str, Any]]:
        return self._run(lambda: self._toolkit.list_resource_templates(*servers))

    def read_resource(self, server: str, uri: str) -> dict[str, Any]:
        return self._run(lambda: self._toolkit.read_resource(server, uri))

    def list_prompts(self, *servers: str) -> list[dict[str, Any]]:
        return self._run(lambda: self._toolkit.list_prompts(*servers))

    def get_prompt(self, name: str, /, **arguments: str) -> dict[str, Any]:
        return self._run(lambda: self._toolkit.get_prompt(name, **arguments))

    def ping(self, *servers: str, timeout: float = 10.0) -> dict[str, Health]:
        return self._run(lambda: self._toolkit.ping(*servers, timeout=timeout))

    def status(self) -> dict[str, Status]:
        return self._toolkit.status()
