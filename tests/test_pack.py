"""The shipped pack loads, validates and builds into what Kibana accepts."""

from __future__ import annotations

import json

from elastic_pack.build import bundle_text, pack_payloads
from elastic_pack.checks import validate_pack
from elastic_pack.rule_schema import rule_payload_errors

from .conftest import CONTENT


def _payloads():
    pack, findings = validate_pack(CONTENT)
    assert findings == []
    return pack_payloads(pack)


def test_shipped_pack_has_the_four_seed_rules_and_no_findings():
    pack, findings = validate_pack(CONTENT)
    assert [str(f) for f in findings] == []
    seeds = [r for r in pack.rules if "seed_branch" in r.metadata]
    assert sorted(r.type for r in seeds) == ["eql", "threshold", "threshold", "threshold"]
    assert {r.type for r in pack.rules} == {"eql", "threshold", "esql", "new_terms", "query"}


def test_every_built_rule_passes_kibanas_openapi_schema(kibana_openapi):
    for payload in _payloads():
        assert kibana_openapi.rule_create_errors(payload) == [], payload["name"]


def test_kibana_openapi_rejects_what_the_embedded_schema_rejects(kibana_openapi):
    """The embedded schema (used without ../shared) and Kibana's own agree on typical mistakes."""
    base = _payloads()[0]
    mutations = [
        {"risk_score": 101},
        {"severity": "urgent"},
        {"name": ""},
        {"max_signals": 0},
        {"threshold": {"field": ["a"], "value": 0}},
        {"version": 0},
    ]
    for change in mutations:
        broken = {**base, **change}
        assert rule_payload_errors(broken), change
        assert kibana_openapi.rule_create_errors(broken), change


def test_every_rule_maps_to_impact_t1496_and_its_guides_subtechnique():
    pack, _ = validate_pack(CONTENT)
    guide_of = {r.rule_id: r.metadata["technique_guide"] for r in pack.rules}
    for payload in _payloads():
        (threat,) = payload["threat"]
        assert threat["tactic"]["id"] == "TA0040"
        (technique,) = threat["technique"]
        assert technique["id"] == "T1496"
        mapped = [s["id"] for s in technique["subtechnique"]]
        # the guide's sub-technique, or SMS pumping (T1496.003), which the T1496.004 guide's SNS rows cover
        assert mapped and set(mapped) <= {guide_of[payload["rule_id"]], "T1496.003"}, payload["name"]
        if "T1496.003" not in mapped:
            assert mapped == [guide_of[payload["rule_id"]]]


def test_bundle_is_deterministic_and_strips_metadata():
    first, second = bundle_text(_payloads()), bundle_text(_payloads())
    assert first == second
    lines = [json.loads(line) for line in first.splitlines()]
    assert len(lines) == len(list((CONTENT / "rules").glob("*.toml")))
    for rule in lines:
        assert "metadata" not in rule and "threshold_intent" not in rule
        assert rule["enabled"] is False
        assert rule["version"] >= 1
        assert rule["required_fields"]
        if "aws.cloudtrail.user_identity.arn" in rule["query"]:
            assert {"name": "aws.cloudtrail.user_identity.arn", "type": "keyword"} in rule["required_fields"]
            if rule["type"] != "esql":  # ES|QL names its indices in FROM
                assert rule["index"] == ["logs-aws.cloudtrail-*", "filebeat-*"]
            assert rule["related_integrations"][0]["package"] == "aws"


def test_risk_scores_sit_in_their_severity_band():
    bands = {"low": range(0, 22), "medium": range(22, 48), "high": range(48, 74), "critical": range(74, 101)}
    for payload in _payloads():
        assert payload["risk_score"] in bands[payload["severity"]]


def test_history_preview_bodies_are_what_kibanas_preview_api_takes(kibana_openapi):
    """The body docs/commands.md's history recipe and the integration tier send, for every rule, against Kibana's
    rule preview schema; the runs cover the range with the last one at its end."""
    from elastic_pack.content import load_pack
    from elastic_pack.durations import parse_span
    from elastic_pack.lab import preview_request
    from elastic_pack.operations import pack_objects

    pack, _ = load_pack(None)
    payloads = {p["rule_id"]: p for p in pack_objects(None)[0]}
    first = 1767225600.0  # 2026-01-01T00:00:00Z
    for rule in pack.rules:
        body = preview_request(payloads[rule.rule_id], rule, first, first + 86400)
        errors = kibana_openapi.request_body_errors("rule_preview/rule_preview.schema.yaml",
                                                    "/api/detection_engine/rules/preview", "post", body)
        assert errors == [], (rule.path.name, errors)
        assert body["timeframeEnd"] == "2026-01-02T00:00:00.000Z"
        interval = parse_span(rule.rule.get("interval", "5m")).total_seconds()
        assert body["invocationCount"] == 86400 // interval + 1  # a run every interval from first to last
