"""Applying a plan: backup first, then exception lists, then rules in bulk, then type changes one by one.

Creates and updates go through `_import` in chunks (Kibana's limits: about 10 MB and 1,000 rules a
request); updates carry the space's enabled state, actions and foreign exception lists over. A type change
is a delete and an import as one step: the journal records the rule first, a failed import puts the old
rule back at once, and an interrupted deploy is completed by the next one from the journal (backup.py).
Prune uses `_bulk_action` delete by object id. Nothing is retried blindly: a re-run converges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..kibana import KibanaClient, KibanaError
from ..kibana.client import dumps_ndjson
from .backup import clear_journal, read_journal, write_backup, write_journal
from .confirm import delete_confirmed, import_confirmed
from .exception_lists import sync_exception_lists
from .normalize import as_backup, merged_for_update
from .plan import Plan, RuleAction

MAX_RULES_PER_IMPORT = 1000
MAX_IMPORT_BYTES = 9 * 1024 * 1024
MAX_IDS_PER_BULK = 1000


@dataclass
class ApplyResult:
    space: str = "default"
    backup: Path | None = None
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    not_applied: list[str] = field(default_factory=list)  # left alone because the deploy was interrupted
    interrupted: bool = False
    lists_created: list[str] = field(default_factory=list)
    items_written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def to_json(self) -> dict:
        return {"space": self.space, "backup": str(self.backup) if self.backup else None, "created": self.created,
                "updated": self.updated, "replaced": self.replaced, "deleted": self.deleted,
                "failed": self.failed, "not_applied": self.not_applied, "interrupted": self.interrupted,
                "exception_lists_created": self.lists_created, "exception_items_written": self.items_written}


def _chunks(lines: list[tuple[str, str]]) -> Any:
    """(rule_id, ndjson line) pairs grouped under Kibana's import limits."""
    chunk: list[tuple[str, str]] = []
    size = 0
    for rule_id, line in lines:
        if chunk and (len(chunk) >= MAX_RULES_PER_IMPORT or size + len(line) > MAX_IMPORT_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append((rule_id, line))
        size += len(line)
    if chunk:
        yield chunk


def _linked(rule: dict, list_ids: dict[str, str]) -> dict:
    """The rule with its references to the pack's lists pointing at the lists' ids in this space."""
    refs = rule.get("exceptions_list")
    if not refs:
        return rule
    return {**rule, "exceptions_list": [{**ref, "id": list_ids.get(ref["list_id"], ref["id"])} for ref in refs]}


def apply_plan(client: KibanaClient, plan: Plan, exception_objects: list[dict], backup_dir: Path,
               prune: bool = False, enable_new: bool = False, stop: Callable[[], bool] | None = None,
               progress: Callable[[str], None] | None = None, prune_legacy: bool = False) -> ApplyResult:
    """Apply the plan. With prune, delete the pack's orphans (plan.to_prune); with prune_legacy too, also those
    marked only by the old global tag."""
    stop = stop or (lambda: False)
    say = progress or (lambda text: None)
    result = ApplyResult(space=plan.space)
    interrupted_before = read_journal(backup_dir, plan.space)  # rules a dead deploy deleted and did not import
    pruned = plan.to_prune(prune_legacy) if prune or prune_legacy else []
    result.backup = write_backup(plan, backup_dir, bool(pruned), pruned)
    replacing = {**interrupted_before, **{a.rule_id: as_backup(a.kibana_rule) for a in plan.of("replace")}}
    if replacing:
        write_journal(backup_dir, plan.space, result.backup, replacing)
    try:
        list_ids = sync_exception_lists(client, exception_objects, result)
    except KibanaError as exc:
        result.failed["exception lists"] = str(exc)
        return result  # rules would reference lists that do not exist: stop before touching them

    lines, bodies = [], {}
    for action in plan.of("create"):
        before = interrupted_before.get(action.rule_id)
        body = merged_for_update(action.pack_rule, before) if before else {**action.pack_rule, "enabled": enable_new}
        bodies[action.rule_id] = _linked(body, list_ids)
    for action in plan.of("update"):
        bodies[action.rule_id] = _linked(merged_for_update(action.pack_rule, action.kibana_rule), list_ids)
    lines = [(rule_id, dumps_ndjson([body])) for rule_id, body in bodies.items()]
    created = {a.rule_id for a in plan.of("create")}
    chunks = list(_chunks(lines))
    for number, chunk in enumerate(chunks, 1):
        ids = [rule_id for rule_id, _ in chunk]
        if stop():
            result.interrupted = True
            result.not_applied += ids
            continue
        say(f"importing rules: chunk {number} of {len(chunks)} ({len(ids)} rules)")
        errors = import_confirmed(client, [bodies[rule_id] for rule_id in ids])
        for rule_id in ids:
            if rule_id in errors:
                result.failed[rule_id] = errors[rule_id]
            else:
                (result.created if rule_id in created else result.updated).append(rule_id)

    for action in plan.of("replace"):
        if stop():
            result.interrupted = True
            result.not_applied.append(action.rule_id)
            continue
        say(f"replacing {action.rule_id} (its type changed)")
        _replace(client, action, list_ids, result)

    if pruned:
        orphans = pruned
        if stop():
            result.interrupted = True
            result.not_applied += [a.rule_id for a in orphans]
        else:
            _bulk_delete(client, orphans, result, record=True)

    missing = [r for r in replacing if r in result.failed or r in result.not_applied]
    if replacing and not missing:
        clear_journal(backup_dir, plan.space)
    elif replacing:
        write_journal(backup_dir, plan.space, result.backup, {r: replacing[r] for r in missing})
    return result


def _replace(client: KibanaClient, action: RuleAction, list_ids: dict[str, str], result: ApplyResult) -> None:
    """Delete and import as one step; if the import fails, the old rule goes back at once."""
    _bulk_delete(client, [action], result, record=False)
    if action.rule_id in result.failed:
        return  # not deleted: the old rule is intact
    body = _linked(merged_for_update(action.pack_rule, action.kibana_rule), list_ids)
    errors = import_confirmed(client, [body])
    if action.rule_id not in errors:
        result.replaced.append(action.rule_id)
        return
    back = import_confirmed(client, [as_backup(action.kibana_rule)])
    if action.rule_id in back:
        result.failed[action.rule_id] = (f"{errors[action.rule_id]}; putting the old rule back failed too "
                                         f"({back[action.rule_id]}): run the same deploy again, or restore the backup")
    else:
        result.failed[action.rule_id] = f"{errors[action.rule_id]} (the old rule was put back unchanged)"


def _bulk_delete(client: KibanaClient, actions: Any, result: ApplyResult, record: bool) -> None:
    by_object_id = {a.remote["id"]: a.rule_id for a in actions}
    ids = list(by_object_id)
    for start in range(0, len(ids), MAX_IDS_PER_BULK):
        chunk = {i: by_object_id[i] for i in ids[start:start + MAX_IDS_PER_BULK]}
        failed = delete_confirmed(client, chunk)
        result.failed.update(failed)
        if record:
            result.deleted += [rule_id for rule_id in chunk.values() if rule_id not in failed]
