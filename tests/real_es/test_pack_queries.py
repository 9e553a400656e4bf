"""The pack's rules on the scenarios' events: the local engine and the real node answer alike.

KQL rules (query, threshold, new terms): the documents the DSL Kibana builds returns, document by document.
Threshold rules: the counts per group of the aggregation Kibana's executor sends, in windows whose edges fall
on events. ES|QL rules: the result rows, and the rows of the query up to its STATS (so that groups under the
alert thresholds are compared too)."""

from __future__ import annotations

import pytest

from elastic_pack.content.queries import KqlQuery, parse_rule_query

from .. import es_compare as compare
from .agreement import record
from .seeding import narrowed


def _kql_rules(pack):
    return [(r, parse_rule_query(r)) for r in pack.rules if r.type in ("query", "threshold", "new_terms")]


def test_kql_rules_return_the_same_documents(es, seeded):
    pack, scenarios = seeded
    checked = 0
    for rule, query in _kql_rules(pack):
        assert isinstance(query, KqlQuery)
        for seeded_scenario in scenarios:
            indices = narrowed(rule.rule["index"], seeded_scenario.namespace)
            documents = [d for d in seeded_scenario.documents if compare.in_indices(d, seeded_scenario.namespace, indices)]
            local = compare.kql_local(query.tree, documents)
            remote = compare.kql_remote(es, indices, query.tree)
            record("KQL (pack, scenario events)", local == remote)
            assert local == remote, f"{rule.name} on {seeded_scenario.scenario.name}: " \
                                    f"only local {list((local - remote))[:2]}, only node {list((remote - local))[:2]}"
            checked += sum(local.values())
    assert checked > 1000  # the rules matched real events, not only empty sets


def _windows(stamps: list[float], lookback: float) -> list[tuple[float, float]]:
    """Windows of the rule's length ending on the last event, starting on the first, and ending just before
    the last event (one millisecond under): the edges where a count changes."""
    first, last = min(stamps), max(stamps)
    return [(last - lookback, last), (first, first + lookback), (last - lookback, last - 0.001), (first, last)]


def test_threshold_counts_per_group_match(es, seeded):
    pack, scenarios = seeded
    compared = 0
    for rule, query in _kql_rules(pack):
        if rule.type != "threshold":
            continue
        fields = rule.rule["threshold"]["field"]
        fields = [fields] if isinstance(fields, str) else list(fields)
        window_field = rule.rule.get("timestamp_override") or "@timestamp"
        for seeded_scenario in scenarios:
            indices = narrowed(rule.rule["index"], seeded_scenario.namespace)
            documents = [d for d in seeded_scenario.documents if compare.in_indices(d, seeded_scenario.namespace, indices)]
            stamps = [compare.epoch(d.get(window_field) or d["@timestamp"]) for d in documents]
            if not stamps:
                continue
            for start, end in _windows(stamps, rule.spec.lookback):
                local = compare.threshold_local(query.tree, fields, documents, window_field, start, end)
                remote = compare.threshold_remote(es, indices, query.tree, fields, window_field, start, end)
                record("threshold counts (pack)", local == remote)
                assert local == remote, f"{rule.name} on {seeded_scenario.scenario.name} [{start}, {end}]"
                compared += sum(local.values())
    assert compared > 1000


def _through_stats(query: str) -> str | None:
    """The query up to and including its first STATS (None without one)."""
    parts = query.split("\n| STATS", 1)
    if len(parts) == 1:
        return None
    stats, _, _ = parts[1].partition("\n|")
    return parts[0] + "\n| STATS" + stats


@pytest.mark.parametrize("cut", ["whole", "through_stats"])
def test_esql_rules_return_the_same_rows(es, seeded, cut):
    pack, scenarios = seeded
    compared = 0
    for rule in pack.rules:
        if rule.type != "esql":
            continue
        text = rule.query if cut == "whole" else _through_stats(rule.query)
        assert text, rule.name
        sources = parse_rule_query(rule).sources
        head, _, rest = text.partition("\n|")
        for seeded_scenario in scenarios:
            indices = narrowed(list(sources), seeded_scenario.namespace)
            documents = [d for d in seeded_scenario.documents if compare.in_indices(d, seeded_scenario.namespace, indices)]
            if not documents:
                continue
            query = f"FROM {', '.join(indices)}\n|{rest}"
            names, remote = compare.esql_remote(es, query)
            local = compare.esql_local(text, documents, now=0.0)
            same, local_rows, remote_rows = compare.same_rows(local, remote, names, compare.sort_columns(text))
            record(f"ES|QL (pack, scenario events, {cut})", same)
            assert same, f"{rule.name} on {seeded_scenario.scenario.name}:\nlocal {local_rows[:3]}\nnode  {remote_rows[:3]}" \
                         f"\ncolumns node {names} local {sorted({k for r in local for k in r})}"
            compared += len(remote_rows)
    if cut == "through_stats":
        assert compared > 10
