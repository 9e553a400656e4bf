"""ES|QL syntax trees: expressions and the processing commands the local engine runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


# expression nodes
@dataclass(frozen=True)
class Lit:
    value: object


@dataclass(frozen=True)
class Duration:
    """A time span literal (`1 hour`, `30 seconds`), in milliseconds as ES|QL's date arithmetic uses it.
    Written in days or weeks it is a calendar period of `days` days (DATE_TRUNC to 7 days is to Monday)."""

    millis: int
    days: int = 0


@dataclass(frozen=True)
class Period:
    """A span of calendar months (`1 month`, `1 quarter`, `1 year`): date arithmetic moves by the calendar.
    `days` only comes from adding periods together (`1 year + 2 days`), as Java's Period keeps both: a date moves
    by the months first, then by the days."""

    months: int
    days: int = 0


@dataclass(frozen=True)
class Col:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


@dataclass(frozen=True)
class BinOp:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Not:
    term: object


@dataclass(frozen=True)
class IsNull:
    term: object
    negated: bool


@dataclass(frozen=True)
class InList:
    term: object
    items: tuple
    negated: bool


@dataclass(frozen=True)
class Like:
    """LIKE (wildcards * and ?) or RLIKE (a regular expression), against one pattern or a list."""

    term: object
    patterns: tuple[str, ...]
    negated: bool
    regex: bool = False


@dataclass(frozen=True)
class FullText:
    """`field : "text"` or MATCH(field, "text"): Elasticsearch's match query on the field (analysed text
    matches any of its words; keyword fields match the whole value)."""

    field: str
    text: str


@dataclass(frozen=True)
class Kql:
    """KQL("...") inside ES|QL: the KQL query on the source document."""

    query: str


# commands
@dataclass(frozen=True)
class Where:
    condition: object


@dataclass(frozen=True)
class Eval:
    assignments: tuple  # (name, expr)


@dataclass(frozen=True)
class Stats:
    aggregates: tuple  # (name, function, argument expr or None for *)
    by: tuple  # (name, expr)


@dataclass(frozen=True)
class InlineStats:
    """INLINE STATS: the aggregates of each row's group added to the row; rows are not collapsed."""

    aggregates: tuple
    by: tuple


@dataclass(frozen=True)
class Keep:
    names: tuple  # names or patterns with *


@dataclass(frozen=True)
class Drop:
    names: tuple


@dataclass(frozen=True)
class Rename:
    pairs: tuple  # (old, new)


@dataclass(frozen=True)
class MvExpand:
    name: str


@dataclass(frozen=True)
class Dissect:
    source: object
    pattern: str
    separator: str = ""


@dataclass(frozen=True)
class Grok:
    source: object
    pattern: str


@dataclass(frozen=True)
class Project:
    """The columns a STATS answers, exactly these names in this order (aggregates as written, BY last; a
    name given twice is the last one's). The parser adds it where the aggregates alone do not say it."""

    names: tuple


@dataclass(frozen=True)
class Sort:
    keys: tuple  # (name, descending, nulls_first or None for the default)


@dataclass(frozen=True)
class Limit:
    count: int


@dataclass
class EsqlQuery:
    text: str
    sources: tuple
    commands: list
    fields: set[str] = field(default_factory=set)  # source fields read (not the ones EVAL/STATS create)
    columns: set[str] = field(default_factory=set)  # the columns EVAL, STATS, RENAME, DISSECT, GROK create
    row: bool = False  # ROW: its first command (an EVAL) makes the one row; no index is read

    @property
    def stats(self) -> Stats | None:
        return next((c for c in self.commands if isinstance(c, Stats)), None)


def nodes(root: Any) -> Iterator[Any]:
    """Every node under `root` (commands, expressions, their lists), `root` included, in no set order."""
    pending = [root]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, (list, tuple)):
            pending.extend(node)
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            pending.extend(getattr(node, f.name) for f in dataclasses.fields(node))
