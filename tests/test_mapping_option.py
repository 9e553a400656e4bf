"""--mapping on the commands that run rules (preview, test, backtest) and query, and `mapping` in their Python
APIs: the rules answer by the mapped type. The pack's proxyware rule matches `process.name: "honeygain"`:
on a keyword field (the default) that is case-sensitive, on a text field Elasticsearch analyzes both sides."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from elastic_pack.cli import app
from elastic_pack.content import load_pack
from elastic_pack.mapping import Mapping
from elastic_pack.preview import preview
from elastic_pack.scenario_run import documents_alerts

RULE = "Proxyware or Proxyjacking Client Started"
EVENT = {"@timestamp": "2026-01-05T10:00:00Z", "event": {"category": ["process"], "type": ["start"]},
         "process": {"name": "Honeygain", "executable": "/opt/x/Honeygain"}, "host": {"name": "h1"}}
AS_TEXT = {"mappings": {"properties": {
    "@timestamp": {"type": "date"},
    "event": {"properties": {"category": {"type": "keyword"}, "type": {"type": "keyword"}}},
    "process": {"properties": {"name": {"type": "text"}, "executable": {"type": "keyword"}}}}}}


def _names(alerts) -> list[str]:
    return [a.rule_name for a in alerts]


def test_the_mapped_type_decides_the_rules_answer_through_the_api():
    pack, _ = load_pack(None)
    assert RULE not in _names(documents_alerts(pack, [EVENT]))  # keyword: "Honeygain" is not "honeygain"
    assert RULE in _names(documents_alerts(pack, [EVENT], mapping=Mapping.from_json(AS_TEXT)))
    assert RULE in _names(documents_alerts(pack, [EVENT], mapping={"process.name": "text"}))  # a flat dict too
    # the same name in lowercase matches on either type
    lower = {**EVENT, "process": {"name": "honeygain"}}
    assert RULE in _names(documents_alerts(pack, [lower]))
    assert RULE in _names(documents_alerts(pack, [lower], mapping={"process.name": "text"}))


def test_preview_takes_the_mapping_file(tmp_path):
    events = tmp_path / "events.ndjson"
    events.write_text(json.dumps(EVENT) + "\n")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(AS_TEXT))
    assert RULE not in _names(preview([events])[0])
    assert RULE in _names(preview([events], mapping=Mapping.load(mapping))[0])
    runner = CliRunner()
    plain = runner.invoke(app, ["preview", "--events", str(events), "--json"])
    typed = runner.invoke(app, ["preview", "--events", str(events), "--mapping", str(mapping), "--json"])
    assert plain.exit_code == 0 and typed.exit_code == 0, plain.output + typed.output
    assert RULE not in plain.stdout and RULE in typed.stdout


def test_a_mapping_file_that_is_not_one_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "mapping.json"
    bad.write_text(json.dumps({"settings": {}}))
    runner = CliRunner()
    for command in (["preview", "--events", str(bad)], ["test"], ["query", "x: 1", "--events", str(bad)],
                    ["backtest", str(tmp_path)]):
        result = runner.invoke(app, [*command, "--mapping", str(bad)])
        assert result.exit_code == 2, (command, result.output)
        assert "--mapping" in result.output and "mapping.json" in result.output


def test_query_answers_by_the_mapping_file(tmp_path):
    events = tmp_path / "events.ndjson"
    events.write_text(json.dumps(EVENT) + "\n")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(AS_TEXT))
    runner = CliRunner()
    query = 'process.name: "honeygain"'
    plain = json.loads(runner.invoke(app, ["query", query, "--events", str(events), "--json"]).stdout)
    typed = json.loads(runner.invoke(app, ["query", query, "--events", str(events), "--mapping", str(mapping),
                                           "--json"]).stdout)
    assert plain["hits"]["total"]["value"] == 0 and typed["hits"]["total"]["value"] == 1


def test_scenarios_pass_with_the_default_mapping_given_explicitly():
    from elastic_pack.scenario_run import run_scenarios

    results = run_scenarios(None, None, mapping=Mapping.default())
    assert results and all(r.passed for r in results), [r.problems for r in results if not r.passed]


def test_threshold_groups_are_the_terms_the_fields_type_makes(pack_dir):
    # the SES threshold rule (value 101) grouped by source.ip: 101 sends from one address, written as IPv4 and
    # as IPv4-mapped IPv6, are one ip term, so one group of 101: one alert. As keyword, two groups (51 and 50)
    import tomllib

    import tomli_w

    from elastic_pack.operations import bump_versions

    rule_path = next((pack_dir / "rules").glob("aws_ses_high_volume*.toml"))
    data = tomllib.loads(rule_path.read_text())
    data["rule"]["threshold"]["field"] = ["source.ip"]
    rule_path.write_text(tomli_w.dumps(data))
    bump_versions(pack_dir)
    pack, _ = load_pack(pack_dir)
    scenario = next(s for s in pack.scenarios if s.name == "edge_ses_101")
    documents = scenario.documents()
    for index, document in enumerate(documents):
        document.pop("source.ip", None)  # scenario events may carry it as a dotted key
        document.setdefault("source", {})["ip"] = "10.0.0.1" if index % 2 else "::ffff:10.0.0.1"
    name = data["rule"]["name"]

    def alerts(mapping=None):
        return [a for a in documents_alerts(pack, documents, mapping=mapping) if a.rule_name == name]

    as_ip = alerts()  # the catalogue types source.ip as ip
    assert len(as_ip) == 1 and as_ip[0].group == {"source.ip": "10.0.0.1"}
    assert alerts({"source.ip": "keyword"}) == []
    documents.pop()  # 100: one under the value
    assert alerts() == []


def test_a_group_value_longer_than_ignore_above_makes_no_threshold_group():
    # the lab's template maps the ARN as a keyword with ignore_above 1024: a longer ARN is not indexed, so the
    # terms aggregation has no bucket for it; at 1024 characters it still has
    pack, _ = load_pack(None)
    scenario = next(s for s in pack.scenarios if s.name == "edge_ses_101")
    name = "AWS SES High-Volume Email Sending by a Single Identity"

    def alerts_with(arn: str) -> list:
        documents = scenario.documents()
        for document in documents:
            document.pop("aws.cloudtrail.user_identity.arn", None)
            document.setdefault("aws", {}).setdefault("cloudtrail", {}).setdefault("user_identity", {})["arn"] = arn
        return [a for a in documents_alerts(pack, documents) if a.rule_name == name]

    prefix = "arn:aws:iam::123456789012:user/"
    assert len(alerts_with(prefix + "u" * (1024 - len(prefix)))) == 1
    assert alerts_with(prefix + "u" * (1025 - len(prefix))) == []
