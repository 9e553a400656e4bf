"""The fields a compiled rule reads: its query's, its parameters' (threshold, new terms, EQL's category and
time fields, suppression) and its exceptions'. A reader that knows them may give the rules documents holding
only those fields (the backtest's decoding workers do: a CloudTrail record maps to some 25 ECS fields, the
pack's rules read about ten, and every field sent costs in both processes).

None means "not known exactly" (a field wildcard, free text, KQL inside ES|QL, an exception predicate that
does not say what it reads): such a rule is given whole documents. A field name keeps every document key it
could be answered from: the name itself, the keys under it (`user` reads `user.name`) and the keys above it
(`request.keyword` is answered from `request`; an object value holds what is under its key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..kql import ast as kql

ALWAYS = frozenset({"@timestamp", "_id", "_index", "event.dataset"})  # times, alert ancestors, stubs


def kql_reads(node: Any) -> set[str] | None:
    if isinstance(node, (kql.Match, kql.Exists, kql.Range)):
        return None if node.field_glob or "*" in node.field else {node.field}
    if isinstance(node, kql.Nested):
        return {node.path}  # everything under the path: the inner names are relative to it
    if isinstance(node, (kql.And, kql.Or)):
        parts = [kql_reads(item) for item in node.items]
        return None if any(p is None for p in parts) else set().union(*parts)  # type: ignore[arg-type]
    if isinstance(node, kql.Not):
        return kql_reads(node.item)
    if isinstance(node, kql.MatchAll):
        return set()
    return None  # FreeText (every field) or a node this function does not know


def eql_reads(query: Any) -> set[str]:
    from ..eql.parser import _collect_fields

    names: set[str] = set()
    _collect_fields(query.tree, set(), names)  # stages, joins, `by`, `until`, functions' fields
    return names


def esql_reads(query: Any) -> set[str] | None:
    from ..esql import ast as esql
    from ..esql.columns import referenced

    patterned = any("*" in name for command in query.commands if isinstance(command, (esql.Keep, esql.Drop))
                    for name in command.names)
    has_kql = any(isinstance(node, esql.Kql) for node in esql.nodes(query.commands))
    if patterned or has_kql:  # a pattern names many fields; KQL("...") those its text names
        return None
    return set(referenced(query)) | set(query.fields)


def rule_reads(rule_file: Any, query: Any, exceptions: Iterable[Any]) -> frozenset[str] | None:
    """What one pack rule reads (its query already checked), or None when not known exactly."""
    spec = rule_file.spec
    language = rule_file.rule.get("language")
    if rule_file.type == "esql":
        names = esql_reads(query)
    elif language == "eql" or rule_file.type == "eql":
        names = eql_reads(query)
        names.add(getattr(spec, "event_category_override", None) or "event.category")
        names |= {n for n in (getattr(spec, "timestamp_field", None), getattr(spec, "tiebreaker_field", None)) if n}
    else:
        names = kql_reads(getattr(query, "tree", None))
    if names is None:
        return None
    for attribute in ("threshold_fields", "new_terms_fields"):
        names |= set(getattr(spec, attribute, None) or ())
    names |= {name for name, _ in getattr(spec, "cardinality", None) or ()}
    if spec.suppression is not None:
        names |= set(spec.suppression.group_by)
    if spec.timestamp_override:
        names.add(spec.timestamp_override)
    for predicate in exceptions:
        read = getattr(predicate, "fields", None)
        if read is None:
            return None
        names |= set(read)
    return frozenset(names | ALWAYS)


def rules_read(rules: Iterable[Any]) -> frozenset[str] | None:
    """What all the rules read together, or None when one of them does not say (then: whole documents)."""
    union: set[str] = set()
    for rule in rules:
        reads = getattr(rule, "reads", None)
        if reads is None:
            return None
        union |= reads
    return frozenset(union)


def keeper(reads: frozenset[str]) -> Callable[[str], bool]:
    """Whether a document key is one the fields answer from (see above); each key decided once."""
    decided: dict[str, bool] = {}

    def keeps(key: str) -> bool:
        kept = decided.get(key)
        if kept is None:
            kept = decided[key] = key in reads or any(key.startswith(name + ".") or name.startswith(key + ".")
                                                      for name in reads)
        return kept

    return keeps


def projection(reads: frozenset[str]) -> Callable[[dict], dict]:
    """A function giving a flat document's keys the fields answer from, the rest left out."""
    keeps = keeper(reads)
    return lambda document: {key: value for key, value in document.items() if keeps(key)}
