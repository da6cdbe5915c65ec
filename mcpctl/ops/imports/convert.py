"""One program's server entry converted into a profile table: keys mapped, references kept, secrets flagged."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mcpctl.core.profile import (
    SERVER_KEYS,
    infer_transport,
)
from mcpctl.core.secrets import MASK, is_secret_name, mask_args, url_secrets
from mcpctl.ops.imports.sources import Entry, Location, kind_of

# fmt: off
#: The order keys are written in, whatever order the source had them in.
_KEY_ORDER = (
    "command", "args", "env", "env_vars", "env_inherit", "cwd", "url", "transport", "bearer_token_env_var",
    "http_headers", "env_http_headers", "enabled", "enabled_tools", "disabled_tools", "startup_timeout_sec",
    "tool_timeout_sec", "retries",
)


#: Keys of JSON sources (Claude, Cursor, VS Code, Cline, Windsurf…) that mean something here.
_JSON_KEYS = frozenset({
    "command", "args", "env", "cwd", "url", "serverUrl", "type", "transport", "transportType", "headers",
    "disabled", "enabled", "disabledTools",
})


# fmt: on
_JSON_TRANSPORTS = {"stdio": "stdio", "http": "streamable-http", "sse": "sse"} | {
    alias: "streamable-http" for alias in ("streamable-http", "streamable_http", "streamablehttp")
}


_TOML_KEYS = frozenset({*SERVER_KEYS, "startup_timeout_ms"})


_REF = re.compile(r"\$\{([^}]*)\}")


_OUR_REF = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}")


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Message:
    """A note or warning about one source file, server or key."""

    level: str  # "note" or "warning"
    text: str
    location: Location | None = None
    server: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = []
        if self.server is not None:
            where.append(f"server '{self.server}'" + (f" from {self.location.label}" if self.location else ""))
        if self.key is not None:
            where.append(self.key)
        return ": ".join([*where, self.text])

    def to_json(self) -> dict[str, Any]:
        """The message as JSON (for ``-o json``)."""
        return {
            "level": self.level,
            "source": self.location.label if self.location else None,
            "file": str(self.location.path) if self.location else None,
            "server": self.server,
            "key": self.key,
            "message": self.text,
        }


class Skip(Exception):
    """This server cannot be imported; the message says why."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass
class Converter:
    """Turns one source entry into a profile table, collecting notes, warnings and inline secrets."""

    entry: Entry
    fmt: str
    platform: str
    messages: list[Message] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    secret_keys: set[str] = field(default_factory=set)

    def note(self, text: str, key: str | None = None) -> None:
        self.messages.append(Message("note", text, self.entry.location, self.entry.name, key))

    def warn(self, text: str, key: str | None = None) -> None:
        self.messages.append(Message("warning", text, self.entry.location, self.entry.name, key))

    def convert(self) -> dict[str, Any]:
        body = self.entry.body
        if not isinstance(body, dict):
            raise Skip(f"expected an object of settings, got {kind_of(body)}")
        table = self._from_json(body) if self.fmt == "json" else self._from_toml(body)
        if self.entry.disabled_by and table.get("enabled", True):
            table["enabled"] = False
            self.note(f"{self.entry.disabled_by}: imported with enabled = false")
        return {key: table[key] for key in _KEY_ORDER if key in table}

    # ---------------------------------------------------------------- JSON sources

    def _from_json(self, body: Mapping[str, Any]) -> dict[str, Any]:
        for key in body:
            if key not in _JSON_KEYS:
                self.warn("has no meaning in mcpctl; not imported", key)
        table: dict[str, Any] = {}
        command = _opt_str(body, "command")
        url = _opt_str(body, "url") or _opt_str(body, "serverUrl")
        kind = self._json_transport(body)
        if command is not None and url is not None:
            if kind is None:
                raise Skip("has both 'command' and 'url'; say which with 'type'")
            used, unused = ("command", "url") if kind == "stdio" else ("url", "command")
            self.warn(f"not imported: type '{kind}' uses '{used}'", unused)
            command, url = (command, None) if kind == "stdio" else (None, url)
        if command is None and url is None:
            raise Skip("has neither 'command' nor 'url'")
        if command is not None:
            if kind not in (None, "stdio"):
                raise Skip(f"type '{kind}' needs a 'url', not a 'command'", "type")
            table["command"] = self._translate(command, "command")
            args = [self._translate(a, "args") for a in _str_list(body, "args")]
            if args:
                table["args"] = args
            env = self._str_map(body, "env")
            if env:
                table["env"] = env
            cwd = _opt_str(body, "cwd")
            if cwd is not None:
                table["cwd"] = self._translate(cwd, "cwd")
        else:
            assert url is not None
            if kind == "stdio":
                raise Skip("type 'stdio' needs a 'command', not a 'url'", "type")
            table["url"] = self._translate(url, "url")
            transport = kind or infer_transport(table["url"])
            if transport != infer_transport(table["url"]):
                table["transport"] = transport
            for key in ("args", "env", "cwd"):
                if key in body:
                    self.warn("goes with a stdio 'command', not a 'url'; not imported", key)
        headers = self._str_map(body, "headers")
        if headers:
            if "url" in table:
                table["http_headers"] = headers
            else:
                self.warn("go with a 'url', not a stdio 'command'; not imported", "headers")
        for key in ("disabled", "enabled"):
            if key in body and not isinstance(body[key], bool):
                raise Skip(f"expected true or false, got {kind_of(body[key])}", key)
        if body.get("disabled") is True or body.get("enabled") is False:
            table["enabled"] = False
        disabled_tools = _str_list(body, "disabledTools")
        if disabled_tools:
            table["disabled_tools"] = disabled_tools
        return table

    def _json_transport(self, body: Mapping[str, Any]) -> str | None:
        for key in ("type", "transport", "transportType"):
            if key in body:
                value = body[key]
                if not isinstance(value, str) or value.lower() not in _JSON_TRANSPORTS:
                    shown = value if isinstance(value, str) else kind_of(value)
                    raise Skip(f"unknown transport '{shown}' (mcpctl speaks stdio, http and sse)", key)
                return _JSON_TRANSPORTS[value.lower()]
        return None

    def _str_map(self, body: Mapping[str, Any], key: str) -> dict[str, str]:
        value = body.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise Skip(f"expected an object of strings, got {kind_of(value)}", key)
        result: dict[str, str] = {}
        for name, item in value.items():
            if item is None:
                self.warn("null (remove the variable) has no equivalent in mcpctl; not imported", f"{key}.{name}")
                continue
            if isinstance(item, dict | list):
                raise Skip(f"expected a string, got {kind_of(item)}", f"{key}.{name}")
            result[str(name)] = self._translate(_scalar(item), f"{key}.{name}")
        return result

    # ---------------------------------------------------------------- TOML sources (Codex, mcpctl)

    def _from_toml(self, body: Mapping[str, Any]) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for key, value in body.items():
            if key not in _TOML_KEYS:
                self.warn("has no meaning in mcpctl; not imported", key)
            elif key == "startup_timeout_ms":
                if "startup_timeout_sec" in body:
                    self.note("ignored: startup_timeout_sec is set too", key)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    seconds = value / 1000
                    table["startup_timeout_sec"] = int(seconds) if seconds == int(seconds) else seconds
                else:
                    raise Skip(f"expected a number, got {kind_of(value)}", key)
            else:
                table[key] = value
        if self.fmt != "codex":
            return table
        if table.get("url") and "transport" not in table and infer_transport(table["url"]) != "streamable-http":
            table["transport"] = "streamable-http"  # Codex speaks Streamable HTTP whatever the URL's path
        if table.get("env_vars") and "env_inherit" not in table:
            table["env_inherit"] = False  # as in Codex: only env_vars (and a minimal set) pass through
        return table

    # ---------------------------------------------------------------- variables and secrets

    def _translate(self, value: str, key: str) -> str:
        """References in the source's syntax rewritten into ours (``${VAR}``); TOML sources already are."""
        if self.fmt != "json" or "${" not in value:
            return value

        def substitute(match: re.Match[str]) -> str:
            inner = match.group(1)
            head, _, rest = inner.partition(":")
            root = self.entry.location.root
            if inner == "userHome":  # VS Code's and Cursor's predefined variables first
                return "${HOME}"
            if inner in ("pathSeparator", "/"):
                return "\\" if self.platform == "win32" else "/"
            if inner in ("workspaceFolder", "workspaceRoot", "cwd") and root is None:
                self.note(f"${{{inner}}} imported as ${{PWD:-.}}, the directory mcpctl runs in", key)
                return "${PWD:-.}"
            if inner in ("workspaceFolder", "workspaceRoot", "cwd", "workspaceFolderBasename") and root is not None:
                text = root.name if inner == "workspaceFolderBasename" else str(root)
                self.note(f"${{{inner}}} imported as {text}", key)
                return text
            if head == "env" and _IDENT.match(rest):
                return f"${{{rest}}}"
            if head == "input" and rest:
                var = _input_var(rest)
                self.warn(
                    f"${{input:{rest}}} is a VS Code prompt, which mcpctl has no equivalent for; "
                    f"imported as ${{{var}}}: set {var} in the environment",
                    key,
                )
                return f"${{{var}}}"
            if not _OUR_REF.fullmatch(match.group(0)):
                self.warn(f"{match.group(0)} has no equivalent in mcpctl; kept as written", key)
            return match.group(0)

        return _REF.sub(substitute, value)

    def check_secrets(self, table: Mapping[str, Any]) -> None:
        """Flag secrets written inline (not as ``${VAR}``): imported, but better kept in the environment."""
        for section in ("env", "http_headers"):
            for name, value in table.get(section, {}).items():
                if is_secret_name(name) and value and not _OUR_REF.search(value):
                    self._flag(f"{section}.{name}", [value, *_credential(value)], name if section == "env" else None)
        for original in _inline_secret_args(table.get("args", [])):
            self._flag("args", [original.partition("=")[2] or original])
        if table.get("url"):
            found = [s for s in url_secrets(table["url"]) if not _OUR_REF.search(s)]
            if found:
                self._flag("url", found)

    def _flag(self, key: str, values: list[str], env_name: str | None = None) -> None:
        self.secret_keys.add(key)
        self.secrets.extend(v for v in values if v)
        ref = f"${{{env_name}}}" if env_name else "${VAR}"
        self.warn(f"inline secret imported as it is; better keep it in the environment and write {ref}", key)


def _opt_str(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Skip(f"expected a string, got {kind_of(value)}", key)
    return value


def _str_list(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or any(isinstance(v, dict | list) or v is None for v in value):
        raise Skip(f"expected an array of strings, got {kind_of(value)}", key)
    return [_scalar(v) for v in value]


def _scalar(value: Any) -> str:
    """A JSON scalar as the string a program would see (``8080`` → ``"8080"``, ``true`` → ``"true"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _credential(value: str) -> list[str]:
    scheme, _, credential = value.partition(" ")
    return [credential.strip()] if credential and scheme.lower() in ("bearer", "basic", "token") else []


def _input_var(input_id: str) -> str:
    """The environment variable standing in for VS Code's ``${input:ID}``: ``perplexity-key`` → ``PERPLEXITY_KEY``."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", input_id).strip("_").upper() or "INPUT"
    return f"_{name}" if name[0].isdigit() else name


def masked_table(table: Mapping[str, Any], secret_keys: set[str]) -> dict[str, Any]:
    masked = dict(table)
    for section in ("env", "http_headers"):
        if section in masked:
            masked[section] = {k: (MASK if f"{section}.{k}" in secret_keys else v) for k, v in masked[section].items()}
    if "args" in secret_keys:
        hidden = set(_inline_secret_args(masked["args"]))
        masked["args"] = [
            shown if original in hidden else original
            for original, shown in zip(masked["args"], mask_args(masked["args"]), strict=True)
        ]
    if "url" in secret_keys:
        url = str(masked["url"])
        for secret in url_secrets(url):
            url = url.replace(secret, MASK)
        masked["url"] = url
    return masked


def _inline_secret_args(args: list[str]) -> list[str]:
    """Arguments that carry a secret-looking flag's value written inline (``--api-key X``, ``--token=X``)."""
    return [
        original
        for original, shown in zip(args, mask_args(args), strict=True)
        if original != shown and not _OUR_REF.search(original)
    ]


def sanitize_name(name: str) -> str:
    """A profile name for a source name: characters outside ``[A-Za-z0-9_-]`` become ``-``."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name).strip("-") or "server"
