"""DISSECT and GROK: new columns cut out of a text column, as Elasticsearch's dissect and grok processors do.

GROK knows the common patterns of Elasticsearch's library (below); a pattern outside them is refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..safe_regex import compile_pattern

_GROK = {
    "WORD": r"\b\w+\b", "NOTSPACE": r"\S+", "SPACE": r"\s*", "DATA": r".*?", "GREEDYDATA": r".*",
    "INT": r"[+-]?(?:[0-9]+)", "POSINT": r"\b(?:[1-9][0-9]*)\b", "NONNEGINT": r"\b(?:[0-9]+)\b",
    "NUMBER": r"(?:[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+)))", "BASE10NUM": r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))",
    "USERNAME": r"[a-zA-Z0-9._-]+", "USER": r"[a-zA-Z0-9._-]+", "EMAILLOCALPART": r"[a-zA-Z0-9!#$%&'*+\-/=?^_`{|}~.]+",
    "HOSTNAME": r"\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(?:\.?|\b)",
    "IPV4": r"(?<![0-9])(?:(?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.]"
            r"(?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5])[.](?:[0-1]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]))(?![0-9])",
    "IPV6": r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]+", "QUOTEDSTRING": r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'",
    "UUID": r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}", "URIPATH": r"(?:/[^\s?#]*)+",
    "URIPARAM": r"\?[^\s#]*", "URIPROTO": r"[A-Za-z](?:[A-Za-z0-9+\-.]+)+", "LOGLEVEL": r"[A-Za-z]+",
    "TIMESTAMP_ISO8601": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:?\d{2}(?::?\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?",
    "HTTPDATE": r"\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}",
}
_GROK["IP"] = f"(?:{_GROK['IPV6']}|{_GROK['IPV4']})"
_GROK["IPORHOST"] = f"(?:{_GROK['IP']}|{_GROK['HOSTNAME']})"
_GROK["EMAILADDRESS"] = f"{_GROK['EMAILLOCALPART']}@{_GROK['HOSTNAME']}"
_GROK["URIHOST"] = f"{_GROK['IPORHOST']}(?::{_GROK['POSINT']})?"
_GROK["URIPATHPARAM"] = f"{_GROK['URIPATH']}(?:{_GROK['URIPARAM']})?"
_REFERENCE = re.compile(r"%\{(\w+)(?::([\w.@\[\]]+))?(?::(\w+))?\}")


def grok(pattern: str) -> Callable[[str], dict[str, Any] | None]:
    """The columns a grok pattern captures from a text, or None when it does not match (anywhere in it)."""
    names: list[tuple[str, str | None]] = []

    def expand(match: re.Match) -> str:
        kind, name, conversion = match.groups()
        if kind not in _GROK:
            raise ValueError(f"the local engine does not know the grok pattern %{{{kind}}}")
        if not name:
            return f"(?:{_GROK[kind]})"
        names.append((name, conversion))
        return f"(?P<g{len(names) - 1}>{_GROK[kind]})"

    def named(match: re.Match) -> str:  # Oniguruma's (?<name>...) as Python writes it, under a safe name
        names.append((match.group(1), None))
        return f"(?P<g{len(names) - 1}>"

    try:
        regex = compile_pattern(re.sub(r"\(\?<([A-Za-z_@][\w.@]*)>", named, _REFERENCE.sub(expand, pattern)))
    except re.error as exc:
        raise ValueError(f"GROK {pattern!r}: the local engine cannot read this pattern ({exc})") from None

    def apply(text: str) -> dict[str, Any] | None:
        found = regex.search(text)
        if found is None:
            return None
        out: dict[str, Any] = {}
        for index, (name, conversion) in enumerate(names):
            value: Any = found.group(f"g{index}")
            if value is not None and conversion == "int":
                value = int(value)
            elif value is not None and conversion in ("float", "double"):
                value = float(value)
            out[name] = value
        return out

    return apply


def dissect(pattern: str, separator: str = "") -> Callable[[str], dict[str, Any] | None]:
    """The columns a dissect pattern cuts from a text (key modifiers: ->, +, ?, named skip), or None when the
    text does not have the pattern's delimiters."""
    parts = re.split(r"(%\{[^}]*\})", pattern)
    keys = [p[2:-1] for p in parts[1::2]]
    delimiters = parts[0::2]

    def apply(text: str) -> dict[str, Any] | None:
        if not text.startswith(delimiters[0]):
            return None
        position = len(delimiters[0])
        out: dict[str, Any] = {}
        for key, delimiter in zip(keys, delimiters[1:]):
            if delimiter:
                end = text.find(delimiter, position)
                if end < 0:
                    return None
            else:
                end = len(text)
            value = text[position:end]
            position = end + len(delimiter)
            padded = key.endswith("->")
            if padded:
                while delimiter and text.startswith(delimiter, position):
                    position += len(delimiter)
                key = key[:-2]
            if not key or key.startswith("?"):
                continue
            if key.startswith("+"):
                key = key[1:]
                out[key] = f"{out[key]}{separator}{value}" if key in out else value
            else:
                out[key] = value
        return out

    return apply
