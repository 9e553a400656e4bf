"""Exception lists as code: content/exceptions/*.toml -> Kibana exception list objects, and the same
entries as local-engine predicates (an event an exception matches never reaches the rule, as in Kibana).

An item's entries must all match (AND); any matching item removes the event (OR). Entry types: `match`,
`match_any`, `wildcard`, `exists`; operator `included` (default) or `excluded`. Items without values are
placeholders for the user's own identities and are not shipped.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .glob import glob
from .content.model import Pack
from .findings import Finding
from .content.toml_text import parse_toml

ENTRY_TYPES = ("match", "match_any", "wildcard", "exists")
_NAMESPACE = uuid.UUID("5d0c1c0e-7f0b-4c53-9a8e-0e1496004000")


@dataclass
class ExceptionEntry:
    field: str
    type: str = "match_any"
    operator: str = "included"
    value: list[str] | str | None = None

    def is_empty(self) -> bool:
        return self.type != "exists" and not self.value

    def to_kibana(self) -> dict:
        entry: dict[str, object] = {"field": self.field, "operator": self.operator, "type": self.type}
        if self.type != "exists":
            entry["value"] = self.value
        return entry


@dataclass
class ExceptionItem:
    item_id: str
    name: str
    description: str
    entries: list[ExceptionEntry]

    def is_placeholder(self) -> bool:
        return any(e.is_empty() for e in self.entries)


@dataclass
class ExceptionList:
    path: Path
    list_id: str
    name: str
    description: str
    rules: list[str]
    items: list[ExceptionItem] = field(default_factory=list)

    @property
    def object_id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, self.list_id))

    def reference(self) -> dict:
        return {"id": self.object_id, "list_id": self.list_id, "type": "detection", "namespace_type": "single"}

    def shipped_items(self) -> list[ExceptionItem]:
        return [i for i in self.items if not i.is_placeholder()]

    def with_values(self, values: dict[str, list[str]]) -> "ExceptionList":
        """A copy whose single-entry items take these values (by item_id): scenarios test tuning this way."""
        items = []
        for item in self.items:
            if item.item_id in values and len(item.entries) == 1:
                entry = item.entries[0]
                item = ExceptionItem(item.item_id, item.name, item.description,
                                     [ExceptionEntry(entry.field, "match_any", entry.operator, list(values[item.item_id]))])
            items.append(item)
        return ExceptionList(self.path, self.list_id, self.name, self.description, self.rules, items)


def _entry(data: dict) -> ExceptionEntry:
    kind = data.get("type", "match_any")
    if kind not in ENTRY_TYPES:
        raise ValueError(f"entry type {kind!r} is not one of {', '.join(ENTRY_TYPES)}")
    operator = data.get("operator", "included")
    if operator not in ("included", "excluded"):
        raise ValueError(f"operator {operator!r} is not 'included' or 'excluded'")
    value = data.get("values", data.get("value"))
    if kind == "match_any" and value is not None and not isinstance(value, list):
        value = [value]
    return ExceptionEntry(data["field"], kind, operator, value)


def load_exception_lists(root: Path) -> tuple[list[ExceptionList], list[Finding]]:
    lists, findings = [], []
    for path in sorted((root / "exceptions").glob("*.toml")):
        try:
            data = parse_toml(path.read_text(encoding="utf-8"))
            head = data["list"]
            items = []
            for raw in data.get("items", []):
                entries = [_entry(e) for e in raw["entries"]] if "entries" in raw else [_entry(raw)]
                items.append(ExceptionItem(raw["item_id"], raw["name"], raw.get("description", raw["name"]), entries))
            lists.append(ExceptionList(path, head["list_id"], head["name"], head["description"],
                                       list(head.get("rules", [])), items))
        except (tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
            message = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            findings.append(Finding("EP016", f"invalid exception list: {message}", path=path))
    return lists, findings


def lists_for_rule(lists: list[ExceptionList], rule_stem: str) -> list[ExceptionList]:
    return [lst for lst in lists if rule_stem in lst.rules]


def kibana_objects(lists: list[ExceptionList]) -> list[dict]:
    """Exception list containers and their items, in the shape of Kibana's rule export/import ndjson."""
    objects = []
    for lst in sorted(lists, key=lambda x: x.list_id):
        objects.append({"id": lst.object_id, "list_id": lst.list_id, "name": lst.name,
                        "description": lst.description, "type": "detection", "namespace_type": "single",
                        "os_types": [], "tags": ["elastic-pack"], "immutable": False, "version": 1})
        for item in lst.shipped_items():
            objects.append({"item_id": item.item_id, "list_id": lst.list_id, "name": item.name,
                            "description": item.description, "type": "simple", "namespace_type": "single",
                            "os_types": [], "tags": ["elastic-pack"], "comments": [],
                            "entries": [e.to_kibana() for e in item.entries]})
    return objects


# --- the same entries as engine predicates -----------------------------------------------------------

def _values(fields: dict, name: str) -> list:
    value = fields.get(name)
    if value is None:
        return []
    return [v for v in value if v is not None] if isinstance(value, list) else [value]


def _entry_predicate(entry: ExceptionEntry) -> Callable[[dict], bool]:
    name = entry.field
    if entry.type == "exists":
        test = lambda f: bool(_values(f, name))  # noqa: E731
    elif entry.type == "wildcard":
        patterns = [entry.value] if isinstance(entry.value, str) else list(entry.value or [])
        regexes = [glob(p) for p in patterns]
        test = lambda f: any(r.fullmatch(str(v)) for v in _values(f, name) for r in regexes)  # noqa: E731
    else:
        wanted = set([entry.value] if isinstance(entry.value, str) else (entry.value or []))
        test = lambda f: any(str(v) in wanted for v in _values(f, name))  # noqa: E731
    if entry.operator == "excluded":
        return lambda f: not test(f)
    return test


def item_predicate(item: ExceptionItem) -> Callable[[dict], bool]:
    tests = [_entry_predicate(e) for e in item.entries]
    def predicate(fields: dict) -> bool:
        return all(t(fields) for t in tests)

    predicate.fields = frozenset(e.field for e in item.entries)  # type: ignore[attr-defined]  # engine.reads
    return predicate


def exception_predicates(pack: Pack, lists: list[ExceptionList] | None = None) -> dict[str, list]:
    """rule_id -> predicates that remove an event from that rule, as Kibana's exceptions do."""
    if lists is None:
        lists = pack.exception_lists
    out: dict[str, list] = {}
    for rule in pack.rules:
        for lst in lists_for_rule(lists, rule.path.stem):
            out.setdefault(rule.rule_id, []).extend(item_predicate(i) for i in lst.shipped_items())
    return out
