"""End to end on a real Elasticsearch and Kibana: deploy, seed every scenario, run the rules, and compare
the stack's alerts and query results with the local engine's. A difference is a bug in one of them.

Every scenario is written into data streams of one namespace of the tier's own, `elasticpacktest`
(`logs-aws.cloudtrail-elasticpacktest`, ...), that must not exist before (the tier never writes into a
stream it did not create) and are deleted after the scenario: on a shared cluster only those streams are
touched, and scenarios run one after the other."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from datetime import datetime

import pytest
import requests
from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.content.queries import KqlQuery, parse_rule_query
from elastic_pack.engine import compile_rule, event_from_document
from elastic_pack.esql import parse_esql
from elastic_pack.exceptions_model import exception_predicates
from elastic_pack.kql import compile_kql
from elastic_pack.kql.to_dsl import to_dsl
from elastic_pack.lab import preview_request, schedule_for, seed, shifted_documents, stream_for
from elastic_pack.operations import pack_objects
from elastic_pack.scenario_run import documents_alerts, load_pack_and_scenarios, rule_key

from .stack_support import alert_run_time, local_group, plan_chunks, stack_group

runner = CliRunner()
PACK, SCENARIOS = load_pack_and_scenarios(None)
# Scenarios that fill exception lists with example values would need those values deployed; the tier runs
# the others (the exceptions themselves are covered by the local engine and by deploy's own tests).
STACK_SCENARIOS = [s for s in SCENARIOS if not s.exception_values]
NAMESPACE = "elasticpacktest"
# Scenarios where Kibana and the local engine differ by design, with the reason: each is expected to fail
# (strict, so a difference that disappears is reported too). Nothing is skipped silently.
KNOWN_DIFFERENCES: dict[str, str] = {}


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
    """The local engine with Kibana preview's settings: new terms rules alert on the first sighting in a
    fresh data stream (`--warm-up 0`; the local engine's default holds back one history window)."""
    return documents_alerts(PACK, documents, exception_predicates(PACK), warm_up=0.0)


def _in_namespace(patterns, namespace=NAMESPACE):
    """The rule's index patterns narrowed to the tier's data streams."""
    return [p.replace("*", namespace) for p in patterns if p.startswith("logs-")]


def _narrowed(body, namespace=NAMESPACE):
    body = dict(body)
    if body["type"] == "esql":
        rest = body["query"].split("|", 1)[1]
        patterns = parse_esql(body["query"]).sources
        body["query"] = "FROM " + ", ".join(_in_namespace(patterns, namespace)) + "\n|" + rest
    else:
        body["index"] = _in_namespace(body["index"], namespace)
    return body


def _stamps(documents):
    return [datetime.fromisoformat(d["@timestamp"].replace("Z", "+00:00")).timestamp() for d in documents]


@contextmanager
def _seeded(es, documents):
    """The documents in the tier's own data streams, created here and deleted afterwards."""
    from elasticsearch import NotFoundError

    streams = sorted({stream_for(d, NAMESPACE) for d in documents})
    present = [s for s in streams if es.indices.exists(index=s)]
    if present:
        pytest.fail(f"{', '.join(present)} already exist: the tier writes only into data streams it creates; "
                    "delete them (a previous run that was killed) and run again", pytrace=False)
    try:
        _, count = seed(es, documents, NAMESPACE)
        assert count == len(documents)
        yield streams
    finally:
        for stream in streams:
            try:
                es.indices.delete_data_stream(name=stream)
            except NotFoundError:
                pass


def _preview_alerts(stack, space, rule_payload, rule_file, documents):
    """The alerts one preview over all of the local engine's runs would give, from previews of the runs that
    can alert, in chunks under Kibana's 60 s preview limit. An aborted preview, a run that logged an error or
    a missing run fails the test."""
    stamps = _stamps(documents)
    spec = rule_file.spec
    _, runs = schedule_for(rule_file, min(stamps), max(stamps))
    carry = spec.lookback + ((spec.suppression.duration or 0) if spec.suppression else 0)
    es = _es(stack)
    index = f".preview.alerts-security.alerts-{space}"
    alerts = []
    for chunk in plan_chunks(min(stamps), spec.interval, runs, stamps, spec.lookback, carry):
        body = _narrowed(preview_request(rule_payload, rule_file, chunk.first_run, chunk.last_run))
        assert body["invocationCount"] == chunk.invocations
        result = _kibana(stack, space, "POST", "/api/detection_engine/rules/preview", json=body)
        logs = result.get("logs") or []
        assert result.get("previewId") and not result.get("isAborted"), (rule_file.name, chunk, result)
        assert not [e for log in logs for e in log.get("errors") or []], (rule_file.name, chunk, logs)
        assert len(logs) == chunk.invocations, (rule_file.name, chunk, len(logs))
        es.indices.refresh(index=index, ignore_unavailable=True)
        hits = es.search(index=index, size=10000, ignore_unavailable=True,
                         query={"bool": {"filter": [{"term": {"kibana.alert.rule.uuid": result["previewId"]}}],
                                         "must_not": [{"term": {"kibana.alert.building_block_type": "default"}}]}})
        for hit in hits["hits"]["hits"]:
            run = alert_run_time(hit["_source"])
            assert run, hit["_source"]
            if datetime.fromisoformat(run.replace("Z", "+00:00")).timestamp() >= chunk.keep_from - spec.interval / 2:
                alerts.append(hit["_source"])
    return alerts


def _scenario_params():
    return [pytest.param(s, id=s.name, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_DIFFERENCES[s.name])]
                         if s.name in KNOWN_DIFFERENCES else []) for s in STACK_SCENARIOS]


@pytest.mark.parametrize("scenario", _scenario_params())
def test_stack_alerts_equal_local_engine(stack, space, scenario):
    """Per rule and group values, as many alerts from Kibana as from the local engine run with the same
    settings (trial licence: suppression on; new terms: first sighting in a fresh stream alerts)."""
    documents = shifted_documents(scenario, PACK.rules)
    payloads = {p["rule_id"]: p for p in pack_objects(None)[0]}
    rules = {r.rule_id: r for r in PACK.rules}
    local = Counter()
    group_fields = {}  # per rule, the fields its alerts are grouped by, in the local engine's order
    for alert in _local_alerts(documents):
        rule = rules[alert.rule_id]
        group_fields.setdefault(rule.rule_id, list(alert.group))
        local[(rule_key(rule.path), local_group(alert.group, rule.type))] += 1
    stack_counts = Counter()
    es = _es(stack)
    with _seeded(es, documents):
        for rule in PACK.rules:
            fields = group_fields.get(rule.rule_id) or list(rule.spec.grouping_fields)
            for source in _preview_alerts(stack, space, payloads[rule.rule_id], rule, documents):
                stack_counts[(rule_key(rule.path), stack_group(source, rule.type, fields))] += 1
    assert dict(stack_counts) == dict(local)


@pytest.mark.parametrize("scenario", [s for s in STACK_SCENARIOS if "attack" in s.tags or "edge" in s.tags][:8],
                         ids=lambda s: s.name)
def test_query_tier_matches_local_engine(stack, scenario):
    documents = shifted_documents(scenario, PACK.rules)
    es = _es(stack)
    with _seeded(es, documents):
        _query_tier(es, documents)


def _query_tier(es, documents):
    namespace = NAMESPACE
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
            # no aggregations when every narrowed index is missing (the scenario wrote no such stream)
            buckets = result.body.get("aggregations", {}).get("group", {}).get("buckets", [])
            remote = {b["key"]: b["doc_count"] for b in buckets}
            assert remote == dict(local), rule.name
        elif rule.type == "eql":
            matcher = compile_rule(rule).matcher
            local_sequences = [seq for e in events for seq in matcher.feed(e)]
            result = es.eql.search(index=indices, query=rule.query, size=100, ignore_unavailable=True)
            assert len(result["hits"].get("sequences", [])) == len(local_sequences), rule.name
