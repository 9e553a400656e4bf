"""Applying a plan: backup first, then exception lists, then rules in bulk, then a check that it took.

Creates and updates go through `_import` in chunks (Kibana's limits: about 10 MB and 1,000 rules a
request); updates carry the space's enabled state, actions and foreign exception lists over. Prune uses
`_bulk_action` delete by object id. Nothing is retried blindly: a failed chunk is reported rule by rule and
a re-run converges.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..kibana import KibanaClient, KibanaError
from ..kibana.client import dumps_ndjson
from .normalize import as_backup, merged_for_update
from .plan import Plan

MAX_RULES_PER_IMPORT = 1000
MAX_IMPORT_BYTES = 9 * 1024 * 1024
MAX_IDS_PER_BULK = 1000


@dataclass
class ApplyResult:
    backup: Path | None = None
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    lists_created: list[str] = field(default_factory=list)
    items_written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict:
        return {"backup": str(self.backup) if self.backup else None, "created": self.created,
                "updated": self.updated, "deleted": self.deleted, "failed": self.failed,
                "exception_lists_created": self.lists_created, "exception_items_written": self.items_written}


def write_backup(plan: Plan, folder: Path, prune: bool) -> Path | None:
    """ndjson of every rule the apply will change or delete, as Kibana had it."""
    touched = plan.of("update", "replace") + (plan.of("orphan") if prune else [])
    if not touched:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"backup-{plan.space}-{stamp}.ndjson"
    path.write_text(dumps_ndjson([as_backup(a.remote) for a in touched]), encoding="utf-8")
    return path


def _chunks(lines: list[tuple[str, str]]):
    """(rule_id, ndjson line) pairs grouped under Kibana's import limits."""
    chunk, size = [], 0
    for rule_id, line in lines:
        if chunk and (len(chunk) >= MAX_RULES_PER_IMPORT or size + len(line) > MAX_IMPORT_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append((rule_id, line))
        size += len(line)
    if chunk:
        yield chunk


_LIST_CREATE_FIELDS = ("list_id", "name", "description", "type", "namespace_type", "os_types", "tags")


def sync_exception_lists(client: KibanaClient, objects: list[dict], result: ApplyResult) -> dict[str, str]:
    """Create the pack's lists and items that are missing and update items that differ; never delete.
    Returns each list's object id in the space (Kibana assigns it), for the rules' references."""
    lists = [o for o in objects if "item_id" not in o]
    items = [o for o in objects if "item_id" in o]
    ids = {}
    for lst in lists:
        current = client.read_exception_list(lst["list_id"])
        if current is None:
            current = client.create_exception_list({k: lst[k] for k in _LIST_CREATE_FIELDS if k in lst})
            result.lists_created.append(lst["list_id"])
        ids[lst["list_id"]] = current["id"]
    remote_items = {}
    for list_id in sorted({i["list_id"] for i in items}):
        remote_items.update({i["item_id"]: i for i in client.find_exception_items(list_id)})
    for item in items:
        current = remote_items.get(item["item_id"])
        if current is None:
            client.create_exception_item(item)
            result.items_written.append(item["item_id"])
        elif current.get("entries") != item["entries"] or current.get("name") != item["name"]:
            body = {k: v for k, v in item.items() if k != "list_id"}
            client.update_exception_item(body)
            result.items_written.append(item["item_id"])
    return ids


def exception_drift(client: KibanaClient, objects: list[dict]) -> list[str]:
    """What syncing the pack's exception lists would create or update (nothing is written)."""
    changes = []
    for lst in (o for o in objects if "item_id" not in o):
        if client.read_exception_list(lst["list_id"]) is None:
            changes.append(f"create exception list {lst['list_id']}")
            changes += [f"create exception item {o['item_id']}" for o in objects if o.get("list_id") == lst["list_id"]
                        and "item_id" in o]
            continue
        remote = {i["item_id"]: i for i in client.find_exception_items(lst["list_id"])}
        for item in (o for o in objects if "item_id" in o and o["list_id"] == lst["list_id"]):
            current = remote.get(item["item_id"])
            if current is None:
                changes.append(f"create exception item {item['item_id']}")
            elif current.get("entries") != item["entries"] or current.get("name") != item["name"]:
                changes.append(f"update exception item {item['item_id']}")
    return changes


def _linked(rule: dict, list_ids: dict[str, str]) -> dict:
    """The rule with its references to the pack's lists pointing at the lists' ids in this space."""
    refs = rule.get("exceptions_list")
    if not refs:
        return rule
    return {**rule, "exceptions_list": [{**ref, "id": list_ids.get(ref["list_id"], ref["id"])} for ref in refs]}


def apply_plan(client: KibanaClient, plan: Plan, exception_objects: list[dict], backup_dir: Path,
               prune: bool = False, enable_new: bool = False) -> ApplyResult:
    result = ApplyResult()
    result.backup = write_backup(plan, backup_dir, prune)
    try:
        list_ids = sync_exception_lists(client, exception_objects, result)
    except KibanaError as exc:
        result.failed["exception lists"] = str(exc)
        return result  # rules would reference lists that do not exist: stop before touching them

    replaced = plan.of("replace")
    if replaced:
        _bulk_delete(client, replaced, result, record=False)
    lines = []
    for action in plan.of("create"):
        lines.append((action.rule_id, dumps_ndjson([_linked({**action.desired, "enabled": enable_new}, list_ids)])))
    for action in plan.of("update", "replace"):
        if action.rule_id in result.failed:
            continue
        lines.append((action.rule_id, dumps_ndjson([_linked(merged_for_update(action.desired, action.remote), list_ids)])))
    created = {a.rule_id for a in plan.of("create")}
    for chunk in _chunks(lines):
        ids = [rule_id for rule_id, _ in chunk]
        try:
            response = client.import_rules("".join(line for _, line in chunk), overwrite=True)
        except KibanaError as exc:
            for rule_id in ids:
                result.failed[rule_id] = str(exc)
            continue
        errors = {e.get("rule_id"): e.get("error", {}).get("message", "failed") for e in response.get("errors", [])}
        for rule_id in ids:
            if rule_id in errors:
                result.failed[rule_id] = errors[rule_id]
            elif rule_id in created:
                result.created.append(rule_id)
            else:
                result.updated.append(rule_id)
    if prune:
        _bulk_delete(client, plan.of("orphan"), result, record=True)
    return result


def _bulk_delete(client: KibanaClient, actions, result: ApplyResult, record: bool) -> None:
    by_object_id = {a.remote["id"]: a.rule_id for a in actions}
    ids = list(by_object_id)
    for start in range(0, len(ids), MAX_IDS_PER_BULK):
        chunk = ids[start:start + MAX_IDS_PER_BULK]
        try:
            response = client.bulk_action({"action": "delete", "ids": chunk})
        except KibanaError as exc:
            for object_id in chunk:
                result.failed[by_object_id[object_id]] = str(exc)
            continue
        failed_ids = set()
        for error in response.get("attributes", {}).get("errors", []):
            for rule in error.get("rules", []):
                failed_ids.add(rule.get("id"))
                result.failed[by_object_id.get(rule.get("id"), rule.get("id"))] = error.get("message", "failed")
        if record:
            result.deleted += [by_object_id[i] for i in chunk if i not in failed_ids]


def restore_backup(client: KibanaClient, path: Path) -> dict:
    """Put a backup back: every rule in it is imported over what the space has now."""
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc}") from None
    return client.import_rules(text, overwrite=True)
