"""Secrets never printed: name-based masking for configuration and value-based redaction for text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MASK = "***"
_SECRET_NAME_RE = re.compile(r"token|secret|passw(or)?d|passwd|key|auth|credential|cookie|session", re.IGNORECASE)
_MIN_SECRET_LEN = 4


def is_secret_name(name: str) -> bool:
    """Whether an env var or header name suggests its value is a secret."""
    return bool(_SECRET_NAME_RE.search(name))


def mask_mapping(values: Mapping[str, str]) -> dict[str, str]:
    """A copy whose secret-named values read ``***``."""
    return {k: (MASK if is_secret_name(k) else v) for k, v in values.items()}


def mask_arguments(value: Any) -> Any:
    """A copy of tool or prompt arguments in which every value under a secret-looking key reads ``***``.

    At any depth (``{"db": {"password": …}}``); ``null`` and booleans hide nothing and stay. For what is
    shown or recorded (dry run, trace, history); what is sent is never masked.
    """
    if isinstance(value, Mapping):
        return {k: MASK if _hidden(k, v) else mask_arguments(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_arguments(v) for v in value]
    return value


def argument_secrets(value: Any) -> list[str]:
    """The texts that ``mask_arguments`` hides (strings and numbers), for the redactor to mask in any message."""
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in (_leaves(v) if _hidden(k, v) else argument_secrets(v))]
    if isinstance(value, list):
        return [s for v in value for s in argument_secrets(v)]
    return []


def item_secrets(tokens: Sequence[str]) -> list[str]:
    """The inline values of ``key=value`` / ``key:=json`` items whose key looks secret, as typed.

    Registered before parsing, so that an error quoting the item cannot show them.
    """
    found = []
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and is_secret_name(key.removesuffix(":")) and not value.startswith("@"):
            found.append(value)
    return found


def _hidden(key: object, value: Any) -> bool:
    return isinstance(key, str) and is_secret_name(key) and value is not None and not isinstance(value, bool)


def _leaves(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _leaves(v)]
    if isinstance(value, list):
        return [s for v in value for s in _leaves(v)]
    return [] if value is None or isinstance(value, bool) else [str(value)]


class Redactor:
    """Remembers secret values seen while resolving targets and blanks them out of any text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, values: Iterable[str]) -> None:
        """Register secret values (short ones are ignored: they would mask ordinary text)."""
        from urllib.parse import quote, quote_plus

        given = [v for v in values if len(v) >= _MIN_SECRET_LEN]
        # As written in a URL too (``?api_key=a%2Fb``): messages quote URLs as they were given.
        fresh = {form for v in given for form in (v, quote(v, safe=""), quote(v), quote_plus(v))} - self._values
        if fresh:
            self._values |= fresh
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))

    def __call__(self, text: str) -> str:
        """``text`` with every registered secret replaced by ``***``."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def clear(self) -> None:
        """Forget every registered secret (tests)."""
        self._values.clear()
        self._pattern = None


def header_secrets(headers: Mapping[str, str]) -> list[str]:
    """Secret values among headers: whole values of secret-named headers, and the bare credential of
    ``Authorization: Bearer X`` / ``Basic X``."""
    found: list[str] = []
    for name, value in headers.items():
        if is_secret_name(name):
            found.append(value)
            scheme, _, credential = value.partition(" ")
            if credential and scheme.lower() in ("bearer", "basic", "token"):
                found.append(credential.strip())
    return found


def url_secrets(url: str) -> list[str]:
    """Secret values in a URL: a password, and query values whose names look secret (``?api_key=…``)."""
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    found += [value for name, value in parse_qsl(parts.query) if is_secret_name(name)]
    return found


def mask_url(url: str) -> str:
    """The URL with its password and secret-named query values shown as ``***``."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    query = parts.query
    if query and any(is_secret_name(name) for name, _ in parse_qsl(query)):
        pairs = [(name, MASK if is_secret_name(name) else value) for name, value in parse_qsl(query)]
        query = urlencode(pairs, safe="*${}")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


redact = Redactor()


_SECRET_FLAG = re.compile(r"^(--?[\w-]*(token|secret|passw(or)?d|key|auth|credential)[\w-]*)(=(.*))?$", re.IGNORECASE)


def mask_args(args: tuple[str, ...] | list[str]) -> list[str]:
    """Arguments with the values of secret-looking flags (``--api-key X``, ``--token=X``) masked."""
    masked: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next and not arg.startswith("-"):
            masked.append(MASK)
            hide_next = False
            continue
        hide_next = False
        match = _SECRET_FLAG.match(arg)
        if match and match.group(4):
            masked.append(f"{match.group(1)}={MASK}")
        else:
            masked.append(arg)
            hide_next = bool(match)
    return masked
