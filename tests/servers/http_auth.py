"""HTTP test servers: the demo behind a bearer-token gate, and a server that answers one fixed status.

Run as a program (binds 127.0.0.1)::

    python tests/servers/http_auth.py --port N                      # demo at /mcp, needs "Bearer good-token"
    python tests/servers/http_auth.py --port N --mode status --status 500

Auth rules (``build_app``):

* no ``Authorization`` header, or a token other than the good one or ``forbidden`` -> 401 with
  ``WWW-Authenticate: Bearer realm="mcpctl-test", error="invalid_token"``
* ``Authorization: Bearer forbidden`` -> 403 with ``WWW-Authenticate: Bearer error="insufficient_scope", scope="admin"``
* ``Authorization: Bearer <token>`` -> the demo server's Streamable HTTP app.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

GOOD_TOKEN = "good-token"
FORBIDDEN_TOKEN = "forbidden"
UNAUTHORIZED_CHALLENGE = 'Bearer realm="mcpctl-test", error="invalid_token"'
FORBIDDEN_CHALLENGE = 'Bearer error="insufficient_scope", scope="admin"'
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class BearerGate:
    """Pure ASGI middleware: let a request through only with ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str = GOOD_TOKEN) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan (starts the session manager) and anything else pass through
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if token == self.token:
            await self.app(scope, receive, send)
            return
        if token == FORBIDDEN_TOKEN:
            status, challenge, error = 403, FORBIDDEN_CHALLENGE, "insufficient_scope"
        else:
            status, challenge, error = 401, UNAUTHORIZED_CHALLENGE, "invalid_token"
        body = json.dumps({"error": error, "error_description": f"HTTP {status} from the mcpctl test gate"})
        response = Response(body, status_code=status, media_type="application/json")
        response.headers["WWW-Authenticate"] = challenge
        await response(scope, receive, send)


def build_app(token: str = GOOD_TOKEN) -> Starlette:
    """The demo MCP server's Streamable HTTP app (path /mcp) behind a bearer-token check."""
    from mcpctl.demo import build_server

    app = build_server().streamable_http_app()
    app.add_middleware(BearerGate, token=token)
    return app


def build_status_app(status: int) -> Starlette:
    """An app that answers every request, on every path and method, with ``status``."""

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(f"HTTP {status} from the mcpctl test server\n", status_code=status)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=ALL_METHODS)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="HTTP test servers for mcpctl (bind 127.0.0.1).")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["auth", "status"], default="auth")
    parser.add_argument("--status", type=int, default=500, help="status code for --mode status")
    parser.add_argument("--token", default=GOOD_TOKEN, help="accepted bearer token for --mode auth")
    args = parser.parse_args(argv)

    repo_root = str(Path(__file__).resolve().parents[2])
    if repo_root not in sys.path:  # make `mcpctl` importable when run from a checkout
        sys.path.insert(0, repo_root)
    import uvicorn

    app: Any = build_app(args.token) if args.mode == "auth" else build_status_app(args.status)
    print(f"http_auth: {args.mode} server on http://127.0.0.1:{args.port}/mcp", file=sys.stderr, flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
