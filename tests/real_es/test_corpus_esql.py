"""Elastic's own ES|QL rules (../shared/reference/detection-rules) that the engine runs, on the real node:
documents generated for the fields each query reads (literal values the query compares them with, their
neighbours, other values of the field's type, arrays, missing), in one index typed as the engine's field
catalogue types them; `_query` must answer the rows the engine answers (a multiset where the query does not
sort)."""

from __future__ import annotations

import dataclasses
import random
import re
import time
from datetime import datetime, timezone

import pytest
from elasticsearch import ApiError
from elasticsearch.helpers import bulk

from elastic_pack.esql import ast as esql_ast
from elastic_pack.esql import parse_esql
from elastic_pack.fields import field_type
from elastic_pack.kql.ast import Literal, Wildcard

from ..conftest import SHARED_REFERENCE
from .. import es_compare as compare
from .agreement import record
from .generated import NODE_TYPES, _other, _variants, as_indexed, mapping_for, objects_among

CORPUS = SHARED_REFERENCE / "detection-rules"
INDEX = "corpus-esql"
PER_RULE = 24
# the FROM line (after any // comments): its index patterns are replaced by the test index
SOURCES = re.compile(r"^\s*FROM\s+(?P<sources>[^|]+?)(?P<metadata>\s+METADATA\s+[^|]+?)?\s*(?=\||\Z)",
                     re.I | re.M)
# What the node (Elasticsearch 8.19) refuses in rules Elastic ships for newer versions: rule text -> why.
NEWER_THAN_THE_NODE = {
    "INLINE STATS": "INLINE STATS is ES|QL syntax of Elasticsearch 9.x; 8.19 knows no such command",
}
# Elasticsearch 8.19's KQL() parser rejects a list of quoted values (`process.args:("-c" or "-lc")`), which
# Kibana's grammar and newer Elasticsearch accept; Elastic ships such rules for 9.x
KQL_LIST_OF_QUOTED = re.compile(r"missing '\)' at 'or'")
# functions of 9.x that 8.19 does not know (ST_CONTAINS is older and not matched: \b needs a non-word before)
NEWER_FUNCTIONS = re.compile(r"\b(URL_DECODE|JSON_EXTRACT|MV_CONTAINS|CONTAINS|FIRST|LAST)\s*\(", re.I)
# refusals that come from the generated index, not from either engine: an integration field the catalogue
# does not know, which Elastic's rules use as different types (so no one type serves them all)
UNKNOWN_INTEGRATION_TYPE = re.compile(r"so second argument must also be|must be \[|needs to be boolean|"
                                      r"argument of \[COALESCE|1st argument of \[.* in \(")

# Differences found on the real node and not (yet) fixed in the engine: rule name -> why (also in docs/testing.md).
KNOWN: dict[str, str] = {}


def _nodes(node):
    """Every syntax-tree node under `node` (itself included), parents first."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _nodes(item)
    elif dataclasses.is_dataclass(node):
        yield node
        for f in dataclasses.fields(node):
            yield from _nodes(getattr(node, f.name))


def _columns(tree, out: set[str]) -> None:
    """Every column name the query reads (fields, and columns the query makes, which the caller removes)."""
    out.update(node.name for node in _nodes(tree) if isinstance(node, esql_ast.Col))


def _compared(node) -> tuple[str, list] | None:
    """(column, the literals it is compared with) for `col op literal` and `col IN (...)`."""
    if isinstance(node, esql_ast.BinOp) and isinstance(node.left, esql_ast.Col) and isinstance(node.right, esql_ast.Lit):
        return node.left.name, [node.right.value]
    if isinstance(node, esql_ast.InList) and isinstance(node.term, esql_ast.Col):
        return node.term.name, [i.value for i in node.items if isinstance(i, esql_ast.Lit)]
    return None


def _votes(tree, out: dict[str, set]) -> None:
    """For fields the catalogue does not know, what the queries use them as: compared with numbers, with
    booleans, with strings, aggregated as numbers, or tested as a condition."""
    for node in _nodes(tree):
        compared = _compared(node)
        if compared:
            name, values = compared
            out.setdefault(name, set()).update(
                "boolean" if isinstance(v, bool) and isinstance(node, esql_ast.BinOp) else
                "double" if isinstance(v, (int, float)) and not isinstance(v, bool) else "keyword"
                for v in values)
        elif isinstance(node, esql_ast.Where) and isinstance(node.condition, esql_ast.Col):
            out.setdefault(node.condition.name, set()).add("boolean")
        elif isinstance(node, (esql_ast.Stats, esql_ast.InlineStats)):
            for _, function, argument in node.aggregates:
                if str(function).upper() in ("AVG", "SUM", "MEDIAN", "PERCENTILE", "STD_DEV") \
                        and isinstance(argument, esql_ast.Col):
                    out.setdefault(argument.name, set()).add("double")


def _kind(field: str, votes: set) -> str:
    """The field's type: the catalogue's; for a field it does not know, what every query agrees it is, else
    keyword (the logs-* default)."""
    return field_type(field) or (next(iter(votes)) if len(votes) == 1 else "keyword")


def _literals(tree, out: dict[str, list]) -> None:
    """Per column, the literals the query compares it with (==, !=, <, IN, LIKE patterns)."""
    for node in _nodes(tree):
        compared = _compared(node)
        if compared:
            out.setdefault(compared[0], []).extend(Literal(str(v)) for v in compared[1])
        elif isinstance(node, esql_ast.Like) and isinstance(node.term, esql_ast.Col) and not node.regex:
            out.setdefault(node.term.name, []).extend(Wildcard(tuple(p.split("*"))) for p in node.patterns)


@pytest.fixture(scope="module")
def corpus_esql(rule_files):
    """The ES|QL rules of the pack and Elastic's corpus that the engine runs."""
    from elastic_pack.engine.rules import compile_rule
    from elastic_pack.errors import NotRunnable

    rules = []
    for rule in rule_files:
        if rule.type != "esql":
            continue
        try:
            compile_rule(rule)
        except NotRunnable:
            continue  # refused by name: not the engine's answer to compare
        rules.append((rule.name, rule.query, parse_esql(rule.query)))
    return rules


@pytest.fixture(scope="module")
def esql_index(es, corpus_esql):
    rng = random.Random(20261203)
    now = time.time()
    fields = {"@timestamp"}
    kinds: dict[str, str] = {"@timestamp": "date"}
    documents = []
    plans = []
    patterns: set[str] = set()
    votes: dict[str, set] = {}
    for _, _, query in corpus_esql:  # first every query's fields, so that one field has one type in the index
        wanted: dict[str, list] = {}
        named: set[str] = set(query.fields)
        for command in query.commands:
            _literals(command, wanted)
            _columns(command, named)
            _votes(command, votes)
            if isinstance(command, (esql_ast.Keep, esql_ast.Drop)):
                named |= {n for n in command.names if "*" not in n}
                # a pattern must match some mapped field, or Elasticsearch refuses the query: map one, unset
                patterns |= {n[:-2] for n in command.names if n.endswith(".*") and "*" not in n[:-2]}
            elif isinstance(command, esql_ast.Rename):
                named |= {old for old, _ in command.pairs}
        read = {f for f in set(query.fields) | (named - query.columns) if "*" not in f and not f.startswith("_")}
        plans.append((read, wanted))
    for read, _ in plans:
        for field in read:
            kinds[field] = _kind(field, votes.get(field, set()))
    objects = objects_among({f for read, _ in plans for f in read})
    for read, wanted in plans:
        read = {f for f in read if kinds[f] in NODE_TYPES and f not in objects}
        fields |= read
        for _ in range(PER_RULE):
            stamp = datetime.fromtimestamp(now - rng.uniform(60, 3000), timezone.utc)
            doc: dict = {"@timestamp": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
            for field in sorted(read):
                kind = kinds[field]
                pool = [v for value in wanted.get(field, []) for v in _variants(kind, value, rng)]
                roll = rng.random()
                if roll < 0.1:
                    continue
                if roll < 0.25 or not pool:
                    doc[field] = _other(kind, rng)
                elif roll < 0.35:
                    doc[field] = [rng.choice(pool), _other(kind, rng)]
                else:
                    doc[field] = rng.choice(pool)
            documents.append(doc)
    fields |= {f"{prefix}.unset_by_the_test" for prefix in patterns
               if not any(f.startswith(prefix + ".") for f in fields) and prefix not in fields}
    kinds.update({f: "keyword" for f in fields if f not in kinds})
    documents = as_indexed(documents, fields)
    es.options(ignore_status=404).indices.delete(index=INDEX)
    es.indices.create(index=INDEX, mappings=mapping_for(fields, kinds.get), settings={
        "number_of_shards": 1, "number_of_replicas": 0, "index.mapping.total_fields.limit": 50_000})
    _, errors = bulk(es, ({"_index": INDEX, "_source": d} for d in documents), refresh="wait_for",
                     raise_on_error=False, chunk_size=2000)
    assert not errors, errors[:3]
    return documents, now


def test_corpus_esql_rules_answer_the_rows_the_engine_answers(es, corpus_esql, esql_index):
    documents, now = esql_index
    differences, node_errors = [], []
    compared = rows = 0
    for name, text, _ in corpus_esql:
        match = SOURCES.search(text)
        assert match, name
        query = text[:match.start("sources")] + INDEX + text[match.end("sources"):]
        newer = next((why for construct, why in NEWER_THAN_THE_NODE.items() if construct in text.upper()), None) \
            or (NEWER_FUNCTIONS.search(text) and "a function of Elasticsearch 9.x")
        if newer:
            record("ES|QL (Elastic's rules): not compared, newer than the node", True)
            continue
        asked = time.time()
        try:
            names, remote = compare.esql_remote(es, query)
        except ApiError as error:
            if KQL_LIST_OF_QUOTED.search(str(error)) and "KQL(" in text.upper():
                record("ES|QL (Elastic's rules): not compared, newer than the node", True)
                continue
            if UNKNOWN_INTEGRATION_TYPE.search(str(error)):
                record("ES|QL (Elastic's rules): not compared, integration field types unknown", True)
                continue
            node_errors.append(f"{name}: {str(error)[:300]}")
            record("ES|QL (Elastic's rules): the node refuses, the engine runs", name in KNOWN)
            continue
        keep = [n for n in names if n not in ("_id", "_index", "_version", "_score")]
        answered = time.time()
        # NOW() is the node's clock at some instant while it answered: the engine's answer at either end (or
        # the middle) of that span must be the node's, so a minute boundary crossed meanwhile is no difference
        for now in (asked, answered, (asked + answered) / 2):
            local = compare.esql_local(text, documents, now=now)
            same, local_rows, remote_rows = compare.same_rows(local, remote, keep, compare.sort_columns(text))
            if same or "NOW()" not in text.upper():
                break
        record("ES|QL (pack and Elastic's rules, generated documents)", same or name in KNOWN)
        compared += 1
        rows += len(remote_rows)
        if not same and name not in KNOWN:
            only_local = [r for r in local_rows if r not in remote_rows][:1]
            only_node = [r for r in remote_rows if r not in local_rows][:1]
            differences.append(f"{name}: engine {len(local_rows)} rows, node {len(remote_rows)}; "
                               f"columns {keep}; only engine {only_local}; only node {only_node}")
    node_errors = [e for e in node_errors if e.split(":")[0] not in KNOWN]
    assert not node_errors and not differences, f"{compared} compared; " \
        f"{len(node_errors)} refused by the node:\n" + "\n".join(node_errors[:80]) + \
        f"\n{len(differences)} differ:\n" + "\n".join(differences[:30])
    assert compared >= 2
    if (CORPUS / "rules").is_dir():
        assert compared > 150
