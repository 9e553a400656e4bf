"""Pack rules compiled for the local engine: the same parsed query that is built for Kibana."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..content.model import RuleFile
from ..content.queries import checked_query
from ..errors import NotRunnable
from .base import CompiledRule, Predicate, WindowedRule
from ..eql.compile import UnsupportedEql
from .eql_rules import EqlEventRule, EqlSampleRule, EqlSequenceRule
from .esql_rule import EsqlRule
from .kql_rules import NewTermsRule, QueryRule, ThresholdRule
from .reads import rule_reads

__all__ = ["CompiledRule", "EqlEventRule", "EqlSequenceRule", "EsqlRule", "NewTermsRule", "QueryRule",
           "ThresholdRule", "WindowedRule", "compile_rule", "refusals"]


def compile_rule(rule: RuleFile, exceptions: list[Predicate] | None = None, mapping: Any = None) -> CompiledRule:
    """The rule ready to run; NotRunnable (naming the rule and the construct) when the engine cannot run it.
    `mapping` (elastic_pack.mapping.Mapping, a dict field -> type, or None: Mapping.default()) is the searched
    indices' mapping, which every rule type answers by."""
    try:
        compiled = _compile(rule, exceptions, mapping)
        compiled.reads = rule_reads(rule, checked_query(rule), exceptions or ())
        return compiled
    except (ValueError, KeyError, TypeError, NotImplementedError) as exc:
        # UnsupportedEql, KqlTypeError, the ES|QL subset's refusals, a parameter the engine cannot read
        reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        raise NotRunnable(rule.name or str(rule.rule_id), rule.path, reason) from None


def refusals(rules: list[RuleFile]) -> tuple[Counter, list[tuple[RuleFile, NotRunnable]]]:
    """Which rules the engine runs (a count per rule type) and which it refuses, with the refusal."""
    ran: Counter = Counter()
    refused = []
    for rule in rules:
        try:
            compile_rule(rule)
            ran[rule.type] += 1
        except NotRunnable as exc:
            refused.append((rule, exc))
    return ran, refused


def _compile(rule: RuleFile, exceptions: list[Predicate] | None, mapping: Any) -> CompiledRule:
    if rule.type in ("machine_learning", "threat_match"):
        raise UnsupportedEql(f"it does not run {rule.type} rules (anomaly jobs and indicator matching need the "
                             "cluster's jobs and threat indices)")
    query = checked_query(rule)
    if rule.type == "threshold":
        return ThresholdRule(rule, query, exceptions, mapping=mapping)
    if rule.type == "eql":
        if query.sequence is not None:
            return EqlSequenceRule(rule, query, exceptions, mapping=mapping)
        if query.is_sample:
            return EqlSampleRule(rule, query, exceptions, mapping=mapping)
        return EqlEventRule(rule, query, exceptions, mapping=mapping)
    if rule.type == "query":
        return QueryRule(rule, query, exceptions, mapping=mapping)
    if rule.type == "new_terms":
        return NewTermsRule(rule, query, exceptions, mapping=mapping)
    if rule.type == "esql":
        return EsqlRule(rule, query, exceptions, mapping=mapping)
    raise UnsupportedEql(f"it does not run {rule.type} rules")
