"""`elastic-pack preview` on event files: JSON shape, input forms, bad lines."""

from __future__ import annotations

import gzip
import json

from typer.testing import CliRunner

from elastic_pack.cli import app

runner = CliRunner()
SES_RULE = "bad04895-cba0-4ebf-bb88-8a083b64d94b"
ROTATION_RULE = "ebbd735e-9416-4d7d-8bfa-2e8a475314b9"
ARN = "arn:aws:iam::111122223333:user/mallory"


def _send(i: int, nested: bool = False, epoch: bool = False) -> dict:
    when = 1767603600000 + i * 5000  # 2026-01-05T09:00:00Z
    stamp = when if epoch else f"2026-01-05T09:{(i * 5) // 60:02d}:{(i * 5) % 60:02d}Z"
    if nested:
        return {"@timestamp": stamp, "event": {"dataset": "aws.cloudtrail", "provider": "ses.amazonaws.com",
                "action": "SendEmail"}, "aws": {"cloudtrail": {"user_identity": {"arn": ARN}}}}
    return {"@timestamp": stamp, "event.dataset": "aws.cloudtrail", "event.provider": "ses.amazonaws.com",
            "event.action": "SendEmail", "aws.cloudtrail.user_identity.arn": ARN}


def _write(path, docs, extra_lines=()):
    lines = [json.dumps(d) for d in docs] + list(extra_lines)
    data = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as handle:
            handle.write(data)
    else:
        path.write_text(data)
    return path


def test_json_output_is_one_array_with_the_alert_fields(tmp_path):
    path = _write(tmp_path / "events.ndjson", [_send(i, nested=i % 2 == 0, epoch=i % 3 == 0) for i in range(101)])
    result = runner.invoke(app, ["preview", "--events", str(path), "--json", "--rule", SES_RULE])
    assert result.exit_code == 0, result.output
    alerts = json.loads(result.stdout)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["rule_id"] == SES_RULE and alert["rule_type"] == "threshold"
    assert alert["group"] == {"aws.cloudtrail.user_identity.arn": ARN}
    assert alert["event_count"] == 101
    assert alert["first_event"] == "2026-01-05T09:00:00.000Z"
    assert alert["last_event"] == "2026-01-05T09:08:20.000Z"
    assert "0 lines skipped" in result.stderr


def test_gzip_input_and_rule_filter(tmp_path):
    path = _write(tmp_path / "events.ndjson.gz", [_send(i) for i in range(101)])
    only_sns = runner.invoke(app, ["preview", "--events", str(path), "--json", "--rule",
                                   "85a7f6a2-a380-4327-b3ae-5156c9eb9131"])
    assert json.loads(only_sns.stdout) == []
    everything = json.loads(runner.invoke(app, ["preview", "--events", str(path), "--json"]).stdout)
    assert {a["rule_id"] for a in everything} == {SES_RULE, ROTATION_RULE}


def test_bad_lines_are_reported_with_file_and_line_and_skipped(tmp_path):
    path = _write(tmp_path / "events.ndjson", [_send(i) for i in range(101)],
                  extra_lines=["{not json", json.dumps({"event.action": "SendEmail"})])
    result = runner.invoke(app, ["preview", "--events", str(path), "--json", "--rule", SES_RULE])
    assert result.exit_code == 0
    assert f"{path}:102" in result.stderr and f"{path}:103: no @timestamp" in result.stderr
    assert "2 lines skipped" in result.stderr
    assert len(json.loads(result.stdout)) == 1


def test_strict_stops_on_the_first_bad_line(tmp_path):
    path = _write(tmp_path / "events.ndjson", [_send(0)], extra_lines=["{not json"])
    result = runner.invoke(app, ["preview", "--events", str(path), "--strict"])
    assert result.exit_code == 1
    assert f"{path}:2" in result.stderr


def test_unordered_files_give_the_same_alerts(tmp_path):
    docs = [_send(i) for i in range(101)]
    ordered = _write(tmp_path / "a.ndjson", docs)
    shuffled = _write(tmp_path / "b.ndjson", docs[50:] + docs[:50])
    one = json.loads(runner.invoke(app, ["preview", "--events", str(ordered), "--json"]).stdout)
    two = json.loads(runner.invoke(app, ["preview", "--events", str(shuffled), "--json"]).stdout)
    assert one == two and len(one) == 2


def test_missing_file_is_one_clear_line(tmp_path):
    result = runner.invoke(app, ["preview", "--events", str(tmp_path / "nope.ndjson")])
    assert result.exit_code == 1
    assert "nope.ndjson" in result.stderr and "Traceback" not in result.output


def test_test_command_writes_junit(tmp_path):
    junit = tmp_path / "junit.xml"
    result = runner.invoke(app, ["test", "--junit", str(junit)])
    assert result.exit_code == 0, result.output
    xml = junit.read_text()
    assert xml.count("<testcase") >= 37 and 'failures="0"' in xml


def test_test_command_fails_when_a_scenario_fails(pack_dir):
    scenario = pack_dir / "scenarios" / "edge_ses_101.toml"
    scenario.write_text(scenario.read_text().replace("aws_ses_high_volume_email_sending = 1",
                                                     "aws_ses_high_volume_email_sending = 2"))
    result = runner.invoke(app, ["test", "--content", str(pack_dir)])
    assert result.exit_code == 1
    assert "1 failed" in result.stdout
