"""Queries parse as Elasticsearch and Kibana would parse them; the fields they read exist."""

from __future__ import annotations

import re

from ..content.model import RuleFile
from ..content.queries import checked_query, parsed_query
from ..content.spec import threshold_fields
from ..eql.parser import EqlQueryError
from ..esql import EsqlSyntaxError, UnsupportedEsql
from ..fields import covered_namespace, field_type
from ..kql import KqlSyntaxError
from ..findings import Severity
from .base import RuleCheck

_TEXT_ONLY = {"text", "match_only_text"}


def _query_position(rule: RuleFile, line: int | None, column: int | None) -> tuple[int | None, int | None]:
    start = rule.query_line()
    if start is None or line is None:
        return start, None
    raw_lines = rule.query.splitlines()
    # the stored query is stripped; find how far its first line is indented in the file
    indent = 0
    if raw_lines and line == 1:
        file_line = rule.text.splitlines()[start - 1]
        indent = len(file_line) - len(file_line.lstrip())
    return start + line - 1, (column or 0) + indent if column else None


class QuerySyntax(RuleCheck):
    id = "EP003"
    title = "query parses (EQL in Elasticsearch syntax, KQL)"

    def check(self, rule, pack):
        if not rule.query:
            return  # the schema check reports a missing query
        try:
            checked_query(rule)
        except (EqlQueryError, KqlSyntaxError, EsqlSyntaxError, UnsupportedEsql) as exc:
            line, column = _query_position(rule, exc.line, exc.column)
            kind = "EQL" if isinstance(exc, EqlQueryError) else "KQL" if isinstance(exc, KqlSyntaxError) else "ES|QL"
            if kind == "ES|QL" and not pack.own_format:
                # the pack's ES|QL parser reads a subset: outside it, say so rather than call the query wrong
                yield self.finding(rule, f"ES|QL outside the local parser's subset, not checked here (Elasticsearch "
                                   f"checks it): {exc.reason}", line, column, severity=Severity.WARNING)
                return
            yield self.finding(rule, f"invalid {kind}: {exc.reason}", line, column)
        except ValueError as exc:
            if rule.rule.get("language") == "lucene":  # Kibana runs it; the pack has no Lucene parser
                yield self.finding(rule, "Lucene query: not checked here, and the local engine does not run it "
                                   "(Kibana checks it)", rule.line_of("rule", "language"), severity=Severity.WARNING)
                return
            yield self.finding(rule, str(exc), rule.line_of("rule", "language"))


class KnownFields(RuleCheck):
    id = "EP005"
    title = "every field a rule reads exists in ECS or the AWS integration, with a fitting type"

    def _field_line(self, rule: RuleFile, name: str) -> tuple[int | None, int | None]:
        start = rule.query_line()
        for offset, text in enumerate(rule.rule.get("query", "").strip("\n").splitlines()):
            match = re.search(r"(?<![\w.])\??" + re.escape(name) + r"(?![\w.])", text)
            if match and start is not None:
                return start + offset, match.start() + 1
        return start, None

    def check(self, rule, pack):
        parsed = parsed_query(rule)
        fields = set(parsed.fields) if parsed else set()
        for name in sorted(fields):
            if field_type(name) is None:
                line, column = self._field_line(rule, name)
                if pack.own_format or covered_namespace(name):
                    yield self.finding(rule, f"unknown field {name!r}: not in ECS or the AWS CloudTrail integration",
                                       line, column)
                else:
                    yield self.finding(rule, f"field {name!r} belongs to data the field catalogue does not describe; "
                                       "not checked", line, column, severity=Severity.WARNING)
        grouping = list(threshold_fields(rule.rule.get("threshold", {})))
        if parsed is not None and hasattr(parsed, "join_fields"):
            grouping += parsed.join_fields
        grouping += list(rule.rule.get("new_terms_fields", []))
        for name in grouping:
            kind = field_type(name)
            if kind is None and name not in fields:
                yield self.finding(rule, f"unknown grouping field {name!r}", rule.line_of("rule.threshold", "field"),
                                   severity=None if pack.own_format or covered_namespace(name) else Severity.WARNING)
            elif kind in _TEXT_ONLY:
                yield self.finding(rule, f"cannot group by {name!r}: a {kind} field is not aggregatable")
        columns = getattr(parsed, "columns", set())  # an ES|QL rule's alerts carry the columns it computes
        for name in rule.rule.get("investigation_fields", {}).get("field_names", []):
            if field_type(name) is None and name not in columns:
                # shown beside the alert, never searched: Kibana and detection-rules' tooling take any name, so
                # only the pack's own house rules make an unknown one an error
                yield self.finding(rule, f"unknown investigation field {name!r}",
                                   rule.line_of("rule.investigation_fields", "field_names"),
                                   severity=None if pack.own_format else Severity.WARNING)


class LocallyRunnable(RuleCheck):
    id = "EP021"
    title = "the local engine runs the rule (or says by name which construct it cannot run)"
    severity = Severity.WARNING

    def check(self, rule, pack):
        from ..engine import compile_rule
        from ..errors import NotRunnable

        if parsed_query(rule) is None:
            return  # EP003 reports why the query does not parse
        try:
            compile_rule(rule)
        except NotRunnable as exc:
            yield self.finding(rule, f"test and preview will refuse this rule: {exc.reason}", rule.query_line())
