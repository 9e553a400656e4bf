"""Line numbers for keys in a TOML file (tomllib keeps none)."""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\"]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"]+)\s*=")


def key_line(text: str, table: str, key: str) -> int | None:
    """1-based line of `key = ...` inside `[table]` (first occurrence), or of the table header if key is ''."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = header.group(1).replace('"', "")
            if not key and current == table:
                return number
            continue
        if current == table and key:
            match = _KEY.match(line)
            if match and match.group(1).strip('"') == key:
                return number
    return None


def string_start_line(text: str, table: str, key: str) -> int | None:
    """Line on which the value of a (possibly multi-line) string key starts.

    TOML drops a newline right after the opening triple quote, so the value then starts one line down.
    """
    line = key_line(text, table, key)
    if line is None:
        return None
    source = text.splitlines()[line - 1]
    value = source.split("=", 1)[1].strip()
    if value in ("'''", '"""'):
        return line + 1
    return line
