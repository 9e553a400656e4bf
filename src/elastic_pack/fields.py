"""The field catalogue: which fields the pack's data has, and their Elasticsearch types."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

STRING_TYPES = frozenset({"keyword", "constant_keyword", "wildcard", "match_only_text", "text", "ip", "flattened"})
NUMBER_TYPES = frozenset({"long", "integer", "short", "byte", "double", "float", "scaled_float", "unsigned_long"})


@lru_cache(maxsize=1)
def catalogue() -> dict[str, str]:
    data = json.loads(resources.files("elastic_pack").joinpath("data/fields.json").read_text())
    return data["fields"]


def field_type(name: str) -> str | None:
    """Type of a field; sub-keys of a `flattened` field take its type."""
    fields = catalogue()
    if name in fields:
        return fields[name]
    parts = name.split(".")
    for end in range(len(parts) - 1, 0, -1):
        parent = ".".join(parts[:end])
        if fields.get(parent) == "flattened":
            return "flattened"
    return None
