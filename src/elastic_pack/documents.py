"""Documents as flat dotted-key dicts, the way Elasticsearch indexes objects.

`{"a": {"b": 1}}` and `{"a.b": 1}` both become `{"a.b": 1}`. An array of objects is also spread into its
fields (`{"a": [{"b": 1}, {"b": 2}]}` gives `a.b: [1, 2]`), as Elasticsearch flattens object arrays that are
not mapped `nested`; the array itself stays under `a` for KQL's nested queries.
"""

from __future__ import annotations

from typing import Any


def flatten(document: dict, prefix: str = "", out: dict | None = None) -> dict:
    out = {} if out is None else out
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flatten(value, name + ".", out)
            continue
        if value.__class__ is list and any(isinstance(item, dict) for item in value):
            _spread(value, name + ".", out)
        _put(out, name, value)
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
