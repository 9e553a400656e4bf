"""The Docker tier's files, checked here where no Docker engine runs."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timezone

import pytest
import yaml

from elastic_pack.build import pack_payloads
from elastic_pack.content import load_pack
from elastic_pack.esql import parse_esql
from elastic_pack.kql import parse_kql
from elastic_pack.kql.to_dsl import to_dsl
from elastic_pack.lab import schedule_for, shifted_documents
from elastic_pack.scenario_run import load_pack_and_scenarios

from .conftest import CONTENT, REPO

COMPOSE = REPO / "docker" / "docker-compose.yml"
TEMPLATE = REPO / "docker" / "index-templates" / "logs-aws.cloudtrail.json"


def _mapping_type(template: dict, field: str) -> str | None:
    node = template["template"]["mappings"]
    for part in field.split("."):
        node = node.get("properties", {}).get(part)
        if node is None:
            return None
    return node.get("type")


def _templates() -> dict[str, dict]:
    return {t["index_patterns"][0]: t for t in
            (json.loads(p.read_text()) for p in (REPO / "docker" / "index-templates").glob("*.json"))}


def test_templates_give_every_required_field_its_integration_type():
    """Each rule's required fields are typed in the template of at least one data stream it reads."""
    templates = _templates()
    template = templates["logs-aws.cloudtrail-*"]
    assert "data_stream" in template and _mapping_type(template, "source.ip") == "ip"
    assert _mapping_type(template, "@timestamp") == "date"
    pack, _ = load_pack(CONTENT)
    for payload in pack_payloads(pack):
        patterns = payload.get("index") or parse_esql(payload["query"]).sources
        covering = [templates[p] for p in patterns if p in templates]
        assert covering, (payload["name"], patterns)
        for field in payload["required_fields"]:
            assert any(_mapping_type(t, field["name"]) == field["type"] for t in covering), (payload["name"], field)


def test_compose_file_pins_versions_and_sets_what_the_detection_engine_needs():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    images = {s["image"].rsplit(":", 1)[1] for s in services.values()}
    assert len(images) == 1
    major, minor = (int(x) for x in images.pop().split(".")[:2])
    assert (major, minor) >= (8, 9)  # EQL sequences `with runs`
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "true"
    assert "XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY" in services["kibana"]["environment"]
    assert services["kibana"]["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert all("healthcheck" in services[name] for name in ("elasticsearch", "kibana"))
    assert all("mem_limit" in service for service in services.values())


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (Debian package) not installed")
def test_compose_file_passes_docker_compose_config():
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_workflow_runs_the_integration_tier():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "integration.yml").read_text())
    steps = " ".join(str(step.get("run", "")) for job in workflow["jobs"].values() for step in job["steps"])
    assert "pytest -m integration" in steps


def test_kql_translates_to_the_query_kibana_builds():
    # the shape of kbn-es-query's toElasticsearchQuery without data view fields (what a rule without one sends)
    tree = parse_kql('event.action: ("Publish" or "PublishBatch") and not aws.cloudtrail.error_code: * '
                     'and source.port >= 1024 and user_agent.original: aws-cli*')

    def should(query):
        return {"bool": {"should": [query], "minimum_should_match": 1}}

    assert to_dsl(tree) == {"bool": {"filter": [
        {"bool": {"should": [should({"match_phrase": {"event.action": "Publish"}}),
                             should({"match_phrase": {"event.action": "PublishBatch"}})],
                  "minimum_should_match": 1}},
        {"bool": {"must_not": should({"exists": {"field": "aws.cloudtrail.error_code"}})}},
        should({"range": {"source.port": {"gte": "1024"}}}),
        should({"query_string": {"fields": ["user_agent.original"], "query": "aws\\-cli*"}}),
    ]}}


def test_seeded_scenarios_end_just_before_now():
    pack, scenarios = load_pack_and_scenarios(CONTENT)
    now = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    scenario = next(s for s in scenarios if s.name == "edge_sequence_just_inside_6h")
    docs = shifted_documents(scenario, pack.rules, now)
    stamps = [datetime.fromisoformat(d["@timestamp"].replace("Z", "+00:00")).timestamp() for d in docs]
    last_runs = [schedule_for(r, min(stamps), max(stamps))[0] for r in pack.rules]
    assert max(last_runs) == pytest.approx(now.timestamp() - 60, abs=0.001)
    original = [d["@timestamp"] for d in scenario.documents()]
    gaps = lambda xs: [b - a for a, b in zip(xs, xs[1:])]  # noqa: E731
    parsed = [datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in original]
    assert gaps(stamps) == pytest.approx(gaps(parsed))
