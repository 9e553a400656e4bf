"""End to end on a real Elasticsearch and Kibana: deploy, seed every scenario, run the rules, and compare
the stack's alerts and query results with the local engine's. A difference is a bug in one of them."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import datetime

import pytest
import requests
from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.content.queries import KqlQuery, parse_rule_query
from elastic_pack.engine import compile_rule, event_from_document, run_rules
from elastic_pack.esql import parse_esql
from elastic_pack.exceptions_model import exception_predicates
from elastic_pack.kql import compile_kql
from elastic_pack.kql.to_dsl import to_dsl
from elastic_pack.lab import preview_request, seed, shifted_documents
from elastic_pack.operations import pack_objects
from elastic_pack.scenario_run import load_pack_and_scenarios, rule_key

runner = CliRunner()
PACK, SCENARIOS = load_pack_and_scenarios(None)
# Scenarios that fill exception lists with example values would need those values deployed; the tier runs
# the others (the exceptions themselves are covered by the local engine and by deploy's own tests).
STACK_SCENARIOS = [s for s in SCENARIOS if not s.exception_values]


def _kibana(stack, space, method, path, **kwargs):
    url = f"{stack.kibana_url}/s/{space}{path}"
    headers = {"kbn-xsrf": "elastic-pack-tests", "elastic-api-version": "2023-10-31"}
    response = requests.request(method, url, auth=(stack.username, stack.password), headers=headers, timeout=120,
                                **kwargs)
    response.raise_for_status()
    return response.json()


def _es(stack):
    from elasticsearch import Elasticsearch

    return Elasticsearch(stack.es_url, basic_auth=(stack.username, stack.password), request_timeout=120)


def test_deploy_then_diff_shows_no_changes(stack_env, space, tmp_path):
    deployed = runner.invoke(app, ["deploy", "--space", space, "--yes", "--backup-dir", str(tmp_path)])
    assert deployed.exit_code == 0, deployed.output
    drift = runner.invoke(app, ["diff", "--space", space, "--exit-code"])
    assert drift.exit_code == 0, drift.output
    again = runner.invoke(app, ["deploy", "--space", space, "--yes", "--backup-dir", str(tmp_path)])
    assert again.exit_code == 0 and "nothing to do" in again.stdout


def _local_alerts(documents):
    rules = [compile_rule(r, exception_predicates(PACK).get(r.rule_id)) for r in PACK.rules]
    return run_rules(rules, [event_from_document(d) for d in documents])


def _in_namespace(patterns, namespace):
    """The rule's index patterns narrowed to one scenario's data streams."""
    return [p.replace("*", namespace) for p in patterns if p.startswith("logs-")]


def _narrowed(body, namespace):
    body = dict(body)
    if body["type"] == "esql":
        rest = body["query"].split("|", 1)[1]
        patterns = parse_esql(body["query"]).sources
        body["query"] = "FROM " + ", ".join(_in_namespace(patterns, namespace)) + "\n|" + rest
    else:
        body["index"] = _in_namespace(body["index"], namespace)
    return body


def _preview_alerts(stack, space, rule_payload, rule_file, documents, namespace):
    stamps = [datetime.fromisoformat(d["@timestamp"].replace("Z", "+00:00")).timestamp() for d in documents]
    body = _narrowed(preview_request(rule_payload, rule_file, min(stamps), max(stamps)), namespace)
    result = _kibana(stack, space, "POST", "/api/detection_engine/rules/preview", json=body)
    assert not any(log.get("errors") for log in result.get("logs", [])), result["logs"]
    es = _es(stack)
    index = f".preview.alerts-security.alerts-{space}"
    es.indices.refresh(index=index, ignore_unavailable=True)
    hits = es.search(index=index, size=1000, ignore_unavailable=True,
                     query={"bool": {"filter": [{"term": {"kibana.alert.rule.uuid": result["previewId"]}}],
                                     "must_not": [{"term": {"kibana.alert.building_block_type": "default"}}]}})
    return [h["_source"] for h in hits["hits"]["hits"]]


@pytest.mark.parametrize("scenario", STACK_SCENARIOS, ids=[s.name for s in STACK_SCENARIOS])
def test_stack_alerts_equal_local_engine(stack, space, scenario):
    documents = shifted_documents(scenario, PACK.rules)
    namespace = re.sub(r"[^a-z0-9]", "", scenario.name)[:60] + uuid.uuid4().hex[:6]
    _, count = seed(_es(stack), documents, namespace)
    assert count == len(documents)

    local = Counter(rule_key(next(r.path for r in PACK.rules if r.rule_id == a.rule_id)) for a in _local_alerts(documents))
    payloads = {p["rule_id"]: p for p in pack_objects(None)[0]}
    stack_counts = Counter()
    for rule in PACK.rules:
        alerts = _preview_alerts(stack, space, payloads[rule.rule_id], rule, documents, namespace)
        if alerts:
            stack_counts[rule_key(rule.path)] = len(alerts)
    assert dict(stack_counts) == dict(local)
    assert {k: v for k, v in scenario.expect.items() if v} == dict(local)


@pytest.mark.parametrize("scenario", [s for s in STACK_SCENARIOS if "attack" in s.tags or "edge" in s.tags][:8],
                         ids=lambda s: s.name)
def test_query_tier_matches_local_engine(stack, scenario):
    documents = shifted_documents(scenario, PACK.rules)
    namespace = "qt" + re.sub(r"[^a-z0-9]", "", scenario.name)[:50] + uuid.uuid4().hex[:6]
    seed(_es(stack), documents, namespace)
    es = _es(stack)
    events = [event_from_document(d) for d in documents]
    for rule in PACK.rules:
        query = parse_rule_query(rule)
        indices = ",".join(_in_namespace(rule.rule.get("index", []), namespace))
        if isinstance(query, KqlQuery):
            predicate = compile_kql(query.tree)
            group = (rule.rule.get("threshold", {}).get("field") or rule.rule.get("new_terms_fields")
                     or ["event.dataset"])[0]
            local = Counter(e.fields.get(group) for e in events if predicate(e.fields))
            local.pop(None, None)
            result = es.search(index=indices, size=0, query=to_dsl(query.tree), ignore_unavailable=True,
                               aggs={"group": {"terms": {"field": group, "size": 100}}})
            remote = {b["key"]: b["doc_count"] for b in result["aggregations"]["group"]["buckets"]}
            assert remote == dict(local), rule.name
        elif rule.type == "eql":
            matcher = compile_rule(rule).matcher
            local_sequences = [seq for e in events for seq in matcher.feed(e)]
            result = es.eql.search(index=indices, query=rule.query, size=100, ignore_unavailable=True)
            assert len(result["hits"].get("sequences", [])) == len(local_sequences), rule.name
