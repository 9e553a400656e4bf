"""The version lock: each rule's content hash and version, so a changed rule must be bumped on purpose."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path


def content_hash(payload: dict) -> str:
    """Hash of what Kibana receives, less the version itself and the pack's id tag (which pack deploys a rule
    is not a change of the rule)."""
    from .build import PACK_TAG_PREFIX

    body = {k: v for k, v in payload.items() if k != "version"}
    if isinstance(body.get("tags"), list):
        body["tags"] = [t for t in body["tags"] if not (isinstance(t, str) and t.startswith(PACK_TAG_PREFIX))]
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class LockEntry:
    name: str
    sha256: str
    version: int


class VersionLock:
    def __init__(self, path: Path, entries: dict[str, LockEntry]):
        self.path = path
        self.entries = entries

    @classmethod
    def read(cls, path: Path) -> "VersionLock":
        if not path.exists():
            return cls(path, {})
        try:
            raw = json.loads(path.read_bytes().decode("utf-8"))
            entries = {str(rid): LockEntry(**entry) for rid, entry in raw.items()}
            if not all(isinstance(e.version, int) and isinstance(e.sha256, str) for e in entries.values()):
                raise TypeError("version must be a number and sha256 a string")
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}: not a version lock ({exc}); restore it from git or delete it and run "
                             "`elastic-pack bump`") from None
        return cls(path, entries)

    def write(self) -> None:
        data = {rid: vars(e) for rid, e in sorted(self.entries.items())}
        self.path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def version_of(self, rule_id: str) -> int:
        entry = self.entries.get(rule_id)
        return entry.version if entry else 1

    def status(self, rule_id: str, payload: dict) -> str:
        """'new', 'changed' or 'current'."""
        entry = self.entries.get(rule_id)
        if entry is None:
            return "new"
        return "current" if entry.sha256 == content_hash(payload) else "changed"

    def bump(self, rule_id: str, payload: dict) -> LockEntry | None:
        """Record the payload's content; returns the new entry, or None when nothing changed."""
        state = self.status(rule_id, payload)
        if state == "current":
            return None
        version = 1 if state == "new" else self.entries[rule_id].version + 1
        entry = LockEntry(name=payload["name"], sha256=content_hash(payload), version=version)
        self.entries[rule_id] = entry
        return entry
