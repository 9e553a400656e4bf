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


# Data the catalogue describes completely (from the integration's own field definitions): an unknown field
# there is a typo. ECS and other integrations are described only in part, so an unknown field there is a
# warning, not an error.
COMPLETE_NAMESPACES = ("aws.cloudtrail.",)


def covered_namespace(name: str) -> bool:
    return name.lstrip("?").startswith(COMPLETE_NAMESPACES)


# Field prefixes each integration's documents carry; an exception or rule on other fields of that data never matches.
_CLOUDTRAIL_PREFIXES = ("@timestamp", "aws.cloudtrail.", "event.", "source.", "user_agent.", "cloud.", "user.",
                        "related.", "data_stream.", "tags", "message", "error.")
_HOST_PREFIXES = ("@timestamp", "event.", "host.", "process.", "user.", "container.", "agent.", "data_stream.",
                  "tags", "message", "source.", "destination.", "network.", "dns.", "url.", "related.")
_INDEX_DATA = {"logs-aws.cloudtrail-": _CLOUDTRAIL_PREFIXES, "filebeat-": None,
               "logs-endpoint.events.": _HOST_PREFIXES, "logs-windows.sysmon_operational-": _HOST_PREFIXES,
               "logs-auditd_manager.auditd-": _HOST_PREFIXES, "auditbeat-": _HOST_PREFIXES,
               "logs-network_traffic.": _HOST_PREFIXES, "packetbeat-": _HOST_PREFIXES}


def in_index_data(name: str, index_patterns: list[str]) -> bool:
    """Whether documents in these index patterns can carry the field (unknown patterns: assume yes)."""
    for pattern in index_patterns:
        for prefix, fields in _INDEX_DATA.items():
            if pattern.startswith(prefix) and fields is not None:
                return name.startswith(fields)
    return True
