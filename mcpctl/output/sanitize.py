"""Server text made safe to show: control characters are printed as visible escapes, never obeyed.

A server's names, descriptions, ``serverInfo``, instructions and error messages are untrusted:
ESC, the C1 controls (``\\x9b`` is a one-byte CSI), BEL and backspace would let it write the
clipboard (OSC 52), clear the screen, retitle the window or hide text. Every such string that
the output layer shows as text, a table cell or an error line goes through ``visible`` (or
``cell``); JSON stays exact (``json_safe`` only re-spells what JSON leaves raw as ``\\uXXXX``).
"""

from __future__ import annotations

import re

#: The bidirectional embedding, override and isolate controls: text that reads differently from what it is
#: ("Trojan Source", CVE-2021-42574), shown as ``\u202e`` rather than obeyed.
_BIDI = "\u202a-\u202e\u2066-\u2069"
#: C0 controls except tab and newline, a carriage return not ending a line, DEL, the C1 controls and bidi controls.
_TEXT_CONTROLS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]|\r(?!\n)")
#: In a table cell nothing may break the row: tab, newline and carriage return are escaped too.
_CELL_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
#: What ``json.dumps(ensure_ascii=False)`` leaves raw inside strings (it escapes C0 itself).
_JSON_RAW = re.compile(f"[\x7f-\x9f{_BIDI}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str) -> str:
    """``text`` with every control character but tab, newline (and CR LF) shown as ``\\xNN`` or ``\\r``."""
    return _TEXT_CONTROLS.sub(_escape, text)


def cell(text: str) -> str:
    """One table cell: every control character shown, tabs and newlines as ``\\t`` and ``\\n``."""
    return _CELL_CONTROLS.sub(_escape, text)


def json_safe(text: str) -> str:
    """JSON text with DEL and the C1 controls spelt ``\\u00NN``: the same document, harmless on a terminal.

    Those characters can only occur inside JSON strings, where ``\\u00NN`` means exactly the same.
    """
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
