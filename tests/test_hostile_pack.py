"""Issue 25, pack content: TOML nested 100,000 arrays or 5,000 inline tables deep, and scenario values the
engine cannot run (`start = 5`, `every = "banana"`, `count = 100000000`, a recording that is /dev/zero ...)
are one validate finding each, naming the file and line; `test` and `build` refuse without a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from elastic_pack.cli import app

from .conftest import SES_FILE

runner = CliRunner()
SCENARIO = "atomic_1_ses_send_10.toml"


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _findings(result, code=1):
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return [line for line in result.stderr.splitlines() if line.startswith("error ")]


@pytest.mark.parametrize("where, old, new, says", [
    ("rule", "[rule]\n", "[rule]\nnote_x = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested 100000 levels deep"),
    ("scenario", 'tags = ["atomic"]', 'tags = ["atomic"]\nx = ' + "{a=" * 5000 + "1" + "}" * 5000,
     "nested 5000 levels deep"),
], ids=["rule-arrays", "scenario-inline-tables"])
def test_deep_toml_is_one_finding_for_validate_build_and_test(pack_dir, where, old, new, says):
    path = pack_dir / "rules" / SES_FILE if where == "rule" else pack_dir / "scenarios" / SCENARIO
    _edit(path, old, new)
    (finding,) = [f for f in _findings(runner.invoke(app, ["validate", "--content", str(pack_dir)]))
                  if path.name in f]
    assert f"{path}:" in finding and says in finding
    for command in (["build", "--out", str(pack_dir.parent / "dist")], ["test"]):
        assert _findings(runner.invoke(app, [*command, "--content", str(pack_dir)]))


BAD_VALUES = [
    ('start = "2026-01-05T09:00:00Z"', "start = 5", 7, "start must be a time with its zone"),
    ('every = "2s"', 'every = "banana"', 12, "every: not a duration: 'banana'"),
    ('every = "2s"', 'every = "-5s"', 12, "every: not a duration: '-5s'"),
    ('every = "2s"', 'every = "99999999999d"', 12, "every: '99999999999d' is longer than 100 years"),
    ('start = "2026-01-05T09:00:00Z"', 'start = "1970-01-01T00:00:00Z"', 7, "between 2000 and 2099, not in 1970"),
    ('start = "2026-01-05T09:00:00Z"', 'start = "9999-12-31T00:00:00Z"', 7, "between 2000 and 2099, not in 9999"),
    ('start = "2026-01-05T09:00:00Z"', 'start = "2026-01-05T09:00:00"', 7, "start needs a zone"),
    ("count = 10", "count = -5", 11, "count must be a whole number from 0 to 100,000, not -5"),
    ("count = 10", "count = 100000000", 11, "not 100000000"),
    ("count = 10", 'count = 10\nfields = {"@timestamp" = "garbage"}', 12, "fields cannot set @timestamp"),
    ("count = 10", 'count = 10\nfields = {"event.ingested" = "garbage"}', 12, "fields.event.ingested is not a time"),
    ('tags = ["atomic"]', 'tags = ["atomic"]\nrecordings = ["/dev/zero"]', 9, "'/dev/zero' is not a regular file"),
    ('tags = ["atomic"]', 'tags = ["atomic"]\nrecordings = ["."]', 9, "'.' is not a regular file"),
]


@pytest.mark.parametrize("old, new, line, says", BAD_VALUES, ids=[b[1].splitlines()[-1][:40] for b in BAD_VALUES])
def test_scenario_values_the_engine_cannot_run_are_one_finding(pack_dir, old, new, line, says):
    path = pack_dir / "scenarios" / SCENARIO
    _edit(path, old, new)
    (finding,) = _findings(runner.invoke(app, ["validate", "--content", str(pack_dir)]))
    assert finding.startswith(f"error {path}:{line} EP020: invalid scenario: ") and says in finding
    assert _findings(runner.invoke(app, ["test", "--content", str(pack_dir)]))


def test_duplicate_scenario_names_are_one_finding(pack_dir):
    _edit(pack_dir / "scenarios" / SCENARIO, 'name = "atomic_1_ses_send_10"', 'name = "atomic_2_sns_sms_burst"')
    (finding,) = _findings(runner.invoke(app, ["validate", "--content", str(pack_dir)]))
    assert "scenario name 'atomic_2_sns_sms_burst' is also the name of" in finding


def test_a_toml_datetime_start_is_accepted(pack_dir):
    _edit(pack_dir / "scenarios" / SCENARIO, 'start = "2026-01-05T09:00:00Z"', "start = 2026-01-05T09:00:00Z")
    assert runner.invoke(app, ["test", "--content", str(pack_dir), "atomic_1_ses_send_10"]).exit_code == 0


SEQUENCE = "aws_service_enablement_then_abuse.toml"


@pytest.mark.parametrize("old, new, says", [
    ('interval = "10m"', 'interval = "100000000000000000000m"', "'100000000000000000000m' is longer than 100 years"),
    ('from = "now-370m"', 'from = "now-100000000000000000000m"', "is longer than 100 years"),
    ("with maxspan=6h", "with maxspan=100000000000000000000h", "maxspan=100000000000000000000h is longer than"),
], ids=["interval", "from", "maxspan"])
def test_spans_of_10_to_the_20_units_are_findings_and_test_refuses_cleanly(pack_dir, old, new, says):
    _edit(pack_dir / "rules" / SEQUENCE, old, new)
    findings = _findings(runner.invoke(app, ["validate", "--content", str(pack_dir)]))
    assert any(says in f for f in findings) and not any("OverflowError" in f for f in findings)
    tested = runner.invoke(app, ["test", "--content", str(pack_dir)])
    assert tested.exit_code == 1 and "Traceback" not in tested.output and "OverflowError" not in tested.output
    assert tested.exception is None or isinstance(tested.exception, SystemExit), repr(tested.exception)


@pytest.mark.parametrize("command", [["test"], ["backtest", "{trail}"], ["preview", "--events", "{trail}"]])
def test_a_warm_up_of_99999999999_days_is_one_line(tmp_path, command):
    trail = tmp_path / "t.json"
    trail.write_text('{"Records": []}')
    result = runner.invoke(app, [a.format(trail=trail) for a in command] + ["--warm-up", "99999999999d"])
    assert result.exit_code == 2 and result.stderr.strip() == "error: --warm-up: '99999999999d' is longer than 100 years"


@pytest.mark.parametrize("schema", ["{not: [yaml", "components: 5",
                                    'components:\n  schemas:\n    RuleCreateProps:\n      $ref: "../none.yaml#/x"\n'],
                         ids=["not-yaml", "wrong-shape", "dangling-ref"])
def test_a_malformed_kibana_openapi_folder_is_one_finding(tmp_path, schema):
    folder = tmp_path / "openapi"
    (folder / "model" / "rule_schema").mkdir(parents=True)
    (folder / "model" / "rule_schema" / "rule_schemas.schema.yaml").write_text(schema)
    (finding,) = _findings(runner.invoke(app, ["validate", "--kibana-openapi", str(folder)]))
    assert finding.startswith(f"error {folder} EP017: the OpenAPI files in {folder} cannot be used: ")


def test_an_eventbridge_event_whose_detail_is_a_string_is_skipped_with_its_reason(tmp_path):
    (tmp_path / "eventbridge.json").write_text('{"detail-type": "AWS API Call via CloudTrail", "detail": "text"}')
    (tmp_path / "lake.json").write_text('{"eventJson": "[1]"}')
    result = runner.invoke(app, ["backtest", str(tmp_path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "eventbridge.json: an EventBridge event whose detail is not a CloudTrail record" in result.stderr
    assert "lake.json: a CloudTrail Lake row whose eventJson is not a JSON object" in result.stderr


@pytest.mark.parametrize("file, old, new", [
    (SES_FILE, 'event.dataset: "aws.cloudtrail" and event.provider',
     'event.dataset: "aws.cloudtrail" and ' + "(" * 5000 + "event.provider: x" + ")" * 5000 + " and event.provider"),
    ("aws_messaging_ai_abuse_by_role.toml", '| WHERE event.dataset == "aws.cloudtrail"',
     '| WHERE event.dataset == "aws.cloudtrail" AND ' + "(" * 5000 + "TRUE" + ")" * 5000),
], ids=["kql", "esql"])
def test_5000_nested_parentheses_are_one_ep003_finding_and_test_refuses_cleanly(pack_dir, file, old, new):
    _edit(pack_dir / "rules" / file, old, new)
    findings = _findings(runner.invoke(app, ["validate", "--content", str(pack_dir)]))
    assert [f for f in findings if "EP003" in f and "nests parentheses 5000 deep; at most 100" in f]
    assert not [f for f in findings if "RecursionError" in f]
    tested = runner.invoke(app, ["test", "--content", str(pack_dir)])
    assert tested.exit_code == 1 and "Traceback" not in tested.output
    assert tested.exception is None or isinstance(tested.exception, SystemExit), repr(tested.exception)


def test_a_query_nested_99_deep_still_runs(pack_dir):
    _edit(pack_dir / "rules" / SES_FILE, 'event.dataset: "aws.cloudtrail" and event.provider',
          'event.dataset: "aws.cloudtrail" and ' + "(" * 99 + 'event.provider: "ses.amazonaws.com"' + ")" * 99
          + " and event.provider")
    assert runner.invoke(app, ["test", "--content", str(pack_dir), "atomic_1_ses_send_10"]).exit_code == 0


@pytest.mark.parametrize("command", [["backtest", "/dev/zero"], ["preview", "--events", "/dev/zero"],
                                     ["backtest", "/dev/null"]])
def test_a_device_as_input_is_one_line_not_a_memory_error(command):
    result = runner.invoke(app, command)
    assert result.exit_code == 1 and "but a device: /dev/" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_backtest_of_a_folder_without_cloudtrail_files_fails(tmp_path):
    (tmp_path / "notes.txt").write_text("no CloudTrail here")
    result = runner.invoke(app, ["backtest", str(tmp_path), "--json"])
    assert result.exit_code == 1 and f"error: no CloudTrail file (.json, .json.gz, .log, .ndjson) in {tmp_path}" \
        in result.stderr
    assert result.stdout.startswith("{")  # --json still prints its one document


@pytest.mark.parametrize("inside", ["rules", "scenarios", "."])
def test_validate_inside_a_pack_checks_that_pack_as_git_finds_its_repository(pack_dir, monkeypatch, inside):
    monkeypatch.delenv("ELASTIC_PACK_CONTENT", raising=False)
    _edit(pack_dir / "rules" / SES_FILE, "risk_score = 47", 'risk_score = "high"')
    monkeypatch.chdir(pack_dir / inside)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1 and f"checked in {pack_dir}," in result.stderr
    monkeypatch.chdir(pack_dir.parent)  # beside the pack, as in a checkout: ./content
    assert f"checked in {pack_dir}," in runner.invoke(app, ["validate"]).stderr


def test_an_unknown_investigation_field_is_an_error_only_under_the_packs_house_rules(pack_dir):
    """detection-rules ships `aws.cloudtrail.additionalEventData.inputTokens` as an investigation field; its
    tooling and Kibana take any name there, so only the pack's own format (with a version lock) refuses one."""
    _edit(pack_dir / "rules" / SES_FILE, "field_names = [\n",
          'field_names = [\n    "aws.cloudtrail.additionalEventData.inputTokens",\n')
    own = runner.invoke(app, ["validate", "--content", str(pack_dir)])
    assert own.exit_code == 1 and "EP005" in own.stderr and "additionalEventData.inputTokens" in own.stderr
    (pack_dir / "version.lock.json").unlink()  # a tree of rules as detection-rules keeps them
    foreign = runner.invoke(app, ["validate", "--content", str(pack_dir)])
    assert "warning" in foreign.stderr and not [line for line in foreign.stderr.splitlines()
                                                if line.startswith("error") and "inputTokens" in line]


def test_a_tree_without_the_packs_settings_file_is_not_told_to_write_one(pack_dir):
    (pack_dir / "version.lock.json").unlink()
    (pack_dir / "rule_settings.toml").unlink()
    result = runner.invoke(app, ["validate", "--content", str(pack_dir)])
    assert "EP007" not in result.stderr and "rule_settings.toml" not in result.stderr


def test_detection_rules_deprecated_copies_are_not_part_of_the_pack(pack_dir):
    deprecated = pack_dir / "rules" / "_deprecated"
    deprecated.mkdir()
    (deprecated / SES_FILE).write_text((pack_dir / "rules" / SES_FILE).read_text())  # same rule_id and name
    result = runner.invoke(app, ["validate", "--content", str(pack_dir)])
    assert result.exit_code == 0 and "EP008" not in result.stderr, result.stderr


def test_a_lucene_rule_kibana_accepts_is_a_warning_not_an_ep003_error(pack_dir):
    _edit(pack_dir / "rules" / SES_FILE, 'language = "kuery"', 'language = "lucene"')
    result = runner.invoke(app, ["validate", "--content", str(pack_dir)])
    assert "EP003" in result.stderr and not [line for line in result.stderr.splitlines()
                                             if line.startswith("error") and "EP003" in line]


def test_data_whose_types_fail_a_rules_search_is_one_line_naming_the_event_and_the_rule(pack_dir, tmp_path):
    # Elasticsearch maps `custom.score` boolean from its value: the range `> 0.98` then fails the rule's search
    _edit(pack_dir / "rules" / "host_proxyware_client_started.toml", 'event.category: "process" and',
          'custom.score > 0.98 and event.category: "process" and')
    events = tmp_path / "events.ndjson"
    events.write_text('{"@timestamp": "2026-01-05T10:00:00Z", "custom": {"score": 0.99}, '
                      '"event": {"category": "process"}}\n{"@timestamp": "2026-01-05T10:01:00Z", '
                      '"custom": {"score": true}, "event": {"category": "process"}}\n')
    result = runner.invoke(app, ["preview", "--content", str(pack_dir), "--events", str(events)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {events}:2: rule 'Proxyware or Proxyjacking Client Started': "
                                    "Elasticsearch fails this rule's search: custom.score is a boolean field")
