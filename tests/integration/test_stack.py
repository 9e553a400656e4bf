"""End to end on a real Elasticsearch and Kibana: deploy, seed every scenario, run the rules, and compare
the stack's alerts and query results with the local engine's. A difference is a bug in one of them.

Every scenario is written into data streams of one namespace of the tier's own, `elasticpacktest`
(`logs-aws.cloudtrail-elasticpacktest`, ...), each with an index template for exactly that stream; neither
may exist before (the tier never writes into what it did not create) and both are deleted after the
scenario: on a shared cluster only those are touched, and scenarios run one after the other.

Not covered here (issue 22): scenarios that fill exception lists with example values (the preview runs
without exception lists), and Kibana/local differences by design, none recorded yet (KNOWN_DIFFERENCES):
the comparison has not run against a real stack where it was written."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from fnmatch import fnmatch
from pathlib import Path

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

from .. import es_compare
from .conftest import kibana_space
from .stack_support import alert_run_time, live_documents, live_scenarios, local_group, plan_chunks, stack_group

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


def _ingested(documents):
    """The documents with `event.ingested` (the rules' timestamp_override) set as an integration's ingest
    pipeline would, here equal to @timestamp when the scenario does not give one: the rules then window on
    their override field, not on Kibana's fallback to @timestamp."""
    return [{**d, "event.ingested": d.get("event.ingested", d["@timestamp"])} for d in documents]


def _stamps(documents):
    return [datetime.fromisoformat(d["@timestamp"].replace("Z", "+00:00")).timestamp() for d in documents]


TEMPLATES = Path(__file__).resolve().parents[2] / "docker" / "index-templates"
TEMPLATE_PRIORITY = 600  # above docker/'s (500) and Fleet's integration templates (200)


def _namespace_templates(streams) -> dict[str, dict]:
    """An index template per stream, for exactly that stream, with docker/'s mappings for its dataset and no
    ingest pipeline: on a cluster with the AWS integration installed, its pipeline would reject or rewrite
    the seeded events (a `message` it expects, event.ingested set to the time of seeding)."""
    templates = {}
    for path in sorted(TEMPLATES.glob("*.json")):
        source = json.loads(path.read_text())
        for stream in streams:
            if any(fnmatch(stream, pattern) for pattern in source["index_patterns"]):
                templates[f"elastic-pack-test-{path.stem}"] = {
                    "index_patterns": [stream], "data_stream": {}, "priority": TEMPLATE_PRIORITY,
                    "template": source["template"], "_meta": {"managed_by": "elastic-pack integration tier"}}
    return templates


@contextmanager
def _seeded(es, documents):
    """The documents in the tier's own data streams and index templates, created here and deleted afterwards;
    neither may exist before (the tier never writes into what it did not create)."""
    from elasticsearch import NotFoundError

    streams = sorted({stream_for(d, NAMESPACE) for d in documents})
    templates = _namespace_templates(streams)
    present = [s for s in streams if es.indices.exists(index=s)]
    present += [name for name in templates if es.indices.exists_index_template(name=name)]
    if present:
        pytest.fail(f"{', '.join(present)} already exist: the tier writes only into data streams and templates "
                    "it creates; delete them (left by a run that was killed) and run again", pytrace=False)
    created: list[str] = []
    try:
        for name, body in templates.items():
            es.indices.put_index_template(name=name, create=True, **body)
            created.append(name)
        _, count = seed(es, documents, NAMESPACE)
        assert count == len(documents)
        yield streams
    finally:
        for stream in streams:
            try:
                es.indices.delete_data_stream(name=stream)
            except NotFoundError:
                pass
        for name in created:
            es.indices.delete_index_template(name=name)


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
    documents = _ingested(shifted_documents(scenario, PACK.rules))
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
            # the documents themselves (one by one), then the counts per group
            namespaced = _in_namespace(rule.rule.get("index", []), namespace)
            wanted = [d for d in documents if es_compare.in_indices(d, namespace, namespaced)]
            assert es_compare.kql_remote(es, namespaced, query.tree) == es_compare.kql_local(query.tree, wanted), \
                rule.name
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
        elif rule.type == "esql":
            sources = _in_namespace(list(query.sources), namespace)
            text = rule.query.partition("\n|")[2]
            names, remote = es_compare.esql_remote(es, f"FROM {', '.join(sources)}\n|{text}")
            wanted = [d for d in documents if es_compare.in_indices(d, namespace, sources)]
            local = es_compare.esql_local(rule.query, wanted, now=time.time())
            same, local_rows, remote_rows = es_compare.same_rows(local, remote, names,
                                                                 es_compare.sort_columns(rule.query))
            assert same, (rule.name, local_rows[:3], remote_rows[:3])
        elif rule.type == "eql":
            matcher = compile_rule(rule).matcher
            local_sequences = [seq for e in events for seq in matcher.feed(e)]
            result = es.eql.search(index=indices, query=rule.query, size=100, ignore_unavailable=True)
            assert len(result["hits"].get("sequences", [])) == len(local_sequences), rule.name


LIVE_SCENARIOS = live_scenarios(PACK.rules, STACK_SCENARIOS)
FINISHED = ("succeeded", "partial failure", "failed")  # a rule's last execution status once a run ended


def _rules_in_space(stack, space):
    found = _kibana(stack, space, "GET", "/api/detection_engine/rules/_find", params={"per_page": 500})
    return {r["rule_id"]: r for r in found["data"]}


@pytest.mark.parametrize("scenario", LIVE_SCENARIOS, ids=lambda s: s.name)
def test_deployed_enabled_rules_write_alerts_into_the_alerts_index(stack_env, scenario, tmp_path):
    """As a SOC runs them: the scenario's events seeded just before now, the pack deployed enabled with
    `elastic-pack deploy --enable` into a fresh space, each rule's first real run awaited, and the space's
    alerts index (.alerts-security.alerts-<space>) read: every rule the scenario expects has run without
    failing and raised alerts, for the identities the scenario names."""
    stack = stack_env
    if stack.external and os.environ.get("ELASTIC_PACK_STACK_ENABLE_RULES") != "1":
        pytest.skip("external stack: enabled rules would also run on your own logs-* data; "
                    "set ELASTIC_PACK_STACK_ENABLE_RULES=1 to allow it")
    keys = {r.rule_id: rule_key(r.path) for r in PACK.rules}
    expected = {k for k, v in scenario.expect.items() if v}
    expected_ids = {rid for rid, key in keys.items() if key in expected}
    es = _es(stack)
    documents = _ingested(live_documents(scenario, time.time()))
    with _seeded(es, documents), kibana_space(stack) as space:
        deployed = runner.invoke(app, ["deploy", "--space", space, "--yes", "--enable",
                                       "--backup-dir", str(tmp_path)])
        assert deployed.exit_code == 0, deployed.output
        deadline = time.monotonic() + float(os.environ.get("ELASTIC_PACK_FIRST_RUN_TIMEOUT", "180"))
        while True:
            rules = _rules_in_space(stack, space)
            runs = {rid: (rules[rid].get("execution_summary") or {}).get("last_execution") for rid in expected_ids}
            done = all(run and run.get("status") in FINISHED for run in runs.values())
            if done or time.monotonic() > deadline:
                break
            time.sleep(5)
        assert all(r["enabled"] for r in rules.values())
        assert done, {keys[rid]: run for rid, run in runs.items()}  # each finished its first run in time
        failed = {keys[rid]: run["message"] for rid, run in runs.items() if run["status"] == "failed"}
        assert not failed, failed
        index = f".alerts-security.alerts-{space}"
        es.indices.refresh(index=index, ignore_unavailable=True)
        hits = es.search(index=index, size=1000, ignore_unavailable=True, query={"bool": {
            "filter": [{"terms": {"kibana.alert.rule.rule_id": sorted(keys)}}],
            "must_not": [{"term": {"kibana.alert.building_block_type": "default"}}]}})
        alerts = [h["_source"] for h in hits["hits"]["hits"]]
    fired = Counter(keys[_field(a, "kibana.alert.rule.rule_id")] for a in alerts)
    assert expected <= set(fired), {"expected": sorted(expected), "fired": dict(fired)}
    for key, identities in scenario.expect_groups.items():
        rule = next(r for r in PACK.rules if rule_key(r.path) == key)
        fields = list(rule.spec.grouping_fields)
        seen = {str(v) for a in alerts if keys[_field(a, "kibana.alert.rule.rule_id")] == key
                for v in (stack_group(a, rule.type, fields) or ())}
        if fields:  # rules whose alerts carry their group values
            assert set(identities) <= seen, (key, sorted(identities), sorted(seen))


def _field(source, name):
    from .stack_support import field_value

    value = field_value(source, name)
    return value[0] if isinstance(value, list) and len(value) == 1 else value
