"""Logging for the command line: ours on stderr as ``mcpctl: level: …``, the SDK's only when asked."""

from __future__ import annotations

import logging
from typing import TextIO

from mcpctl.core.secrets import redact
from mcpctl.output.sanitize import visible


class _RedactingFormatter(logging.Formatter):
    """``mcpctl: LEVEL: message`` with secrets masked and control characters shown (an SDK message may quote
    what a server sent); tracebacks only under --debug."""

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name.startswith("mcpctl"):
            text = f"mcpctl: {record.levelname.lower()}: {message}"
        else:
            text = f"mcpctl: {record.levelname.lower()}: [{record.name}] {message}"
        if self.debug and record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return visible(redact(text))


SDK_LOGGERS = ("mcp", "client", "httpx2", "httpcore2", "httpx", "httpcore", "uvicorn", "sse_starlette")


def configure_logging(*, verbose: bool, quiet: bool, debug: bool, stream: TextIO | None = None) -> None:
    """Our logs on stderr (``stream``); the SDK's only with -v (no tracebacks) or --debug."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_RedactingFormatter(debug))
    ours = logging.getLogger("mcpctl")
    ours.handlers[:] = [handler]
    ours.propagate = False
    ours.setLevel(logging.DEBUG if debug else logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING)
    for name in SDK_LOGGERS:
        sdk = logging.getLogger(name)
        sdk.handlers[:] = [handler] if (verbose or debug) else [logging.NullHandler()]
        sdk.propagate = False
        sdk.setLevel(logging.DEBUG if debug else logging.WARNING if verbose else logging.CRITICAL + 1)
