"""Exception lists: attached to rules that exist, on fields those rules' data has, ids unique."""

from __future__ import annotations

from ..fields import field_type, in_index_data
from ..findings import Finding
from .base import PackCheck


class ExceptionLists(PackCheck):
    id = "EP016"
    title = "exception lists name existing rules and only fields the rules' data has"

    def _error(self, lst, message: str) -> Finding:
        return Finding(self.id, message, path=lst.path)

    def check_pack(self, pack):
        rules = {r.path.stem: r for r in pack.rules}
        seen_lists, seen_items = set(), set()
        for lst in pack.exception_lists:
            if lst.list_id in seen_lists:
                yield self._error(lst, f"duplicate list_id {lst.list_id!r}")
            seen_lists.add(lst.list_id)
            if not lst.rules:
                yield self._error(lst, "the list is attached to no rule (set `rules` in [list])")
            for stem in lst.rules:
                if stem not in rules:
                    yield self._error(lst, f"unknown rule {stem!r}: rules are named by file, e.g. {next(iter(rules), '')!r}")
            for item in lst.items:
                if item.item_id in seen_items:
                    yield self._error(lst, f"duplicate item_id {item.item_id!r}")
                seen_items.add(item.item_id)
                for entry in item.entries:
                    if field_type(entry.field) is None:
                        yield self._error(lst, f"item {item.item_id}: unknown field {entry.field!r}")
                        continue
                    for stem in lst.rules:
                        rule = rules.get(stem)
                        if rule and not in_index_data(entry.field, rule.rule.get("index", [])):
                            yield Finding(self.id, f"item {item.item_id}: rule {rule.name!r} reads "
                                          f"{', '.join(rule.rule.get('index', []))}, whose data has no field {entry.field!r}",
                                          path=lst.path, rule_id=rule.rule_id, rule_name=rule.name)
