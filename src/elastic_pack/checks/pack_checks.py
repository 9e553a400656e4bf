"""Checks across the whole pack: unique ids and names, the version lock."""

from __future__ import annotations

from collections import defaultdict

from ..build import rule_payload
from ..lock import VersionLock
from .base import PackCheck


class UniqueIds(PackCheck):
    id = "EP008"
    title = "rule_ids and names are unique in the pack"

    def check_pack(self, pack):
        for key in ("rule_id", "name"):
            seen = defaultdict(list)
            for rule in pack.rules:
                if rule.rule.get(key):
                    seen[rule.rule[key]].append(rule)
            for value, rules in seen.items():
                for rule in rules[1:]:
                    yield self.finding(rule, f"duplicate {key} {value!r}, also used by {rules[0].path.name}",
                                       rule.line_of("rule", key))


class VersionBump(PackCheck):
    id = "EP011"
    house_rule = True
    title = "every rule's content matches version.lock.json (changed rules need a bump)"

    def check_pack(self, pack):
        if not pack.own_format:
            return  # a tree without a version lock (detection-rules, an export) has no versions to check
        lock = VersionLock.read(pack.lock_path)
        for rule in pack.rules:
            if not rule.rule_id:
                continue
            payload = rule_payload(rule, lock.version_of(rule.rule_id), pack)
            state = lock.status(rule.rule_id, payload)
            if state == "new":
                yield self.finding(rule, "new rule is not in version.lock.json; run `elastic-pack bump` to record "
                                   "version 1", rule.line_of("rule", "rule_id"))
            elif state == "changed":
                current = lock.entries[rule.rule_id].version
                yield self.finding(rule, f"content changed since version {current} but the version was not bumped; "
                                   f"run `elastic-pack bump {rule.rule_id}` to record version {current + 1}",
                                   rule.line_of("rule", "rule_id"))
