"""The exceptions elastic-pack raises.

    ElasticPackError
    ├── ContentError          the pack does not validate (carries the findings)
    ├── InputError            an events or backup file cannot be read
    ├── NotRunnable           the local engine cannot run a rule (names the rule and the construct)
    ├── QueryError            a query (KQL, EQL, ES|QL) Elasticsearch would reject, or the engine refuses
    │   ├── QuerySyntaxError      the query does not parse (line and column, 1-based)
    │   ├── QueryTypeError        Elasticsearch would reject it for the mapped field types
    │   └── UnsupportedQueryError a construct the local engine refuses by name rather than answer differently
    └── KibanaError           (elastic_pack.kibana.errors) talking to Kibana failed
"""

from __future__ import annotations


class ElasticPackError(Exception):
    """Base of every error elastic-pack raises on purpose."""


class ContentError(ElasticPackError):
    def __init__(self, findings):
        self.findings = list(findings)
        lines = "\n".join(str(f) for f in self.findings)
        super().__init__(f"the pack does not validate:\n{lines}")


class InputError(ElasticPackError):
    """A file given to a command cannot be used; the message names the file and line."""


class NotRunnable(ElasticPackError, ValueError):
    """The local engine cannot run a rule: it refuses by name rather than answer differently from Kibana."""

    def __init__(self, rule_name: str, path, reason: str):
        self.rule_name = rule_name
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: rule {rule_name!r}: the local engine cannot run it: {reason}")


class QueryError(ElasticPackError, ValueError):
    """A query Elasticsearch would reject, or one the local engine refuses: one line that says which and why.
    Shared by the three query languages (elastic_pack.kql, .eql, .esql re-export these same classes)."""


class QuerySyntaxError(QueryError):
    """The query does not parse; `line` and `column` (1-based) locate the problem when known, `reason` is the
    message without the location."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None):
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(reason if line is None else f"{reason} (line {line}, column {column})")

    @staticmethod
    def location(text: str, offset: int) -> tuple[int, int]:
        """(line, column), 1-based, of a character offset in `text`."""
        return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


class QueryTypeError(QueryError):
    """Elasticsearch would reject the query for the mapped type of a field (a nested query on a field that is not
    nested, a date that is not a date, ...)."""


class UnsupportedQueryError(QueryError):
    """A construct Elasticsearch runs but the local engine does not: refused by name rather than answered
    differently."""
