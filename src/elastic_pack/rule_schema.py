"""What Kibana's detection engine accepts for a rule create/import payload, as JSON Schema.

Written from the facts of Kibana's published OpenAPI schemas (rule_schemas / common_attributes), for
the rule types this pack uses. Tests check it against those schemas wherever they are available.
"""

from __future__ import annotations

from functools import lru_cache

import jsonschema

_STR = {"type": "string"}
_NONEMPTY = {"type": "string", "minLength": 1}
_STR_ARRAY = {"type": "array", "items": _STR}
_SEVERITY = {"enum": ["low", "medium", "high", "critical"]}
_RISK = {"type": "integer", "minimum": 0, "maximum": 100}


def _threat_entry(extra: dict | None = None) -> dict:
    props = {"id": _STR, "name": _STR, "reference": _STR, **(extra or {})}
    return {"type": "object", "properties": props, "required": ["id", "name", "reference"]}


_THREAT = {
    "type": "object",
    "properties": {
        "framework": _STR,
        "tactic": _threat_entry(),
        "technique": {
            "type": "array",
            "items": _threat_entry({"subtechnique": {"type": "array", "items": _threat_entry()}}),
        },
    },
    "required": ["framework", "tactic"],
}

COMMON_PROPERTIES: dict[str, dict] = {
    "rule_id": _STR,
    "name": _NONEMPTY,
    "description": _NONEMPTY,
    "risk_score": _RISK,
    "severity": _SEVERITY,
    "version": {"type": "integer", "minimum": 1},
    "tags": _STR_ARRAY,
    "enabled": {"type": "boolean"},
    "interval": _STR,
    "from": _STR,
    "to": _STR,
    "author": _STR_ARRAY,
    "false_positives": _STR_ARRAY,
    "references": _STR_ARRAY,
    "max_signals": {"type": "integer", "minimum": 1},
    "threat": {"type": "array", "items": _THREAT},
    "setup": _STR,
    "note": _STR,
    "license": _STR,
    "timestamp_override": _STR,
    "timestamp_override_fallback_disabled": {"type": "boolean"},
    "building_block_type": _STR,
    "index": _STR_ARRAY,
    "data_view_id": _STR,
    "filters": {"type": "array"},
    "meta": {"type": "object"},
    "actions": {"type": "array"},
    "exceptions_list": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "id": _NONEMPTY,
                "list_id": _NONEMPTY,
                "type": {"enum": ["detection", "rule_default", "endpoint", "endpoint_trusted_apps",
                                  "endpoint_events", "endpoint_host_isolation_exceptions", "endpoint_blocklists"]},
                "namespace_type": {"enum": ["agnostic", "single"]},
            },
            "required": ["id", "list_id", "type", "namespace_type"],
        },
    },
    "related_integrations": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"package": _NONEMPTY, "version": _NONEMPTY, "integration": _NONEMPTY},
            "required": ["package", "version"],
        },
    },
    "required_fields": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"name": _NONEMPTY, "type": _NONEMPTY},
            "required": ["name", "type"],
        },
    },
    "investigation_fields": {
        "type": "object",
        "properties": {"field_names": {"type": "array", "items": _NONEMPTY, "minItems": 1}},
        "required": ["field_names"],
    },
    "risk_score_mapping": {"type": "array"},
    "severity_mapping": {"type": "array"},
    "throttle": _STR,
    "namespace": _STR,
    "response_actions": {"type": "array"},
    "rule_name_override": _STR,
    "timeline_id": _STR,
    "timeline_title": _STR,
    "outcome": _STR,
    "max_signals_per_run": {"type": "integer", "minimum": 1},
}

TYPE_PROPERTIES: dict[str, tuple[dict[str, dict], list[str]]] = {
    "eql": (
        {
            "query": _STR,
            "language": {"enum": ["eql"]},
            "event_category_override": _STR,
            "tiebreaker_field": _STR,
            "timestamp_field": _STR,
            "alert_suppression": {"type": "object"},
        },
        ["query", "language"],
    ),
    "query": (
        {"query": _STR, "language": {"enum": ["kuery", "lucene"]}, "saved_id": _STR,
         "alert_suppression": {"type": "object"}},
        [],
    ),
    "threshold": (
        {
            "query": _STR,
            "language": {"enum": ["kuery", "lucene"]},
            "saved_id": _STR,
            "threshold": {
                "type": "object",
                "properties": {
                    "field": {"oneOf": [_STR, _STR_ARRAY]},
                    "value": {"type": "integer", "minimum": 1},
                    "cardinality": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"field": _STR, "value": {"type": "integer", "minimum": 0}},
                            "required": ["field", "value"],
                        },
                    },
                },
                "required": ["field", "value"],
            },
            "alert_suppression": {"type": "object", "required": ["duration"]},
        },
        ["query", "threshold"],
    ),
    "new_terms": (
        {
            "query": _STR,
            "language": {"enum": ["kuery", "lucene"]},
            "new_terms_fields": {"type": "array", "items": _STR, "minItems": 1, "maxItems": 3},
            "history_window_start": _NONEMPTY,
            "alert_suppression": {"type": "object"},
        },
        ["query", "new_terms_fields", "history_window_start"],
    ),
    "esql": (
        {"query": _NONEMPTY, "language": {"enum": ["esql"]}, "alert_suppression": {"type": "object"}},
        ["query", "language"],
    ),
    "machine_learning": (
        {"anomaly_threshold": {"type": "integer", "minimum": 0},
         "machine_learning_job_id": {"oneOf": [_NONEMPTY, {"type": "array", "items": _NONEMPTY, "minItems": 1}]},
         "alert_suppression": {"type": "object"}},
        ["anomaly_threshold", "machine_learning_job_id"],
    ),
    "threat_match": (
        {"query": _STR, "language": {"enum": ["kuery", "lucene"]}, "saved_id": _STR,
         "threat_query": _STR, "threat_index": _STR_ARRAY, "threat_language": {"enum": ["kuery", "lucene"]},
         "threat_filters": {"type": "array"}, "threat_indicator_path": _STR,
         "threat_mapping": {"type": "array", "minItems": 1, "items": {
             "type": "object", "required": ["entries"],
             "properties": {"entries": {"type": "array", "items": {
                 "type": "object", "required": ["field", "type", "value"],
                 "properties": {"field": _NONEMPTY, "type": {"enum": ["mapping"]}, "value": _NONEMPTY}}}}}},
         "items_per_search": {"type": "integer", "minimum": 1}, "concurrent_searches": {"type": "integer", "minimum": 1},
         "alert_suppression": {"type": "object"}},
        ["query", "threat_query", "threat_index", "threat_mapping"],
    ),
}


def schema_for(rule_type: str) -> dict:
    specific, required = TYPE_PROPERTIES[rule_type]
    return {
        "type": "object",
        "properties": {**COMMON_PROPERTIES, **specific, "type": {"const": rule_type}},
        "required": ["name", "description", "risk_score", "severity", "type", *required],
    }


@lru_cache(maxsize=None)
def _validator(rule_type: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema_for(rule_type))


def rule_payload_errors(payload: dict) -> list[str]:
    """Reasons Kibana would refuse this rule payload, plus keys it does not know (likely typos)."""
    rule_type = payload.get("type")
    if rule_type not in TYPE_PROPERTIES:
        return [f"type {rule_type!r} is not one of {sorted(TYPE_PROPERTIES)}"]
    errors = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<rule>'}: {e.message}"
        for e in sorted(_validator(rule_type).iter_errors(payload), key=lambda e: list(e.absolute_path))
    ]
    known = set(COMMON_PROPERTIES) | set(TYPE_PROPERTIES[rule_type][0]) | {"type"}
    errors += [f"{key}: not a field of a Kibana {rule_type} rule" for key in sorted(set(payload) - known)]
    return errors
