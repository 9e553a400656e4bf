"""Gates: a cheap necessary condition per rule (one field must hold one of a few strings), read from the
rule's own query. An event that fails a rule's gate cannot match any part of that rule's query, so the
engine does not hand it to the rule: alerts are the same, and most CloudTrail events (S3, EC2, STS ...)
cost one dictionary lookup per rule instead of a query evaluation."""

from __future__ import annotations

import re
from typing import Any

from ..eql import cached_grammar  # noqa: F401  (before eql: its grammar, cached)
from eql import ast as eql_ast

from ..eql.parser import EqlQuery, field_name
from ..fields import NUMBER_TYPES, field_type
from ..kql import ast as kql

Gate = tuple[str, frozenset]
_PREFERRED = ("event.action", "event.provider", "event.category", "event.dataset")


class AnyGate(tuple):
    """Gates on different fields, one of which an event must pass (`a:x or b:y`)."""


def _alternatives(gate: Any) -> tuple[Gate, ...]:
    return tuple(gate) if isinstance(gate, AnyGate) else (gate,)


def _pick(gates: list) -> Gate | AnyGate | None:
    """A conjunction needs only one of its gates: the cheapest (one field, preferably a common one)."""
    if not gates:
        return None
    return min(gates, key=lambda g: (len(g) if isinstance(g, AnyGate) else 0,
                                     _PREFERRED.index(g[0]) if not isinstance(g, AnyGate) and g[0] in _PREFERRED
                                     else len(_PREFERRED), 0 if isinstance(g, AnyGate) else len(g[1])))


def _union(gates: list) -> Gate | AnyGate | None:
    """A disjunction is gated only when every branch is; values of the same field are merged."""
    if not gates or any(g is None for g in gates):
        return None
    per_field: dict[str, frozenset] = {}
    for gate in gates:
        for field, values in _alternatives(gate):
            per_field[field] = per_field.get(field, frozenset()) | values
    if len(per_field) == 1:
        return next(iter(per_field.items()))
    return AnyGate(per_field.items())


def holds(value: Any, values: frozenset) -> bool:
    """Whether a field's value (or one value of an array) is one of the gate's; an object lets through."""
    if value is None:
        return False
    try:
        return value in values if value.__class__ is not list else any(item in values for item in value)
    except TypeError:  # an unhashable value: the rule's query decides
        return True


def passes(gate: tuple[Gate, ...], event: Any) -> bool:
    """Whether the event holds one of the values on one of the fields."""
    return any(holds(event.get(field), values) for field, values in gate)


def gates_of(rules: list[Any]) -> tuple[Gate, ...] | None:
    """The union of the rules' gates, per field (passing any rule's gate is what counts), or None when a rule
    has none (it must see every event)."""
    if not rules or any(rule.gate is None for rule in rules):
        return None
    per_field: dict[str, frozenset] = {}
    for rule in rules:
        for name, values in (rule.gate if isinstance(rule.gate, AnyGate) else (rule.gate,)):
            per_field[name] = per_field.get(name, frozenset()) | values
    return tuple(per_field.items())


# KQL: exact matches on keyword fields only (text, ip, numbers do not compare as the raw string)
def kql_gate(node: Any) -> Gate | None:
    if isinstance(node, kql.And):
        return _pick([g for g in map(kql_gate, node.items) if g])
    if isinstance(node, kql.Or):
        return _union([kql_gate(i) for i in node.items])
    if isinstance(node, kql.Match) and isinstance(node.value, kql.Literal) and not node.field_glob \
            and field_type(node.field) in ("keyword", "constant_keyword"):
        return node.field, frozenset((node.value.text,))
    return None


# EQL (case-insensitive sets are left ungated)
def eql_gate(node: Any, insensitive: set[int]) -> Gate | None:
    if isinstance(node, eql_ast.And):
        return _pick([g for g in (eql_gate(t, insensitive) for t in node.terms) if g])
    if isinstance(node, eql_ast.Or):
        return _union([eql_gate(t, insensitive) for t in node.terms])
    if isinstance(node, eql_ast.Comparison) and node.comparator == "==" and isinstance(node.left, eql_ast.Field) \
            and isinstance(node.right, eql_ast.String):
        return field_name(node.left), frozenset((node.right.value,))
    if isinstance(node, eql_ast.InSet) and id(node) not in insensitive and isinstance(node.expression, eql_ast.Field) \
            and all(isinstance(c, eql_ast.String) for c in node.container):
        return field_name(node.expression), frozenset(c.value for c in node.container)
    return None


def sequence_gate(query: EqlQuery, insensitive: set[int]) -> Gate | None:
    sequence = query.sequence
    assert sequence is not None, "a sequence gate of a query without sequence"
    # the until event must reach the rule too: a gate of the stages alone would hide it, and the sequence
    # would complete where Elasticsearch ends it
    closing = [sequence.close] if sequence.close is not None else []
    stages = [sub.query.query for sub in [*sequence.queries, *closing]]
    return _union([eql_gate(s, insensitive) for s in stages])


# ES|QL: the WHERE commands before the first EVAL or STATS
_ESQL_CAST = frozenset({"ip", "date", "date_nanos", "boolean", "version"}) | NUMBER_TYPES
_DATE_OR_BOOLEAN = re.compile(r"^(?:\d{4}-\d{2}-\d{2}|true$|false$)", re.IGNORECASE)


def _esql_same_text(field: str, literal: str) -> bool:
    """Whether the field equals the literal only as the same text: ES|QL casts a string literal to an ip,
    date, boolean or version field's type (`still_hired == "true"`, `d == "2025-01-01"`), which no exact
    string gate can hold."""
    return field_type(field) not in _ESQL_CAST and not _DATE_OR_BOOLEAN.match(literal)


def esql_expr_gate(node: Any) -> Gate | None:
    from ..esql import parser as esql  # here: a pack without ES|QL rules does not load the ES|QL modules

    if isinstance(node, esql.BinOp) and node.op == "and":
        return _pick([g for g in (esql_expr_gate(node.left), esql_expr_gate(node.right)) if g])
    if isinstance(node, esql.BinOp) and node.op == "or":
        return _union([esql_expr_gate(node.left), esql_expr_gate(node.right)])
    if isinstance(node, esql.BinOp) and node.op == "==" and isinstance(node.left, esql.Col) \
            and isinstance(node.right, esql.Lit) and isinstance(node.right.value, str) \
            and _esql_same_text(node.left.name, node.right.value):
        return node.left.name, frozenset((node.right.value,))
    if isinstance(node, esql.InList) and not node.negated and isinstance(node.term, esql.Col) \
            and all(isinstance(i, esql.Lit) and isinstance(i.value, str) and _esql_same_text(node.term.name, i.value)
                    for i in node.items):
        return node.term.name, frozenset(i.value for i in node.items)
    return None


def esql_gate(query: Any) -> Gate | None:
    from ..esql import parser as esql

    gates = []
    for command in query.commands:
        if not isinstance(command, esql.Where):
            break
        gate = esql_expr_gate(command.condition)
        if gate:
            gates.append(gate)
    return _pick(gates)
