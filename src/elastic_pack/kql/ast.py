"""KQL syntax tree, shaped like Kibana's: value lists are already applied to their field.

`f: (a or not b)` parses as `Or(Match(f, a), Not(Match(f, b)))`, as Kibana's grammar builds it; `f: *` is
`Exists(f)`, `*: *` is `MatchAll()` and a value without a field is `FreeText`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Node:
    def fields(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class Literal:
    """A value as written. Unquoted `null`, `true` and `false` are constants in Kibana's grammar."""

    text: str
    quoted: bool = False

    @property
    def is_wildcard(self) -> bool:
        return False

    @property
    def constant(self) -> object:
        if self.quoted:
            return self.text
        return {"null": None, "true": True, "false": False}.get(self.text, self.text)


@dataclass(frozen=True)
class Wildcard:
    """An unquoted value with `*` wildcards: the literal text between them (escaped `\\*` stays literal)."""

    parts: tuple[str, ...]
    quoted = False

    @property
    def is_wildcard(self) -> bool:
        return True

    @property
    def is_lone(self) -> bool:
        return self.parts == ("", "")

    @property
    def text(self) -> str:
        return "*".join(self.parts)


Value = Literal | Wildcard


@dataclass(frozen=True)
class Match(Node):
    """`field: value`. A quoted value is a phrase; `field_glob` means the field name has `*` wildcards."""

    field: str
    value: Value
    field_glob: bool = False

    def fields(self) -> set[str]:
        return {self.field}


@dataclass(frozen=True)
class Exists(Node):
    field: str
    field_glob: bool = False

    def fields(self) -> set[str]:
        return {self.field}


@dataclass(frozen=True)
class Range(Node):
    field: str
    op: str  # "<", "<=", ">", ">="
    value: Literal
    field_glob: bool = False

    def fields(self) -> set[str]:
        return {self.field}


@dataclass(frozen=True)
class FreeText(Node):
    """A value without a field: Kibana searches every field for it (multi_match, lenient)."""

    value: Value


@dataclass(frozen=True)
class MatchAll(Node):
    """`*: *` or an empty query."""


@dataclass(frozen=True)
class Nested(Node):
    """`path: { query }`: the inner query must hold within one object of the array at `path`.

    Field names inside are full names (`path.inner`), as Kibana prefixes them."""

    path: str
    query: Node

    def fields(self) -> set[str]:
        return self.query.fields()


@dataclass(frozen=True)
class And(Node):
    items: tuple[Node, ...]

    def fields(self) -> set[str]:
        return set().union(*(i.fields() for i in self.items))


@dataclass(frozen=True)
class Or(Node):
    items: tuple[Node, ...]

    def fields(self) -> set[str]:
        return set().union(*(i.fields() for i in self.items))


@dataclass(frozen=True)
class Not(Node):
    item: Node

    def fields(self) -> set[str]:
        return self.item.fields()


def walk(node: Node) -> Any:
    """Every node of a tree, parents first."""
    yield node
    if isinstance(node, (And, Or)):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Not):
        yield from walk(node.item)
    elif isinstance(node, Nested):
        yield from walk(node.query)
