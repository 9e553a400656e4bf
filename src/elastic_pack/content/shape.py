"""The shape a rule file must have before anything reads it: each known key with the TOML type Kibana's
schema gives it. A file that fails here is reported once, with the key's line, and kept away from the
checks, the engine and the build, which would otherwise each trip over it in their own way."""

from __future__ import annotations

from typing import Any

_TEXT = ("rule_id", "name", "type", "query", "language", "interval", "from", "to", "description", "severity",
         "license", "timestamp_override", "note", "setup", "rule_name_override", "timeline_id", "timeline_title",
         "event_category_override", "tiebreaker_field", "timestamp_field", "history_window_start",
         "building_block_type", "anomaly_threshold_text")
_TEXT_LISTS = ("tags", "index", "author", "false_positives", "references", "new_terms_fields")
_NUMBERS = ("risk_score", "max_signals", "version", "anomaly_threshold")
_TABLES = ("threshold", "investigation_fields", "alert_suppression", "meta")
_TABLE_LISTS = ("threat", "related_integrations", "required_fields", "risk_score_mapping", "severity_mapping",
                "exceptions_list", "actions", "filters")
_TOML_TYPE = {str: "text", int: "a number", float: "a number", bool: "true or false", list: "a list",
              dict: "a table"}


def _kind(value: Any) -> str:
    return next((name for kind, name in _TOML_TYPE.items() if isinstance(value, kind)), type(value).__name__)


def shape_problems(data: dict) -> list[tuple[str, str, str]]:
    """(table, key, message) for every known key whose value has the wrong type."""
    problems = []
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        problems.append(("", "metadata", f"[metadata] must be a table, not {_kind(metadata)}"))
    rule = data.get("rule")
    if not isinstance(rule, dict):
        return problems + [("", "rule", "the file needs a [rule] table" if rule is None
                            else f"[rule] must be a table, not {_kind(rule)}")]

    def wrong(key: str, wanted: str) -> None:
        problems.append(("rule", key, f"rule.{key} must be {wanted}, not {_kind(rule[key])}"))

    for key in _TEXT:
        if key in rule and not isinstance(rule[key], str):
            wrong(key, "text")
    for key in _TEXT_LISTS:
        if key in rule and not (isinstance(rule[key], list) and all(isinstance(v, str) for v in rule[key])):
            wrong(key, "a list of text")
    for key in _NUMBERS:
        if key in rule and (isinstance(rule[key], bool) or not isinstance(rule[key], (int, float))):
            wrong(key, "a number")
    for key in _TABLES:
        if key in rule and not isinstance(rule[key], dict):
            wrong(key, "a table")
    for key in _TABLE_LISTS:
        if key in rule and not (isinstance(rule[key], list) and all(isinstance(v, dict) for v in rule[key])):
            wrong(key, "a list of tables ([[rule." + key + "]])")
    threshold = rule.get("threshold")
    if isinstance(threshold, dict):
        field = threshold.get("field")
        if field is not None and not (isinstance(field, str) or (isinstance(field, list)
                                                                  and all(isinstance(f, str) for f in field))):
            problems.append(("rule.threshold", "field", "rule.threshold.field must be text or a list of text"))
        value = threshold.get("value")
        if value is None:
            problems.append(("rule.threshold", "", "rule.threshold.value is missing"))
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append(("rule.threshold", "value", f"rule.threshold.value must be a whole number, not "
                                                        f"{_kind(value)}"))
    fields = rule.get("investigation_fields")
    if isinstance(fields, dict) and not (isinstance(fields.get("field_names"), list)
                                         and all(isinstance(f, str) for f in fields["field_names"])):
        problems.append(("rule.investigation_fields", "field_names",
                         "rule.investigation_fields.field_names must be a list of text"))
    return problems
