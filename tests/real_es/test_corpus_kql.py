"""Elastic's own KQL rules (query, threshold, new terms; ../shared/reference/detection-rules, read in place)
on the real node: documents generated for the fields each query reads, one index typed as the engine's field
catalogue types them; the DSL Kibana builds must return exactly the documents kql.evaluate matches."""

from __future__ import annotations

import random

import pytest
from elasticsearch.helpers import bulk

from elastic_pack.content.queries import KqlQuery, parse_rule_query
from elastic_pack.kql import compile_kql, to_dsl
from elastic_pack.kql.ast import Nested, walk
from elastic_pack.documents import flatten

from ..conftest import SHARED_REFERENCE
from .agreement import record
from .generated import NODE_TYPES, _other, as_indexed, documents_for, kind_of, literals, mapping_for

CORPUS = SHARED_REFERENCE / "detection-rules"  # absent in a user's clone: the pack's rules alone then
INDEX = "corpus-kql"
PER_RULE = 16

# Differences found on the real node and not (yet) fixed in the engine: rule name -> why. Each is also in
# docs/testing.md's named differences. Kept empty where possible: a difference is a wrong answer.
KNOWN: dict[str, str] = {}


def kql_rules(rules) -> list:
    out = []
    for rule in rules:
        if rule.type not in ("query", "threshold", "new_terms") or rule.rule.get("language", "kuery") != "kuery":
            continue
        query = parse_rule_query(rule)
        assert isinstance(query, KqlQuery)
        out.append((rule.name, query.tree))
    return out


@pytest.fixture(scope="module")
def corpus_queries(rule_files):
    return kql_rules(rule_files)


@pytest.fixture(scope="module")
def corpus_index(es, corpus_queries, rule_files):
    rng = random.Random(20261202)
    fields = set()
    documents = []
    # threshold rules group by fields their query may not read: give those a few values each, so groups form
    grouping = {r.name: _threshold_fields(r) for r in rule_files if r.type == "threshold"}
    for name, tree in corpus_queries:
        read = {f for f in literals(tree) if "*" not in f}
        fields |= {f for f in read if kind_of(f) in NODE_TYPES}
        made = documents_for(tree, PER_RULE, rng)
        extra = [f for f in grouping.get(name, []) if kind_of(f) in NODE_TYPES and f not in read]
        for document in made:
            for field in extra:
                if rng.random() < 0.9:  # and now and then missing: no bucket
                    document[field] = _other(kind_of(field), rng)
        fields |= set(extra)
        documents += made
    mapping = mapping_for(fields)
    clean = as_indexed(documents, fields)
    es.options(ignore_status=404).indices.delete(index=INDEX)
    es.indices.create(index=INDEX, mappings=mapping, settings={
        "number_of_shards": 1, "number_of_replicas": 0, "index.mapping.total_fields.limit": 50_000,
        "index.max_result_window": 200_000})
    ok, errors = bulk(es, ({"_index": INDEX, "_id": str(i), "_source": d} for i, d in enumerate(clean)),
                      refresh="wait_for", raise_on_error=False, chunk_size=2000)
    assert not errors, errors[:3]
    return dict(enumerate(clean))


def test_corpus_kql_rules_return_the_documents_the_engine_matches(es, corpus_queries, corpus_index):
    differences = []
    compared = matched = 0
    for name, tree in corpus_queries:
        if any(isinstance(node, Nested) for node in walk(tree)):
            # nested queries need the integration's nested mapping, which the catalogue does not carry
            record("KQL (Elastic's rules): not compared, nested path", True)
            continue
        try:
            predicate = compile_kql(tree)
        except ValueError:  # KqlTypeError: Elasticsearch would fail the search too
            record("KQL (pack and Elastic's rules, generated documents): refused alike", True)
            with pytest.raises(Exception):
                es.search(index=INDEX, query=to_dsl(tree), size=0)
            continue
        local = {str(i) for i, d in corpus_index.items() if predicate(flatten(dict(d)))}
        result = es.search(index=INDEX, query=to_dsl(tree), size=len(corpus_index), source=False,
                           track_total_hits=True)
        remote = {h["_id"] for h in result["hits"]["hits"]}
        same = local == remote
        record("KQL (pack and Elastic's rules, generated documents)", same or name in KNOWN)
        compared += 1
        matched += len(remote)
        if not same and name not in KNOWN:
            example = next(iter((local ^ remote)))
            differences.append(f"{name}: only engine {len(local - remote)}, only node {len(remote - local)}; "
                               f"e.g. doc {corpus_index[int(example)]} ({'engine' if example in local else 'node'})")
    assert compared >= 9 and matched > 20  # the pack alone: 9 KQL rules
    if (CORPUS / "rules").is_dir():
        assert compared > 600 and matched > 1000
    assert not differences, f"{len(differences)} rules differ:\n" + "\n".join(differences[:25])


def _threshold_fields(rule) -> list[str]:
    """The fields a threshold rule groups by, and its cardinality field."""
    threshold = rule.rule.get("threshold", {})
    fields = threshold.get("field") or []
    fields = [fields] if isinstance(fields, str) else list(fields)
    return fields + [c["field"] for c in threshold.get("cardinality", [])]


def test_corpus_threshold_counts_per_group_match(es, rule_files, corpus_index):
    """Every threshold rule of the pack and of Elastic's corpus: the counts per group of the aggregation
    Kibana's threshold executor sends equal the engine's, over the generated documents (no time field: one
    window holds all)."""
    from collections import Counter

    from elastic_pack.engine.threshold import ThresholdCounter

    compared = grouped = 0
    differences = []
    for rule in rule_files:
        if rule.type != "threshold" or rule.rule.get("language", "kuery") != "kuery":
            continue
        tree = parse_rule_query(rule).tree
        fields = rule.rule["threshold"].get("field") or []
        fields = [fields] if isinstance(fields, str) else list(fields)
        predicate = compile_kql(tree)
        cardinality = tuple((c["field"], int(c["value"])) for c in rule.rule["threshold"].get("cardinality", []))
        counter = ThresholdCounter(fields, 1, 1.0, 10**9, cardinality)
        local: Counter = Counter()
        distinct: dict[tuple, set] = {}
        for document in corpus_index.values():
            flat = flatten(dict(document))
            if predicate(flat):
                for key in (counter.keys_of(flat) if fields else [()]):
                    key = tuple(v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
                                for v in key)
                    local[key] += 1
                    distinct.setdefault(key, set()).update(counter.distinct_of(flat))
        if fields:
            sources = [{f"f{i}": {"terms": {"field": f}}} for i, f in enumerate(fields)]
            composite: dict = {"composite": {"sources": sources, "size": 10_000}}
            if cardinality:  # exact below its precision threshold (3,000), far above these groups' sizes
                composite["aggs"] = {"distinct": {"cardinality": {"field": cardinality[0][0]}}}
            result = es.search(index=INDEX, query=to_dsl(tree), size=0, aggs={"g": composite})
            buckets = result["aggregations"]["g"]["buckets"]
            keys = [tuple(str(b["key"][f"f{i}"]).lower() if isinstance(b["key"][f"f{i}"], bool)
                          else str(b["key"][f"f{i}"]) for i in range(len(fields))) for b in buckets]
            remote = {key: b["doc_count"] for key, b in zip(keys, buckets)}
            if cardinality:
                remote_distinct = {key: b["distinct"]["value"] for key, b in zip(keys, buckets)}
                local_distinct = {key: len(values) for key, values in distinct.items()}
                same_distinct = local_distinct == remote_distinct
                record("threshold cardinality per group (pack and Elastic's rules)", same_distinct)
                if not same_distinct:
                    differences.append(f"{rule.name}: distinct engine {local_distinct} node {remote_distinct}")
        else:  # no field: one group, the whole count
            total = es.count(index=INDEX, query=to_dsl(tree))["count"]
            remote = {(): total} if total else {}
        same = dict(local) == remote
        record("threshold counts (pack and Elastic's rules, generated documents)", same)
        compared += 1
        grouped += sum(remote.values())
        if not same:
            differences.append(f"{rule.name}: engine {dict(local)} node {remote}")
    assert compared >= 5 and grouped > 0  # the pack alone: 5 threshold rules
    assert not differences, "\n".join(differences[:10])
