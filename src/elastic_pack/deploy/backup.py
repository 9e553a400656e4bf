"""Backups, the journal of rule replacements in flight, and restore.

A backup is written before the first change: an ndjson file of every rule the deploy will change or
delete, as Kibana had it (Kibana's own import takes it back), and beside it a `.json` file saying which
space it came from and which rules the deploy created, so that `restore` puts the space back exactly.

A type change cannot be an update in Kibana (its rules client keeps a rule's type), so it is a delete
followed by an import. The journal records each such rule as it was before the delete; when a deploy dies
between the two, the next deploy recreates the rule from the journal with the enabled state, actions and
exception lists it had, and `restore` of the backup puts it back too.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..kibana import KibanaClient
from ..kibana.client import dumps_ndjson
from .confirm import delete_confirmed, import_confirmed
from .normalize import as_backup
from .plan import Plan, find_by_rule_id


def write_backup(plan: Plan, folder: Path, prune: bool, pruned: list | None = None) -> Path | None:
    """The rules the apply will change or delete (pruned: the orphans it deletes, by default every orphan of
    the pack when prune), and the record of what it will create."""
    touched = plan.of("update", "replace") + ((plan.to_prune() if pruned is None else pruned) if prune else [])
    created = [a.rule_id for a in plan.of("create")]
    if not touched and not created:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"backup-{plan.space}-{stamp}.ndjson"
    path.write_text(dumps_ndjson([as_backup(a.kibana_rule) for a in touched]), encoding="utf-8")
    meta = {"space": plan.space, "written_at": stamp, "rules": [a.rule_id for a in touched], "created": created}
    meta_path(path).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


def meta_path(backup: Path) -> Path:
    return backup.with_suffix(".json")


def read_backup_meta(backup: Path) -> dict:
    """What the backup's side file says (space, created rules); {} for a backup without one."""
    path = meta_path(backup)
    if not path.exists():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not the JSON a deploy writes: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: not the JSON a deploy writes")
    return meta


def journal_path(folder: Path, space: str) -> Path:
    return folder / f"journal-{space}.json"


def read_journal(folder: Path, space: str) -> dict[str, dict]:
    """rule_id -> the rule as it was before an interrupted replacement deleted it."""
    path = journal_path(folder, space)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): v for k, v in data["replacing"].items() if isinstance(v, dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: unreadable deploy journal ({exc}); restore from the backup it names, "
                         "then remove it") from None


def write_journal(folder: Path, space: str, backup: Path | None, replacing: dict[str, dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body = {"space": space, "backup": str(backup) if backup else None, "replacing": replacing}
    temporary = journal_path(folder, space).with_suffix(".tmp")
    temporary.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    temporary.replace(journal_path(folder, space))  # never half-written


def clear_journal(folder: Path, space: str) -> None:
    journal_path(folder, space).unlink(missing_ok=True)


def restore_backup(client: KibanaClient, path: Path, remove_created: bool = True) -> dict:
    """Put a backup back: every rule in it is imported over what the space has now, and the rules that
    deploy created (named in the side file) are deleted."""
    text = path.read_text(encoding="utf-8")
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rule = json.loads(line)
                if not isinstance(rule, dict) or not isinstance(rule.get("rule_id"), str):
                    raise ValueError("not a rule object")
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not a rule: {exc}") from None
            rules.append(rule)
    result: dict[str, Any] = {"success": True, "success_count": 0, "rules_count": 0, "errors": [], "removed": []}
    # a rule whose type changed since cannot be imported over (Kibana keeps a rule's type): delete it first
    current = {r["rule_id"]: r for r in find_by_rule_id(client, [r["rule_id"] for r in rules])}
    retyped = [current[r["rule_id"]]["id"] for r in rules
               if r["rule_id"] in current and current[r["rule_id"]].get("type") != r.get("type")]
    if retyped:
        client.bulk_action({"action": "delete", "ids": retyped})
    if rules:
        failed = import_confirmed(client, rules)
        result.update(success=not failed, success_count=len(rules) - len(failed), rules_count=len(rules),
                      errors=[{"rule_id": rule_id, "error": {"message": why}} for rule_id, why in failed.items()])
    created = read_backup_meta(path).get("created")
    created = [r for r in created if isinstance(r, str)] if isinstance(created, list) else []
    if remove_created and created:
        found = find_by_rule_id(client, created)
        if found:
            not_deleted = delete_confirmed(client, {r["id"]: r["rule_id"] for r in found})
            result["removed"] = [r["rule_id"] for r in found if r["rule_id"] not in not_deleted]
            if not_deleted:
                result["success"] = False
                result["errors"] = list(result["errors"]) + [
                    {"rule_id": rule_id, "error": {"message": f"could not delete the rule deploy created: {why}"}}
                    for rule_id, why in not_deleted.items()]
    return result

