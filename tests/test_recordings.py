"""CloudTrail recordings: replayed in scenarios, read in any of the shapes tools write, never half-read."""

from __future__ import annotations

import json

from elastic_pack.cloudtrail import InputReport, file_records, java_string, to_ecs
from elastic_pack.content import load_pack

RECORD = {"eventTime": "2025-03-12T14:02:11Z", "eventSource": "ses.amazonaws.com", "eventName": "SendEmail",
          "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/a"},
          "requestParameters": {"enabled": False, "name": "x"}}


def test_a_top_level_array_of_records_is_read(tmp_path):
    path = tmp_path / "stratus.json"
    path.write_text(json.dumps([RECORD, RECORD]))
    report = InputReport()
    assert len(file_records(path, report)) == 2 and not report.skipped


def test_records_that_are_not_objects_are_reported_not_a_traceback(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"Records": [1, "x", None]}))
    report = InputReport()
    assert file_records(path, report) == []
    assert report.skipped and str(path) in report.skipped[0]


def test_empty_values_are_dropped_and_request_parameters_are_written_as_the_integration_does():
    doc = to_ecs({**RECORD, "userIdentity": {"type": "IAMUser", "arn": ""}})
    assert "aws.cloudtrail.user_identity.arn" not in doc
    assert doc["aws.cloudtrail.request_parameters"] == "{enabled=false, name=x}"
    assert java_string({"b": [1, {"c": True}], "a": None}) == "{a=null, b=[1, {c=true}]}"


def test_a_scenario_with_a_broken_recording_is_a_finding(tmp_path, pack_dir):
    (pack_dir / "scenarios" / "recordings" / "ses_stolen_key_enable_and_send.json").write_text('{"Records": [7]}')
    _, findings = load_pack(pack_dir)
    assert any(f.check == "EP020" and "ses_stolen_key_enable_and_send" in f.message for f in findings)


def test_the_shipped_recording_replays_every_record(pack_dir):
    pack, findings = load_pack(pack_dir)
    scenario = next(s for s in pack.scenarios if s.name == "recording_ses_stolen_key_enable_and_send")
    raw = json.loads(scenario.recordings[0].read_text())["Records"]
    docs = scenario.documents()
    assert len(docs) == len(raw)
    assert [d["event.action"] for d in docs] == [r["eventName"] for r in raw]
