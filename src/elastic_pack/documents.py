"""Documents as flat dotted-key dicts, the way Elasticsearch indexes objects.

`{"a": {"b": 1}}` and `{"a.b": 1}` both become `{"a.b": 1}`. An array of objects is also spread into its
fields (`{"a": [{"b": 1}, {"b": 2}]}` gives `a.b: [1, 2]`), as Elasticsearch flattens object arrays that are
not mapped `nested`; the array itself stays under `a` for KQL's nested queries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any


_SCALARS = frozenset((str, int, float, bool, type(None)))  # most values: tested first, the rest by kind


def flatten(document: dict, prefix: str = "", out: dict | None = None) -> dict:
    out = {} if out is None else out
    for key, value in document.items():
        name = prefix + key if prefix else key
        kind = value.__class__
        if kind in _SCALARS:
            pass
        elif kind is dict or (kind is not list and isinstance(value, dict)):
            if value:
                flatten(value, name + ".", out)
                continue
        elif kind is list:
            for item in value:
                if isinstance(item, dict):
                    _spread(value, name + ".", out)
                    break
        if name in out:
            _put(out, name, value)
        else:
            out[name] = value
    return out


def _spread(items: list, prefix: str, out: dict) -> None:
    for item in items:
        if isinstance(item, dict):
            for name, value in flatten(item, prefix).items():
                _put(out, name, value)


def _put(out: dict, name: str, value: Any) -> None:
    if name not in out:
        out[name] = value
        return
    current = out[name]
    merged = current if current.__class__ is list else [current]
    out[name] = merged + (value if value.__class__ is list else [value])


_MISSING = object()
AMBIGUOUS = object()  # the field's value needs the whole document flattened to be told
MISSING = _MISSING


@lru_cache(maxsize=4096)
def _path(name: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """The name's segments, the dotted keys that would be other spellings at each level, its prefixes."""
    parts = tuple(name.split("."))
    dotted = tuple(tuple(".".join(parts[i:j]) for j in range(i + 2, len(parts) + 1)) for i in range(len(parts)))
    prefixes = tuple(".".join(parts[:j]) for j in range(1, len(parts)))
    return parts, dotted, prefixes


def _leaf(value: Any) -> Any:
    if value.__class__ is dict:
        return value if not value else _MISSING  # an object is spread into its fields, never a value
    if value.__class__ is list and any(isinstance(item, dict) for item in value):
        return AMBIGUOUS
    return value


def lookup(document: dict, name: str) -> Any:
    """`flatten(document).get(name, MISSING)` without flattening. Fast for the two usual spellings (all
    nested, or one dotted key at the top); AMBIGUOUS when arrays of objects are on the way or the field is
    spelled more than one way: the caller flattens then."""
    parts, dotted, prefixes = _path(name)
    if name in document:
        if any(prefix in document for prefix in prefixes):
            return _lookup(document, name)
        return _leaf(document[name])
    node = document
    last = len(parts) - 1
    for level, part in enumerate(parts):
        for key in dotted[level]:
            if key in node:
                return _lookup(document, name)
        value = node.get(part, _MISSING)
        if level == last:
            return _leaf(value)
        if value.__class__ is dict:
            node = value
        elif value.__class__ is list and any(isinstance(item, dict) for item in value):
            return AMBIGUOUS
        else:
            return _MISSING
    return _MISSING


def _lookup(document: dict, name: str) -> Any:
    """Every spelling of the field: one value found, or AMBIGUOUS."""
    found = _leaf(document.get(name, _MISSING))
    if found is AMBIGUOUS:
        return found
    dot = name.find(".")
    while dot != -1:
        child = document.get(name[:dot], _MISSING)
        if child.__class__ is dict:
            value = _lookup(child, name[dot + 1:])
            if value is AMBIGUOUS or (value is not _MISSING and found is not _MISSING):
                return AMBIGUOUS
            if value is not _MISSING:
                found = value
        elif child.__class__ is list and any(isinstance(item, dict) for item in child):
            return AMBIGUOUS
        dot = name.find(".", dot + 1)
    return found


def values_under(fields: Mapping[str, Any], name: str) -> Iterator[Any]:
    """The values of the keys under `name.` in a flat document: an object field's, a geo_point's `.lat` and
    `.lon`, a flattened field's sub-keys (where the field's own key holds nothing)."""
    prefix = name + "."
    return (value for key, value in fields.items() if key.startswith(prefix))
