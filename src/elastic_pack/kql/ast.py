"""KQL syntax tree."""

from __future__ import annotations

from dataclasses import dataclass


class Node:
    def fields(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class Literal(Node):
    text: str
    quoted: bool

    @property
    def is_wildcard(self) -> bool:
        return not self.quoted and "*" in self.text


@dataclass(frozen=True)
class ValueOr(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class ValueAnd(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class ValueNot(Node):
    item: Node


@dataclass(frozen=True)
class Match(Node):
    """field: value, where value may be a literal, a wildcard or a parenthesised list."""

    field: str
    value: Node

    def fields(self) -> set[str]:
        return {self.field}


@dataclass(frozen=True)
class Exists(Node):
    field: str

    def fields(self) -> set[str]:
        return {self.field}


@dataclass(frozen=True)
class Range(Node):
    field: str
    op: str
    value: Literal

    def fields(self) -> set[str]:
        return {self.field}


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
