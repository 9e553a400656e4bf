"""Each rule's query parsed once, with its language's parser."""

from __future__ import annotations

from ..eql_query import EqlQuery, parse_eql
from ..kql import parse_kql
from ..kql.ast import Node
from .model import RuleFile


class KqlQuery:
    def __init__(self, text: str, tree: Node):
        self.text = text
        self.tree = tree
        self.fields = tree.fields()


def parse_rule_query(rule: RuleFile) -> EqlQuery | KqlQuery:
    """Parse the rule's query; raises EqlQueryError or KqlSyntaxError."""
    language = rule.rule.get("language")
    if language == "eql":
        return parse_eql(rule.query)
    if language in ("kuery", None) and rule.type in ("threshold", "query", "new_terms"):
        return KqlQuery(rule.query, parse_kql(rule.query))
    if language == "esql" and rule.type == "esql":
        from ..esql import parse_esql

        return parse_esql(rule.query)
    raise ValueError(f"language {language!r} is not supported for {rule.type} rules")


def parsed_query(rule: RuleFile) -> EqlQuery | KqlQuery | None:
    """The parsed query, cached on the rule, or None when it does not parse (a check reports why)."""
    cache = rule.__dict__.setdefault("_parsed", {})
    if "value" not in cache:
        try:
            cache["value"] = parse_rule_query(rule)
        except ValueError:
            cache["value"] = None
    return cache["value"]
