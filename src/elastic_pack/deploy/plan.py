"""The plan: what deploying the pack to a space would create, update, leave alone or orphan."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ..kibana import KibanaClient
from ..build import MARKER_TAG, pack_tags_of
from .exception_lists import exception_drift
from .normalize import field_changes


@dataclass
class RuleAction:
    kind: str  # create | update | replace | unchanged | orphan
    rule_id: str
    name: str
    desired: dict | None = None
    remote: dict | None = None
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    # an orphan marked only "Managed: elastic-pack", deployed before packs had ids: whose it is cannot be told
    legacy: bool = False

    @property
    def kibana_rule(self) -> dict:
        """The rule as the space holds it (update, replace, unchanged, orphan actions)."""
        if self.remote is None:
            raise ValueError(f"{self.kind} {self.rule_id}: the space holds no such rule")
        return self.remote

    @property
    def pack_rule(self) -> dict:
        """The rule as the pack builds it (create, update, replace, unchanged actions)."""
        if self.desired is None:
            raise ValueError(f"{self.kind} {self.rule_id}: the pack holds no such rule")
        return self.desired

    @property
    def downgrade(self) -> bool:
        """The pack's version of the rule is older than the space's: someone would go back in time."""
        if self.desired is None or self.remote is None or self.kind == "unchanged":
            return False
        have, want = self.remote.get("version"), self.desired.get("version")
        return isinstance(have, int) and isinstance(want, int) and want < have

    def to_json(self) -> dict:
        out: dict[str, object] = {"action": self.kind, "rule_id": self.rule_id, "name": self.name,
               "changes": [{"field": f, "kibana": before, "pack": after} for f, before, after in self.changes]}
        if self.legacy:
            out["legacy"] = True
        if self.downgrade:
            out["downgrade"] = {"kibana": self.kibana_rule.get("version"), "pack": self.pack_rule.get("version")}
        return out


@dataclass
class Plan:
    space: str
    actions: list[RuleAction]
    remote_fingerprint: str = ""
    exception_changes: list[str] = field(default_factory=list)  # exception lists and items to create or update

    def of(self, *kinds: str) -> list[RuleAction]:
        return [a for a in self.actions if a.kind in kinds]

    def has_changes(self, prune: bool = False, prune_legacy: bool = False) -> bool:
        return bool(self.of("create", "update", "replace") or self.exception_changes
                    or (prune and self.to_prune(prune_legacy)))

    def to_prune(self, legacy: bool = False) -> list[RuleAction]:
        """The orphans --prune deletes: this pack's, and with `legacy` those marked only by the old global tag."""
        return [a for a in self.of("orphan") if legacy or not a.legacy]

    @property
    def downgrades(self) -> list[RuleAction]:
        return [a for a in self.actions if a.downgrade]

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("create", "update", "replace", "unchanged", "orphan")}
        for action in self.actions:
            out[action.kind] += 1
        return out

    def to_json(self) -> dict:
        return {"space": self.space, "counts": self.counts(), "remote_fingerprint": self.remote_fingerprint,
                "rules": [a.to_json() for a in self.actions], "exception_changes": list(self.exception_changes)}


RULE_IDS_PER_QUERY = 100  # keeps each _find URL a few KB long


def find_by_rule_id(client: KibanaClient, rule_ids: list[str]) -> list[dict]:
    """The space's rules with these rule_ids, looked up in short queries."""
    found = []
    for start in range(0, len(rule_ids), RULE_IDS_PER_QUERY):
        ids = " or ".join(json.dumps(r) for r in rule_ids[start:start + RULE_IDS_PER_QUERY])
        found += list(client.find_rules(filter=f"alert.attributes.params.ruleId: ({ids})"))
    return found


def remote_rules(client: KibanaClient, rule_ids: list[str]) -> list[dict]:
    """The space's rules that are ours (by marker) or share a rule_id with the pack."""
    found = {r["rule_id"]: r for r in client.find_rules(filter=f'alert.attributes.tags: "{MARKER_TAG}"')}
    found.update((r["rule_id"], r) for r in find_by_rule_id(client, [r for r in rule_ids if r not in found]))
    return list(found.values())


def _name(rule: dict) -> str:
    """A rule's name as Kibana gave it; its rule_id when the answer has no name (it says which rule)."""
    name = rule.get("name")
    return name if isinstance(name, str) and name else f"(no name) {rule['rule_id']}"


def _tags(rule: dict) -> list:
    tags = rule.get("tags")
    return tags if isinstance(tags, list) else []


def fingerprint(rules: list[dict]) -> str:
    """Identifies the state of the space's relevant rules (their ids and revisions)."""
    state = sorted((r["rule_id"], r.get("id"), r.get("revision")) for r in rules)
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:16]


def make_plan(desired_rules: list[dict], remote: list[dict], space: str) -> Plan:
    """What deploying desired_rules over the space's rules (remote) would do. An orphan is a rule the pack
    does not have that carries the pack's tag (build.pack_tag, which the desired rules carry), or, as
    `legacy`, only the global marker; another pack's rules are never this pack's orphans."""
    by_id = {r["rule_id"]: r for r in remote}
    actions = []
    for desired in sorted(desired_rules, key=lambda r: r["name"]):
        current = by_id.get(desired["rule_id"])
        if current is None:
            actions.append(RuleAction("create", desired["rule_id"], desired["name"], desired))
            continue
        changes = field_changes(desired, current)
        kind = "unchanged"
        if changes:
            kind = "replace" if current.get("type") != desired.get("type") else "update"
        actions.append(RuleAction(kind, desired["rule_id"], desired["name"], desired, current, changes))
    wanted = {r["rule_id"] for r in desired_rules}
    ours = set().union(*(pack_tags_of(r) for r in desired_rules))
    for current in sorted(remote, key=_name):
        if current["rule_id"] in wanted or MARKER_TAG not in _tags(current):
            continue
        packs = pack_tags_of(current)
        if packs & ours or not packs:
            actions.append(RuleAction("orphan", current["rule_id"], _name(current), remote=current,
                                      legacy=not packs))
    return Plan(space, actions, fingerprint(remote))


def plan_space(client: KibanaClient, desired_rules: list[dict], exception_objects: list[dict] | None = None) -> Plan:
    client.get_space()
    plan = make_plan(desired_rules, remote_rules(client, [r["rule_id"] for r in desired_rules]), client.config.space)
    if exception_objects:
        plan.exception_changes = exception_drift(client, exception_objects)
    return plan
