"""Each rule's query parsed once, with its language's parser."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..eql_query import EqlQuery, parse_eql
from ..kql import parse_kql
from ..kql.ast import Node
from .model import RuleFile

if TYPE_CHECKING:
    from ..esql.parser import EsqlQuery


class KqlQuery:
    def __init__(self, text: str, tree: Node):
        self.text = text
        self.tree = tree
        self.fields = tree.fields()


def parse_rule_query(rule: RuleFile) -> EqlQuery | KqlQuery | EsqlQuery:
    """Parse the rule's query; raises EqlQueryError or KqlSyntaxError."""
    language = rule.rule.get("language")
    if language == "eql":
        return parse_eql(rule.query)
    if language in ("kuery", None) and rule.type in ("threshold", "query", "new_terms", "threat_match"):
        return KqlQuery(rule.query, parse_kql(rule.query))
    if language == "esql" and rule.type == "esql":
        from ..esql import parse_esql

        return parse_esql(rule.query)
    raise ValueError(f"language {language!r} is not supported for {rule.type} rules")


def _parsed(rule: RuleFile) -> tuple[EqlQuery | KqlQuery | None, ValueError | None]:
    """The rule's query parsed once and kept on the rule (with the error when it does not parse): every
    check, the engine and the build read the same parse."""
    cache = rule.__dict__.setdefault("_parsed", {})
    if "value" not in cache:
        try:
            cache["value"], cache["error"] = parse_rule_query(rule), None
        except ValueError as exc:
            cache["value"], cache["error"] = None, exc
    return cache["value"], cache["error"]


def parsed_query(rule: RuleFile) -> EqlQuery | KqlQuery | None:
    """The parsed query, or None when it does not parse (a check reports why)."""
    return _parsed(rule)[0]


def checked_query(rule: RuleFile) -> Any:
    """The parsed query; raises the parse error (EqlQueryError, KqlSyntaxError, ...) when there is one."""
    value, error = _parsed(rule)
    if error is not None:
        raise error
    return value
