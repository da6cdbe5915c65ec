"""The loopback redirect of an authorization-code login: one HTTP listener on 127.0.0.1 that takes the browser's
redirect (``/callback?code=…&state=…&iss=…``) and answers with a page saying the login is done (RFC 8252 §7.3).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.abc

CALLBACK_PATH = "/callback"
_MAX_REQUEST = 16 * 1024
_PAGE = (
    "<!doctype html><meta charset=utf-8><title>mcpctl</title>"
    "<body style='font-family:sans-serif;margin:3em'><h1>{title}</h1><p>{text}</p></body>"
)


@dataclass(frozen=True)
class Redirect:
    """What came back to the redirect URI."""

    code: str | None
    state: str | None
    iss: str | None
    error: str | None = None
    error_description: str | None = None


class Loopback:
    """A listener bound to 127.0.0.1 (``port`` 0: any free port) for one redirect."""

    def __init__(self, listener: anyio.abc.SocketListener) -> None:
        self.listener = listener
        self.port: int = listener.extra(anyio.abc.SocketAttribute.local_port)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"

    @classmethod
    async def bind(cls, preferred: int | None = None) -> Loopback:
        """Bind ``preferred`` (the port a client was registered with) when free, else any free port."""
        if preferred:
            with contextlib.suppress(OSError):
                return cls(_only(await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=preferred)))
        return cls(_only(await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)))

    async def wait(self) -> Redirect:
        """Serve requests until one carries ``code`` or ``error`` on the callback path."""
        while True:
            stream = await self.listener.accept()
            async with stream:
                redirect = await _answer(stream)
            if redirect is not None:
                return redirect

    async def aclose(self) -> None:
        await self.listener.aclose()


def _only(multi: anyio.abc.Listener[anyio.abc.SocketStream]) -> anyio.abc.SocketListener:
    """The one socket listener of a listener bound to a single IPv4 address."""
    listeners = getattr(multi, "listeners", [multi])
    listener: anyio.abc.SocketListener = listeners[0]
    return listener


async def _answer(stream: anyio.abc.SocketStream) -> Redirect | None:
    """Read one request, answer it, and return the redirect it carried (None for anything else)."""
    head = b""
    with anyio.move_on_after(10), contextlib.suppress(anyio.EndOfStream, OSError, anyio.BrokenResourceError):
        while b"\r\n\r\n" not in head and b"\n\n" not in head and len(head) < _MAX_REQUEST:
            head += await stream.receive(4096)
    redirect = parse_request(head)
    if redirect is None:
        await _respond(stream, 404, "Not found", "This is mcpctl's login redirect; nothing here.")
    elif redirect.error:
        await _respond(stream, 200, "Login failed", f"The authorization server said: {redirect.error}.")
    else:
        await _respond(stream, 200, "Logged in", "mcpctl has the authorization; you can close this tab.")
    return redirect


def parse_request(head: bytes) -> Redirect | None:
    """The redirect in a raw ``GET /callback?…`` request, or None."""
    line = head.split(b"\n", 1)[0].decode("latin-1").strip()
    parts = line.split(" ")
    if len(parts) < 2 or parts[0] != "GET":
        return None
    url = urlsplit(parts[1])
    if url.path != CALLBACK_PATH:
        return None
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    if "code" not in query and "error" not in query:
        return None
    return Redirect(
        code=query.get("code"),
        state=query.get("state"),
        iss=query.get("iss"),
        error=query.get("error"),
        error_description=query.get("error_description"),
    )


async def _respond(stream: anyio.abc.SocketStream, status: int, title: str, text: str) -> None:
    import html

    body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
    reason = "OK" if status == 200 else "Not Found"
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n"
    ).encode()
    with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
        await stream.send(head + body)
