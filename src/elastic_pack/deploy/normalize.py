"""Rules as Kibana returns them and as the pack builds them, brought to one comparable form."""

from __future__ import annotations

import re


# What Kibana owns or fills in on its own; never part of a diff.
SERVER_FIELDS = frozenset({"id", "created_at", "updated_at", "created_by", "updated_by", "revision", "immutable",
                           "rule_source", "execution_summary", "output_index", "meta", "outcome",
                           "alias_target_id", "alias_purpose"})
# What analysts own in Kibana; deploy keeps the space's values unless told otherwise.
ANALYST_FIELDS = frozenset({"enabled", "actions", "throttle", "exceptions_list", "response_actions"})
_LIST_FIELDS = ("tags", "author", "false_positives", "references", "threat", "index", "related_integrations",
                "required_fields", "risk_score_mapping", "severity_mapping", "filters")
_QUOTED = re.compile(r'("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')')


def normalise_query(query: str) -> str:
    """Collapse whitespace outside string literals: a reformatted query is the same query."""
    parts = _QUOTED.split(query.strip())
    return "".join(p if i % 2 else re.sub(r"\s+", " ", p) for i, p in enumerate(parts))


def normalise(rule: dict, fields: set[str]) -> dict:
    out = {}
    for key in fields:
        value = rule.get(key)
        if key in _LIST_FIELDS and value is None:
            value = []
        if key in ("note", "setup", "description") and value is None:
            value = ""
        if isinstance(value, str) and key in ("note", "setup", "description"):
            value = value.strip()
        if key == "query" and isinstance(value, str):
            value = normalise_query(value)
        if key == "threshold" and isinstance(value, dict) and isinstance(value.get("field"), str):
            value = {**value, "field": [value["field"]]}
        if key == "required_fields" and isinstance(value, list) and all(isinstance(f, dict) for f in value):
            value = sorted(({"name": f.get("name"), "type": f.get("type")} for f in value), key=lambda f: str(f["name"]))
        out[key] = value
    return out


def managed_fields(desired: dict) -> set[str]:
    return set(desired) - SERVER_FIELDS - ANALYST_FIELDS


def field_changes(desired: dict, remote: dict) -> list[tuple[str, object, object]]:
    """(field, in Kibana, in the pack) for every managed field that differs."""
    fields = managed_fields(desired)
    want, have = normalise(desired, fields), normalise(remote, fields)
    changes = [(k, have[k], want[k]) for k in sorted(fields) if have[k] != want[k]]
    remote_lists = {ref.get("list_id") for ref in _refs(remote)}
    for ref in desired.get("exceptions_list") or []:
        if ref["list_id"] not in remote_lists:
            changes.append(("exceptions_list", sorted(remote_lists), f"+ {ref['list_id']}"))
    return changes


def _refs(remote: dict) -> list[dict]:
    """The exception list references of a rule read from Kibana, whatever shape the answer gave them."""
    refs = remote.get("exceptions_list")
    return [ref for ref in refs if isinstance(ref, dict)] if isinstance(refs, list) else []


def merged_for_update(desired: dict, remote: dict, enabled: bool | None = None) -> dict:
    """The pack's rule carrying over what analysts own in the space: enabled state, actions, and
    exception lists the pack did not add (Kibana's import and PUT would otherwise drop them)."""
    body = dict(desired)
    body["enabled"] = remote.get("enabled", False) if enabled is None else enabled
    for key in ("actions", "throttle", "response_actions"):
        if remote.get(key):
            body[key] = remote[key]
    ours = {ref["list_id"] for ref in desired.get("exceptions_list") or []}
    theirs = [ref for ref in _refs(remote) if ref.get("list_id") not in ours]
    if theirs or desired.get("exceptions_list"):
        body["exceptions_list"] = list(desired.get("exceptions_list") or []) + theirs
    return body


def as_backup(remote: dict) -> dict:
    """A rule read from Kibana, as a line that Kibana's import takes back."""
    rule = {k: v for k, v in remote.items() if k not in SERVER_FIELDS}
    if isinstance(rule.get("required_fields"), list):
        rule["required_fields"] = [{"name": f.get("name"), "type": f.get("type")} for f in rule["required_fields"]
                                   if isinstance(f, dict)]
    return rule
