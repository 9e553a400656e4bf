"""DISSECT and GROK: new columns cut out of a text column, as Elasticsearch's dissect and grok processors do.

GROK knows the common patterns of Elasticsearch's library (below); a pattern outside them is refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..safe_regex import compile_pattern
from .lexer import UnsupportedEsql

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


def grok_names(pattern: str) -> list[str]:
    """The columns a grok pattern adds, sorted by name (as Elasticsearch adds them, whatever the pattern's
    order: "%{IP:ip} %{WORD:verb} %{NUMBER:code}" gives code, ip, verb; dissect keeps the pattern's order)."""
    found = re.findall(r"%\{\w+:([\w.@\[\]]+)|\(\?<([A-Za-z_@][\w.@]*)>", pattern)
    return sorted({a or b for a, b in found})  # Java's String order: UTF-16 units (Python's for the BMP)


def _grok_convert(value: str, conversion: str | None) -> Any:
    """Grok's `:int`, `:long`, `:float`, `:double` and `:boolean` (Java's parsers; a value that does not
    parse is null)."""
    if conversion in ("int", "long"):
        try:
            return int(value)
        except ValueError:
            return None
    if conversion in ("float", "double"):
        try:
            return float(value)
        except ValueError:
            return None
    if conversion == "boolean":
        return value.lower() == "true"  # Boolean.parseBoolean
    return value


def grok(pattern: str) -> Callable[[str], dict[str, Any] | None]:
    """The columns a grok pattern captures from a text, or None when it does not match (anywhere in it). A
    name captured more than once is multi-valued (a list of the values captured)."""
    names: list[tuple[str, str | None]] = []

    def expand(match: re.Match) -> str:
        kind, name, conversion = match.groups()
        if kind not in _GROK:
            raise UnsupportedEsql(f"the local engine does not know the grok pattern %{{{kind}}}")
        if not name:
            return f"(?:{_GROK[kind]})"
        if conversion and conversion not in ("int", "long", "float", "double", "boolean", "string"):
            raise ValueError(f"GROK {pattern!r}: unknown conversion {conversion!r}")
        names.append((name, conversion))
        return f"(?P<g{len(names) - 1}>{_GROK[kind]})"

    def named(match: re.Match) -> str:  # Oniguruma's (?<name>...) as Python writes it, under a safe name
        names.append((match.group(1), None))
        return f"(?P<g{len(names) - 1}>"

    try:
        regex = compile_pattern(re.sub(r"\(\?<([A-Za-z_@][\w.@]*)>", named, _REFERENCE.sub(expand, pattern)))
    except re.error as exc:
        raise UnsupportedEsql(f"GROK {pattern!r}: the local engine cannot read this pattern ({exc})") from None

    def apply(text: str) -> dict[str, Any] | None:
        found = regex.search(text)
        if found is None:
            return None
        out: dict[str, Any] = {}
        for index, (name, conversion) in enumerate(names):
            value: Any = found.group(f"g{index}")
            if value is not None:
                value = _grok_convert(value, conversion)
            if value is None:
                out.setdefault(name, None)
            elif out.get(name) is None:
                out[name] = value
            else:  # a repeated name: every value it captured
                out[name] = (out[name] if isinstance(out[name], list) else [out[name]]) + [value]
        return out

    return apply


def _dissect_key(key: str) -> tuple[str, str, int, bool]:
    """A dissect key -> (modifier: "", "+" or "?", name, append order, right padding)."""
    padded = key.endswith("->")
    if padded:
        key = key[:-2]
    modifier = key[0] if key[:1] in ("+", "?", "*", "&") else ""
    if modifier in ("*", "&"):
        raise ValueError(f"DISSECT: reference keys (%{{{key}}}) are not supported in ES|QL")
    name = key[len(modifier):]
    order = 0
    ordered = re.fullmatch(r"(.*)/(\d+)", name)
    if ordered and modifier == "+":
        name, order = ordered.group(1), int(ordered.group(2))
    return modifier, name, order, padded


def dissect_keys(pattern: str) -> list[str]:
    """The columns a dissect pattern adds, in the order they first appear (skips add none)."""
    keys = [_dissect_key(k) for k in re.findall(r"%\{([^}]*)\}", pattern)]
    return list(dict.fromkeys(name for modifier, name, _, _ in keys if name and modifier != "?"))


def dissect(pattern: str, separator: str = "") -> Callable[[str], dict[str, Any] | None]:
    """The columns a dissect pattern cuts from a text (key modifiers: ->, +, +key/order, ?, named skip), or
    None when the text does not have the pattern's delimiters."""
    parts = re.split(r"(%\{[^}]*\})", pattern)
    keys = [_dissect_key(p[2:-1]) for p in parts[1::2]]
    delimiters = parts[0::2]
    appended = {name for modifier, name, _, _ in keys if modifier == "+"}

    def apply(text: str) -> dict[str, Any] | None:
        if not text.startswith(delimiters[0]):
            return None
        position = len(delimiters[0])
        out: dict[str, Any] = {}
        pieces: dict[str, list[tuple[int, int, str]]] = {}
        for index, ((modifier, key, order, padded), delimiter) in enumerate(zip(keys, delimiters[1:])):
            if delimiter:
                end = text.find(delimiter, position)
                if end < 0:
                    return None
            else:
                end = len(text)
            value = text[position:end]
            position = end + len(delimiter)
            if padded:
                while delimiter and text.startswith(delimiter, position):
                    position += len(delimiter)
            if not key or modifier == "?":
                continue
            if key in appended:
                pieces.setdefault(key, []).append((order, index, value))
                out.setdefault(key, None)
            else:
                out[key] = value
        for key, found in pieces.items():  # appended in their /order, else as they come
            out[key] = separator.join(value for _, _, value in sorted(found))
        return out

    return apply
