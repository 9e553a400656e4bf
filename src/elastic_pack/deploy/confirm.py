"""What Kibana's write answers prove. `_import` answers 200 even when rules failed, and an answer without
`errors` is not an answer that says every rule was imported: a rule counts as written when the answer
accounts for it (`success_count` and per-rule errors add up) or, when it does not, when the rule read back
from the space is the rule that was sent. Deletes likewise: confirmed by the answer or by the rule being gone.
"""

from __future__ import annotations

from ..kibana import KibanaClient, KibanaError
from ..kibana.client import dumps_ndjson
from .normalize import field_changes
from .plan import find_by_rule_id


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _message(error: object) -> str:
    if isinstance(error, dict):
        inner = error.get("error")
        error = inner.get("message") if isinstance(inner, dict) else inner if inner is not None else error.get("message")
    return str(error or "failed")[:500]


def reported_errors(answer: object, rule_ids: set[str]) -> tuple[dict[str, str], list[str]]:
    """(rule_id -> Kibana's message for the rules the answer names as failed, the errors it names no rule of)."""
    if not isinstance(answer, dict):
        return {}, ["the answer is not a JSON object"]
    errors = answer.get("errors")
    if errors is None:
        return {}, []
    if not isinstance(errors, list):
        return {}, ["its errors are not a list"]
    named: dict[str, str] = {}
    loose = []
    for error in errors:
        rule_id = error.get("rule_id") if isinstance(error, dict) else None
        if isinstance(rule_id, str) and rule_id in rule_ids:
            named[rule_id] = _message(error)
        else:
            loose.append(_message(error))
    return named, loose


def import_confirmed(client: KibanaClient, bodies: list[dict]) -> dict[str, str]:
    """Import these rules (overwriting); rule_id -> why it is not in the space as sent. Empty: all are."""
    ids = [body["rule_id"] for body in bodies]
    try:
        answer = client.import_rules(dumps_ndjson(bodies), overwrite=True)
    except KibanaError as exc:
        return {rule_id: str(exc) for rule_id in ids}
    failed, loose = reported_errors(answer, set(ids))
    count = _count(answer.get("success_count")) if isinstance(answer, dict) else None
    if count == len(ids) - len(failed) and not loose:
        return failed
    said = "; ".join(loose) if loose else (f"it confirms {count} of {len(ids)} rules" if count is not None
                                           else "it gives no success_count")
    return {**failed, **_read_back(client, [b for b in bodies if b["rule_id"] not in failed],
                                   f"Kibana's import answer does not account for it ({client.config.redact(said)})")}


def _read_back(client: KibanaClient, bodies: list[dict], why: str) -> dict[str, str]:
    if not bodies:
        return {}
    try:
        found = {r["rule_id"]: r for r in find_by_rule_id(client, [b["rule_id"] for b in bodies])}
    except KibanaError as exc:
        return {b["rule_id"]: f"{why}, and reading it back failed: {exc}" for b in bodies}
    failed = {}
    for body in bodies:
        current = found.get(body["rule_id"])
        if current is None:
            failed[body["rule_id"]] = f"{why}, and the space does not hold it"
        elif field_changes(body, current):
            failed[body["rule_id"]] = f"{why}, and the space holds another version of it"
    return failed


def delete_confirmed(client: KibanaClient, by_object_id: dict[str, str]) -> dict[str, str]:
    """Bulk delete these rules (object id -> rule_id); rule_id -> why it is still there. Empty: all gone."""
    ids = list(by_object_id)
    try:
        answer = client.bulk_action({"action": "delete", "ids": ids})
    except KibanaError as exc:
        return {by_object_id[i]: str(exc) for i in ids}
    attributes = answer.get("attributes") if isinstance(answer, dict) else None
    attributes = attributes if isinstance(attributes, dict) else {}
    errors = attributes.get("errors")
    failed: dict[str, str] = {}
    for error in errors if isinstance(errors, list) else []:
        rules = error.get("rules") if isinstance(error, dict) else None
        for rule in rules if isinstance(rules, list) else []:
            object_id = rule.get("id") if isinstance(rule, dict) else None
            if object_id in by_object_id:
                failed[by_object_id[object_id]] = _message(error)
    results = attributes.get("results")
    deleted = results.get("deleted") if isinstance(results, dict) else None
    confirmed = {r.get("id") for r in deleted if isinstance(r, dict)} if isinstance(deleted, list) else set()
    unsure = [i for i in ids if i not in confirmed and by_object_id[i] not in failed]
    if not unsure:
        return failed
    try:
        still = {r["id"] for r in find_by_rule_id(client, [by_object_id[i] for i in unsure])}
    except KibanaError as exc:
        return {**failed, **{by_object_id[i]: f"the delete is not confirmed, and reading back failed: {exc}"
                             for i in unsure}}
    return {**failed, **{by_object_id[i]: "Kibana's answer does not confirm the delete and the rule is still there"
                         for i in unsure if i in still}}
